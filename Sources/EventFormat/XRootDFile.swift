import CXRootD
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A file on an XRootD server (`root://host[:port]//path`, as EOS serves them), read with vector
/// reads (kXR_readv) of the byte ranges a query needs, ahead of the workers
/// (`RemoteReadAhead`). Transient failures (connection lost, timeout, server busy) are retried
/// with backoff after reopening the file; a permanent one (no such file, no permission) or the
/// last retry's failure is an `.io` error naming the URL, and later reads of the file fail at
/// once with it (`RemoteReadAhead`). Every request has a deadline (`Remote.timeout`, 30 s by
/// default), so a server that stops answering gives an error after at most 3 attempts of a
/// read and a reopen (about 3 minutes with the default), never a hang.
public final class XRootDFile: ByteSource {
    public let name: String
    public let size: Int
    public var coalesceGap: Int { 256 << 10 }

    /// The open handle; replaced (and the old one closed once unused) when a retry reopens it.
    final class Handle: @unchecked Sendable {
        // Safe: XrdCl::File is thread-safe; the pointer is closed only in deinit.
        let file: OpaquePointer
        init(_ file: OpaquePointer) { self.file = file }
        deinit { dk_xrd_close(file) }
    }
    private let handle: Mutex<Handle>
    private let ahead: Mutex<RemoteReadAhead?> = Mutex(nil)

    static var timeout: UInt16 { UInt16(Remote.timeout) }
    /// The client's own reconnection is bounded by the same timeout (its defaults wait minutes).
    static let configured: Bool = {
        dk_xrd_configure(Int32(timeout), 1, Int32(timeout))
        return true
    }()
    /// Bytes of one chunk and chunks of one kXR_readv: below the protocol's limits.
    static let maxChunk = 1 << 20
    static let maxChunks = 1024

    public init(url: String) throws(EVCError) {
        _ = Self.configured
        name = url
        let (file, size) = try Remote.retrying(url) { () throws(EVCError) in try Self.open(url) }
        self.size = size
        handle = Mutex(Handle(file))
        // Header and tail (trailer and, usually, the footer) in one request.
        ahead.withLock { $0 = makeReadAhead() }
        willNeed(ByteRange.coalesce([ByteRange(offset: 0, count: min(size, 16)),
                                     ByteRange(offset: max(0, size - (64 << 10)), count: min(size, 64 << 10))], gap: coalesceGap))
    }

    private func makeReadAhead() -> RemoteReadAhead {
        RemoteReadAhead { [weak self] (ranges) throws(EVCError) in
            guard let self else { throw EVCError(.io, "file closed") }
            return try self.fetch(ranges)
        }
    }

    static func open(_ url: String) throws(EVCError) -> (OpaquePointer, Int) {
        var err = dk_xrd_error()
        var size: UInt64 = 0
        guard let f = dk_xrd_open(url, timeout, &size, &err) else { throw error(err, url, "cannot open") }
        return (f, Int(size))
    }

    static func error(_ e: dk_xrd_error, _ url: String, _ what: String, offset: Int? = nil) -> EVCError {
        Remote.error(e.message, transient: e.transient != 0, url, what, offset: offset)
    }

    public func read(_ ranges: [ByteRange], into buffer: UnsafeMutableRawBufferPointer) throws(EVCError) {
        try readAhead().read(ranges, into: buffer)
    }

    public func willNeed(_ ranges: [ByteRange]) {
        readAhead().willNeed(ranges)
    }

    private func readAhead() -> RemoteReadAhead {
        ahead.withLock { a in
            if let a { return a }
            let made = makeReadAhead()
            a = made
            return made
        }
    }

    /// Drops what was read ahead; the connection stays (XrdCl shares it between files).
    public func relinquish() { readAhead().clear() }

    /// Reads `ranges` (their bytes back to back) with as few kXR_readv requests as the protocol
    /// allows, retrying transient failures.
    func fetch(_ ranges: [ByteRange]) throws(EVCError) -> OwnedBytes {
        // Split into chunks the protocol accepts.
        var chunks: [(offset: UInt64, length: UInt32, at: Int)] = []
        var at = 0
        for r in ranges {
            guard r.offset >= 0, r.end <= size else {
                throw EVCError(.truncated, "bytes \(r.offset)..<\(r.end) lie past the end of the \(size)-byte file", path: name, offset: r.offset)
            }
            var o = 0
            while o < r.count {
                let n = min(Self.maxChunk, r.count - o)
                chunks.append((UInt64(r.offset + o), UInt32(n), at + o))
                o += n
            }
            at += r.count
        }
        var parts: [OwnedBytes] = []
        var start = 0
        while start < chunks.count {
            let group = Array(chunks[start..<min(chunks.count, start + Self.maxChunks)])
            parts.append(try Remote.retrying(name, reopen: { () throws(EVCError) in try self.reopen() }) { () throws(EVCError) in
                try self.readv(group)
            })
            start += group.count
        }
        if parts.count == 1 { return parts[0] }
        // More than 1024 chunks (over a GiB): one buffer for the caller.
        let all = OwnedBytes(count: at)
        var to = 0
        for p in parts {
            (all.base + to).copyMemory(from: p.base, byteCount: p.count)
            to += p.count
        }
        return all
    }

    private func readv(_ group: [(offset: UInt64, length: UInt32, at: Int)]) throws(EVCError) -> OwnedBytes {
        let h = handle.withLock { $0 }
        var err = dk_xrd_error()
        let offsets = group.map(\.offset), lengths = group.map(\.length)
        var out: UnsafeMutableRawPointer? = nil
        let rc = dk_xrd_readv(h.file, Int32(group.count), offsets, lengths, &out, Self.timeout, &err)
        if rc == 0, let out { return OwnedBytes(taking: out, count: lengths.reduce(0) { $0 + Int($1) }, release: { dk_xrd_release($0) }) }
        let first = Int(group[0].offset)
        // A server that does not answer: retry (no point asking it for the size).
        if rc == -1 && err.transient != 0 { throw Self.error(err, name, "vector read of \(group.count) ranges failed", offset: first) }
        // A short or refused read: did the file shrink?
        var serr = dk_xrd_error()
        let now = dk_xrd_size(h.file, Self.timeout, &serr)
        if now >= 0 && Int(now) < size, let cut = group.first(where: { Int($0.offset) + Int($0.length) > Int(now) }) {
            throw EVCError(.truncated, "file ends before byte \(Int(cut.offset) + Int(cut.length)): it shrank while being read (it is now \(now) bytes; it was \(size) when opened)",
                           path: name, offset: Int(cut.offset))
        }
        throw Self.error(err, name, "vector read of \(group.count) ranges failed", offset: first)
    }

    private func reopen() throws(EVCError) {
        let (f, newSize) = try Self.open(name)
        guard newSize >= size else {
            dk_xrd_close(f)
            throw EVCError(.truncated, "file shrank to \(newSize) bytes while being read (it was \(size))", path: name)
        }
        handle.withLock { $0 = Handle(f) }
    }

    /// The names in the directory `url` (`root://host//dir/`), sorted.
    public static func list(_ url: String) throws(EVCError) -> [String] {
        _ = configured
        var err = dk_xrd_error()
        guard let p = dk_xrd_dirlist(url, timeout, &err) else { throw error(err, url, "cannot list the directory") }
        defer { free(p) }
        return String(cString: p).split(separator: "\n").map(String.init).sorted()
    }
}
