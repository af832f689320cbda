#if canImport(Glibc)
import Glibc
#endif

/// What makes an EVC file the one a plan was made from (Formats/DISTRIBUTED.md, section 1.1):
/// its size, its modification time and the checksum of its footer. Reading it costs a `stat`
/// and two small reads at the end of the file; no data and no index.
public struct FileIdentity: Sendable, Equatable, CustomStringConvertible {
    public var size: Int
    /// Nanoseconds since 1970-01-01 UTC.
    public var mtimeNanoseconds: Int
    /// XXH3-64 of the FOOT payload, as stored after it.
    public var footerChecksum: UInt64

    public init(size: Int, mtimeNanoseconds: Int, footerChecksum: UInt64) {
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.footerChecksum = footerChecksum
    }

    /// Reads the identity of the EVC file at `path`.
    public init(path: String) throws(EVCError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EVCError(.io, "cannot open: \(String(cString: strerror(errno)))", path: path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw EVCError(.io, "cannot stat: \(String(cString: strerror(errno)))", path: path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw EVCError(.io, "is not a regular file", path: path) }
        size = Int(st.st_size)
        mtimeNanoseconds = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
        guard size >= Layout.headerSize + Layout.trailerSize else {
            throw EVCError(.truncated, "file of \(size) bytes is too short to hold a header and a trailer", path: path, offset: 0)
        }
        let trailer = try Self.read(fd, count: Layout.trailerSize, at: size - Layout.trailerSize, path: path)
        guard Array(trailer[24..<32]) == Layout.trailerMagic else {
            throw EVCError(.incomplete, "no EVC trailer at the end: the file was not closed or is truncated", path: path, offset: size - 8)
        }
        let fields = Array(trailer[0..<16])
        guard Checksum.xxh3(fields) == Self.u64(trailer, 16) else {
            throw EVCError(.checksumMismatch, "trailer checksum does not match its bytes", path: path, offset: size - Layout.trailerSize)
        }
        let footerOffset = Self.u64(trailer, 0), footerSize = Self.u64(trailer, 8)
        let limit = UInt64(size - Layout.trailerSize)
        guard footerSize >= UInt64(Layout.blockOverhead), footerOffset >= UInt64(Layout.headerSize), footerOffset <= limit,
              footerSize <= limit - footerOffset else {
            throw EVCError(.corrupt, "trailer points at a footer (offset \(footerOffset), size \(footerSize)) outside the file", path: path,
                           offset: size - Layout.trailerSize)
        }
        let stored = try Self.read(fd, count: 8, at: Int(footerOffset + footerSize) - 8, path: path)
        footerChecksum = Self.u64(stored, 0)
    }

    /// XXH3-64 of the whole content of the file at `path` (a job's part files record it).
    public static func contentChecksum(path: String) throws(EVCError) -> UInt64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EVCError(.io, "cannot open: \(String(cString: strerror(errno)))", path: path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw EVCError(.io, "cannot stat: \(String(cString: strerror(errno)))", path: path) }
        let size = Int(st.st_size)
        guard size > 0 else { return Checksum.xxh3([]) }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw EVCError(.io, "cannot map \(size) bytes: \(String(cString: strerror(errno)))", path: path)
        }
        defer { munmap(p, size) }
        madvise(p, size, MADV_SEQUENTIAL)
        // Safe: the mapping is read only here and unmapped after.
        return Checksum.xxh3(UnsafeRawBufferPointer(start: p, count: size))
    }

    /// The checksum as 16 lowercase hexadecimal digits.
    public var footerChecksumHex: String { Self.hex(footerChecksum) }

    public var description: String { "size \(size), mtime_ns \(mtimeNanoseconds), footer checksum \(footerChecksumHex)" }

    /// How `other` differs from this identity, in words ("size 120 -> 118, footer checksum …"),
    /// or nil when they are equal.
    public func difference(to other: FileIdentity) -> String? {
        var parts: [String] = []
        if size != other.size { parts.append("size \(size) -> \(other.size) bytes") }
        if mtimeNanoseconds != other.mtimeNanoseconds { parts.append("mtime_ns \(mtimeNanoseconds) -> \(other.mtimeNanoseconds)") }
        if footerChecksum != other.footerChecksum { parts.append("footer checksum \(footerChecksumHex) -> \(other.footerChecksumHex)") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    public static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Parses 16 hexadecimal digits.
    public static func parseHex(_ s: String) -> UInt64? {
        guard s.utf8.count == 16 else { return nil }
        return UInt64(s, radix: 16)
    }

    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }

    static func read(_ fd: Int32, count: Int, at offset: Int, path: String) throws(EVCError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let why = n < 0 ? String(cString: strerror(errno)) : "the file ended"
                throw EVCError(.io, "cannot read \(count) bytes: \(why)", path: path, offset: offset + done)
            }
            done += n
        }
        return out
    }
}
