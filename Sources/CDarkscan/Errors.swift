// Every exported function catches every error and hands it back as an errno value, a
// darkscan_error the caller may pass, and the thread's last error (include/darkscan.h).
import CDarkscanABI
import Darkscan

#if canImport(Glibc)
import Glibc
#endif

/// A failure as the C interface reports it.
struct CFailure: Error {
    var code: Int32
    var kind: darkscan_error_kind
    var reason: String
    var message: String

    static func argument(_ message: String) -> CFailure {
        CFailure(code: EINVAL, kind: DARKSCAN_ERROR_ARGUMENT, reason: "bad-argument", message: message)
    }

    static let cancelled = CFailure(code: ECANCELED, kind: DARKSCAN_ERROR_CANCELLED, reason: "cancelled", message: "the stream was released")

    init(code: Int32, kind: darkscan_error_kind, reason: String, message: String) {
        self.code = code
        self.kind = kind
        self.reason = reason
        self.message = message
    }

    /// Query errors carry their caret rendering; file errors name the file, the byte and the place.
    init(_ error: any Error) {
        switch error {
        case let e as CFailure:
            self = e
        case let e as QueryError:
            self.init(code: EINVAL, kind: DARKSCAN_ERROR_QUERY, reason: e.code.rawValue, message: e.rendered())
        case let e as EVCError:
            self.init(e)
        default:
            self.init(code: EIO, kind: DARKSCAN_ERROR_INTERNAL, reason: "internal", message: String(describing: error))
        }
    }

    init(_ e: EVCError) {
        let code: Int32
        var kind = DARKSCAN_ERROR_FILE
        var reason: String
        switch e.code {
        case .badArgument:
            code = EINVAL
            reason = "bad-argument"
            // An argument naming a file (a pattern matching nothing) is still about files.
            if e.path == nil || e.message.hasPrefix("no field") || e.message.hasPrefix("no cluster") { kind = DARKSCAN_ERROR_ARGUMENT }
        case .io:
            if let p = e.path, access(p, F_OK) != 0 {
                code = ENOENT
                reason = "no-such-file"
            } else {
                code = EIO
                reason = "io"
            }
        case .unsupportedVersion, .unknownFeature:
            code = ENOTSUP
            reason = e.code == .unsupportedVersion ? "unsupported-version" : "unknown-feature"
        case .notEVC: code = EIO; reason = "not-evc"
        case .truncated: code = EIO; reason = "truncated"
        case .corrupt: code = EIO; reason = "corrupt"
        case .checksumMismatch: code = EIO; reason = "checksum-mismatch"
        case .badSchema: code = EIO; reason = "bad-schema"
        case .schemaMismatch: code = EINVAL; reason = "schema-mismatch"
        case .incomplete: code = EIO; reason = "incomplete"
        case .conflict: code = EINVAL; reason = "conflict"
        }
        self.init(code: code, kind: kind, reason: reason, message: e.description)
    }

    /// Writes this failure to the caller's struct (when given) and the thread's last error.
    func report(_ out: UnsafeMutablePointer<darkscan_error>?) -> Int32 {
        darkscan_internal_set_last_error(Int32(kind.rawValue), message)
        if let out {
            out.pointee.code = code
            out.pointee.kind = Int32(kind.rawValue)
            withUnsafeMutableBytes(of: &out.pointee.reason) { copyTruncated(reason, into: $0) }
            withUnsafeMutableBytes(of: &out.pointee.message) { copyTruncated(message, into: $0) }
        }
        return code
    }
}

/// Copies `s` as a NUL-terminated string, cut at a UTF-8 character boundary to fit.
func copyTruncated(_ s: String, into buffer: UnsafeMutableRawBufferPointer) {
    guard buffer.count > 0 else { return }
    var bytes = Array(s.utf8.prefix(buffer.count - 1))
    if bytes.count < s.utf8.count {
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }  // continuation bytes
        if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }  // a lead byte left alone
    }
    buffer.copyBytes(from: bytes)
    buffer[bytes.count] = 0
}

/// Runs `body` for an exported function: 0 when it returns, the failure's code when it throws.
/// A success clears the caller's error struct.
func exported(_ out: UnsafeMutablePointer<darkscan_error>?, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        if let out {
            out.pointee.code = 0
            out.pointee.kind = 0
            out.pointee.reason.0 = 0
            out.pointee.message.0 = 0
        }
        return 0
    } catch {
        return CFailure(error).report(out)
    }
}

/// A C string argument that must be there.
func requiredString(_ p: UnsafePointer<CChar>?, _ what: String) throws(CFailure) -> String {
    guard let p else { throw .argument("\(what) is NULL") }
    return String(decoding: UnsafeRawBufferPointer(start: p, count: strlen(p)), as: UTF8.self)
}

/// An array of `n` C strings (NULL with n == 0 or meaning "none given" as the caller says).
func stringArray(_ p: UnsafePointer<UnsafePointer<CChar>?>?, _ n: Int, _ what: String) throws(CFailure) -> [String]? {
    guard let p else {
        return nil
    }
    guard n <= 1 << 24 else { throw .argument("\(what): \(n) entries is not a plausible count") }
    var out: [String] = []
    out.reserveCapacity(n)
    for i in 0..<n { out.append(try requiredString(p[i], "\(what)[\(i)]")) }
    return out
}

/// malloc'd copy of a string, for strings the caller frees with darkscan_free.
func mallocString(_ s: String) -> UnsafeMutablePointer<CChar> {
    let bytes = Array(s.utf8)
    let p = darkscan_malloc(bytes.count + 1)!.assumingMemoryBound(to: CChar.self)
    for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
    p[bytes.count] = 0
    return p
}
