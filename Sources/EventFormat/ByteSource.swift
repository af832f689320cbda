/// Where a reader gets the bytes of a file: a local file read with `pread`, or a remote one
/// (`root://` over XRootD, `http(s)://` with range requests). Readers copy what they need into
/// their own buffers, so a file that shrinks or fails while it is read gives an error naming the
/// byte, never a signal (Formats/EVC.md, section 12).
public protocol ByteSource: AnyObject, Sendable {
    /// The path or URL, as messages print it.
    var name: String { get }
    /// The size of the file when it was opened.
    var size: Int { get }
    /// Two ranges closer than this are cheaper to read as one (seek or round trip vs. bytes).
    var coalesceGap: Int { get }
    /// Fills `buffer` with the bytes of `ranges`, back to back, in the order given. Throws
    /// `.truncated` when the file now ends before a range ends, `.io` for any other failure.
    func read(_ ranges: [ByteRange], into buffer: UnsafeMutableRawBufferPointer) throws(EVCError)
    /// A hint that `ranges` (already coalesced) will be read soon: a local file asks the kernel
    /// to read them ahead, a remote one starts fetching them. Never throws; a failure shows up
    /// at the read.
    func willNeed(_ ranges: [ByteRange])
    /// Gives back what the source holds while idle (a descriptor, a connection, read-ahead
    /// buffers); the next read takes them again.
    func relinquish()
}

/// `count` bytes at `offset` of a file.
public struct ByteRange: Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var count: Int
    public init(offset: Int, count: Int) {
        self.offset = offset
        self.count = count
    }
    public var end: Int { offset + count }
    public var description: String { "\(offset)+\(count)" }

    /// Sorted ranges merged where they overlap or lie less than `gap` bytes apart, each merged
    /// range at most `maxCount` bytes unless a single input range is larger.
    public static func coalesce(_ ranges: [ByteRange], gap: Int, maxCount: Int = 64 << 20) -> [ByteRange] {
        let sorted = ranges.filter { $0.count > 0 }.sorted { $0.offset < $1.offset }
        var out: [ByteRange] = []
        for r in sorted {
            if var last = out.last, r.offset <= last.end + gap, max(r.end, last.end) - last.offset <= maxCount {
                last.count = max(r.end, last.end) - last.offset
                out[out.count - 1] = last
            } else {
                out.append(r)
            }
        }
        return out
    }
}

extension ByteSource {
    /// The bytes `offset ..< offset + count`, which must lie inside the file as opened.
    public func bytes(at offset: Int, count: Int) throws(EVCError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw EVCError(.truncated, "bytes \(offset)..<\(offset + count) lie past the end of the \(size)-byte file", path: name, offset: offset)
        }
        var out = [UInt8](repeating: 0, count: count)
        let result: Result<Void, EVCError> = out.withUnsafeMutableBytes { b in
            Result { () throws(EVCError) in try read([ByteRange(offset: offset, count: count)], into: b) }
        }
        try result.get()
        return out
    }

    /// Reads one range into `buffer` (exactly its size).
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(EVCError) {
        try read([ByteRange(offset: offset, count: buffer.count)], into: buffer)
    }
}

/// Opens byte sources by location: `root://host[:port]//path` (XRootD), `http://` and
/// `https://` URLs (Range requests), anything else a local path.
public enum ByteSources {
    /// True for the locations that name a remote file.
    public static func isRemote(_ location: String) -> Bool {
        remoteScheme(location) != nil
    }

    static func remoteScheme(_ location: String) -> String? {
        for s in ["root://", "roots://", "xroot://", "http://", "https://"] where location.hasPrefix(s) { return String(s.dropLast(3)) }
        return nil
    }

    public static func open(_ location: String) throws(EVCError) -> ByteSource {
        switch remoteScheme(location) {
        case "root", "roots", "xroot": return try XRootDFile(url: location)
        case "http", "https": return try HTTPFile(url: location)
        default: return try LocalFile(path: location)
        }
    }
}

/// Bytes held in memory, read as a file: for tests, fuzzing, and walking a buffer.
public final class MemoryFile: ByteSource {
    public let name: String
    public let contents: [UInt8]
    public var size: Int { contents.count }
    public var coalesceGap: Int { 0 }

    public init(_ contents: [UInt8], name: String = "<memory>") {
        self.contents = contents
        self.name = name
    }

    public func read(_ ranges: [ByteRange], into buffer: UnsafeMutableRawBufferPointer) throws(EVCError) {
        var at = 0
        for r in ranges {
            guard r.offset >= 0, r.count >= 0, r.end <= contents.count else {
                throw EVCError(.truncated, "file ends before byte \(r.end)", path: name, offset: min(max(r.offset, 0), contents.count))
            }
            if r.count > 0 {
                contents.withUnsafeBytes { src in (buffer.baseAddress! + at).copyMemory(from: src.baseAddress! + r.offset, byteCount: r.count) }
            }
            at += r.count
        }
    }

    public func willNeed(_ ranges: [ByteRange]) {}
    public func relinquish() {}
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body that throws `EVCError`.
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(EVCError) -> T) throws(EVCError) -> T {
        let r: Result<T, EVCError> = withUnsafeBytes { b in Result { () throws(EVCError) in try body(b) } }
        return try r.get()
    }
}
