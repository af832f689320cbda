import CHTTP

/// A file served over `http://` or `https://`, read with Range requests through libcurl (its
/// connections kept open between requests), ahead of the workers (`RemoteReadAhead`, one
/// request per coalesced range, several at once). A server that ignores ranges is an error,
/// never a download of the whole file; transient failures (connection lost, timeout, HTTP 5xx or
/// 429) are retried as for XRootD, with the same deadline per request.
public final class HTTPFile: ByteSource {
    public let name: String
    public let size: Int
    public var coalesceGap: Int { 256 << 10 }
    private let ahead: RemoteReadAhead

    public init(url: String) throws(EVCError) {
        name = url
        let size = try Remote.retrying(url) { () throws(EVCError) in try Self.size(url) }
        self.size = size
        ahead = RemoteReadAhead(fetch: Self.fetcher(url: url, size: size))
        // Header and tail (trailer and, usually, the footer) at once.
        willNeed([ByteRange(offset: 0, count: min(size, 16)), ByteRange(offset: max(0, size - (64 << 10)), count: min(size, 64 << 10))])
    }

    public func read(_ ranges: [ByteRange], into buffer: UnsafeMutableRawBufferPointer) throws(EVCError) {
        try ahead.read(ranges, into: buffer)
    }

    public func willNeed(_ ranges: [ByteRange]) { ahead.willNeed(ranges) }

    public func relinquish() { ahead.clear() }

    static func error(_ e: dk_http_error, _ url: String, _ what: String, offset: Int? = nil) -> EVCError {
        Remote.error(e.message, transient: e.transient != 0, url, what, offset: offset)
    }

    static func size(_ url: String) throws(EVCError) -> Int {
        var err = dk_http_error()
        let n = dk_http_size(url, Int32(Remote.timeout), &err)
        guard n >= 0 else { throw error(err, url, "cannot open") }
        return Int(n)
    }

    /// Reads ranges with one Range request each, retrying transient failures.
    static func fetcher(url: String, size: Int) -> RemoteReadAhead.Fetch {
        { (ranges) throws(EVCError) -> OwnedBytes in
            let out = OwnedBytes(count: ranges.reduce(0) { $0 + $1.count })
            var at = 0
            for r in ranges {
                guard r.offset >= 0, r.end <= size else {
                    throw EVCError(.truncated, "bytes \(r.offset)..<\(r.end) lie past the end of the \(size)-byte file", path: url, offset: r.offset)
                }
                try Remote.retrying(url) { () throws(EVCError) in
                    var err = dk_http_error()
                    let rc = dk_http_read(url, UInt64(r.offset), UInt64(r.count), out.base + at, Int32(Remote.timeout), &err)
                    guard rc != 0 else { return }
                    if rc == -1 && err.transient != 0 { throw error(err, url, "read of \(r.count) bytes failed", offset: r.offset) }
                    // Refused or short: did the file shrink?
                    if let now = try? Self.size(url), now < size {
                        throw EVCError(.truncated, "file ends before byte \(r.end): it shrank while being read (it is now \(now) bytes; it was \(size) when opened)",
                                       path: url, offset: r.offset)
                    }
                    throw error(err, url, "read of \(r.count) bytes failed", offset: r.offset)
                }
                at += r.count
            }
            return out
        }
    }
}
