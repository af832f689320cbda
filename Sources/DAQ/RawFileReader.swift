import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An event found in a raw file: where it starts in the file and in the reader's buffer.
public struct RawEventRef: Sendable {
    public var fileOffset: Int
    public var bufferOffset: Int
    public var size: Int
}

/// Bytes of a raw file that were skipped, and why: a bad event, or garbage between events.
public struct BadRegion: Sendable, Equatable {
    public var offset: Int
    public var length: Int
    public var code: DAQError.Code
    public var reason: String
}

/// Reads a raw file in chunks of whole events with memory bounded by the chunk size (not the
/// file size), checking every event's envelope: the DATE header, the chain of equipments and the
/// CRC32C equipment when there is one. Bad events and garbage are reported as `BadRegion`s and
/// skipped; the reader resynchronizes on the next acceptable event header (Formats/RAW.md 13).
public final class RawFileReader {
    public let path: String
    public let fileSize: Int
    public let chunkSize: Int
    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    /// File offset of buffer[0], bytes filled, bytes already consumed.
    private var base: Int
    private var filled = 0
    private var consumed = 0
    /// A bad region whose end is not known yet.
    private var pending: BadRegion?

    /// Opens `path`, starting at byte `offset` (for resuming a conversion).
    public init(path: String, offset: Int = 0, chunkSize: Int = 8 << 20) throws(DAQError) {
        self.path = path
        self.chunkSize = max(chunkSize, 1 << 16)
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DAQError(.io, "cannot open: \(String(cString: strerror(errno)))", path: path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw DAQError(.io, "cannot stat: \(String(cString: strerror(errno)))", path: path)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw DAQError(.io, (st.st_mode & S_IFMT) == S_IFDIR ? "is a directory, not a raw file" : "is not a regular file", path: path)
        }
        fileSize = Int(st.st_size)
        base = min(max(offset, 0), fileSize)
        // A chunk plus the largest event, or the whole rest of a smaller file.
        buffer = .allocate(byteCount: max(1, min(self.chunkSize + DATE.maxEventSize, fileSize - base)), alignment: 64)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// A chunk of events; its bytes stay valid until the next call to `nextChunk`.
    public struct Chunk {
        public var bytes: UnsafeRawBufferPointer
        public var events: [RawEventRef]
        public var bad: [BadRegion]
        /// File offset just past what this chunk covered.
        public var end: Int
    }

    /// The next chunk of whole events, or nil at the end of the file.
    public func nextChunk() throws(DAQError) -> Chunk? {
        // Keep the unconsumed tail, read more behind it.
        if consumed > 0 {
            let rest = filled - consumed
            if rest > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + consumed, byteCount: rest) }
            base += consumed
            filled = rest
            consumed = 0
        }
        let want = min(buffer.count, filled + chunkSize)
        while filled < want && base + filled < fileSize {
            let n = pread(fd, buffer.baseAddress! + filled, want - filled, off_t(base + filled))
            if n < 0 {
                if errno == EINTR { continue }
                throw DAQError(.io, "read failed: \(String(cString: strerror(errno)))", path: path, offset: base + filled)
            }
            if n == 0 { break }
            filled += n
        }
        let atEnd = base + filled >= fileSize
        if filled == 0 && pending == nil { return nil }
        var chunk = Chunk(bytes: UnsafeRawBufferPointer(buffer), events: [], bad: [], end: base)
        var pos = 0
        let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: filled)
        scan: while true {
            let left = filled - pos
            if left < DATE.headerSize {
                guard atEnd else { break }
                if left > 0 {
                    note(&chunk, at: base + pos, .truncated, "\(left) bytes at the end of the file are too few for an event header")
                }
                pos = filled
                finishPending(&chunk, at: base + pos)
                break
            }
            switch Self.checkHeader(bytes, at: pos) {
            case .event(let size):
                if size > left {
                    guard atEnd else { break scan }
                    note(&chunk, at: base + pos, .truncated, "event of \(size) bytes is cut off by the end of the file after \(left) bytes")
                    guard skip(bytes, &pos, atEnd: atEnd) else { break scan }
                    continue
                }
                if let problem = Self.checkEnvelope(bytes, at: pos, size: size) {
                    note(&chunk, at: base + pos, problem.0, problem.1)
                    guard skip(bytes, &pos, atEnd: atEnd) else { break scan }
                    continue
                }
                finishPending(&chunk, at: base + pos)
                chunk.events.append(RawEventRef(fileOffset: base + pos, bufferOffset: pos, size: size))
                pos += size
            case .reject(let code, let reason):
                note(&chunk, at: base + pos, code, reason)
                guard skip(bytes, &pos, atEnd: atEnd) else { break scan }
            }
        }
        consumed = pos
        chunk.end = base + pos
        if atEnd && pos >= filled { finishPending(&chunk, at: base + filled) }
        return chunk
    }

    /// Moves `pos` past a bad spot to the next acceptable event. Returns false when the rest of
    /// the buffer holds none and more of the file follows (the last bytes are kept: a magic word
    /// may straddle the chunk boundary).
    private func skip(_ bytes: UnsafeRawBufferPointer, _ pos: inout Int, atEnd: Bool) -> Bool {
        if let next = resync(bytes, from: pos + 1, atEnd: atEnd) {
            pos = next
            return true
        }
        if atEnd {
            pos = filled
            return true
        }
        pos = max(pos + 1, filled - 7)
        return false
    }

    /// Starts a bad region at `offset`, unless one is open already (resynchronizing after a bad
    /// event swallows the bytes up to the next good one into the same report).
    private func note(_ chunk: inout Chunk, at offset: Int, _ code: DAQError.Code, _ reason: String) {
        if pending == nil { pending = BadRegion(offset: offset, length: 0, code: code, reason: reason) }
    }

    private func finishPending(_ chunk: inout Chunk, at end: Int) {
        guard var p = pending else { return }
        p.length = end - p.offset
        chunk.bad.append(p)
        pending = nil
    }

    /// Position of the next acceptable event start at or after `from`, within the filled bytes.
    /// Candidates are found by the magic word; each must pass the header and envelope checks
    /// (a candidate cut off by the end of the buffer is returned when more data may follow).
    private func resync(_ bytes: UnsafeRawBufferPointer, from: Int, atEnd: Bool) -> Int? {
        var p = max(from, 0)
        let magic = DATE.magic.littleEndian
        while p + 8 <= bytes.count {
            let found = withUnsafeBytes(of: magic) { m in
                dk_find4(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + p + 4, bytes.count - p - 4,
                         m.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard found >= 0 else { return nil }
            let q = p + 4 + found
            let start = q - 4
            // A header cut off by the end of the buffer: wait for more bytes, or give up at the end.
            guard start + DATE.headerSize <= bytes.count else { return atEnd ? nil : start }
            if case .event(let size) = Self.checkHeader(bytes, at: start) {
                if start + size > bytes.count { return atEnd ? nil : start }
                if Self.checkEnvelope(bytes, at: start, size: size) == nil { return start }
            }
            p = start + 1
        }
        return nil
    }

    enum HeaderCheck {
        case event(size: Int)
        case reject(DAQError.Code, String)
    }

    static func word(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    /// Checks the 17-word header at `at` (the caller made sure 68 bytes are there).
    static func checkHeader(_ b: UnsafeRawBufferPointer, at: Int) -> HeaderCheck {
        let magic = word(b, at + 4)
        if magic == DATE.swappedMagic { return .reject(.wrongByteOrder, "DATE magic in the wrong byte order: a big-endian file?") }
        guard magic == DATE.magic else { return .reject(.garbage, "no DATE event header here (magic 0x\(String(magic, radix: 16)))") }
        let size = Int(word(b, at))
        guard word(b, at + 8) == DATE.headerSize else { return .reject(.badHeader, "header length \(word(b, at + 8)), expected 68") }
        guard word(b, at + 12) >= 0xFFFF else { return .reject(.badHeader, "DATE version 0x\(String(word(b, at + 12), radix: 16)) is older than 3.6") }
        guard DATE.EventType(rawValue: word(b, at + 16)) != nil else { return .reject(.badHeader, "unknown event type \(word(b, at + 16))") }
        guard size >= DATE.headerSize, size % 4 == 0, size <= DATE.maxEventSize else {
            return .reject(.badHeader, "impossible event size \(size) bytes")
        }
        return .event(size: size)
    }

    /// Checks that the equipments fill the event exactly and, when the event ends with a CRC32C
    /// equipment, that the CRC holds. Returns the problem, or nil.
    static func checkEnvelope(_ b: UnsafeRawBufferPointer, at start: Int, size: Int) -> (DAQError.Code, String)? {
        var p = DATE.headerSize
        var crcAt: Int? = nil
        while p < size {
            guard p + Equipment.overhead <= size else { return (.structure, "equipment at event byte \(p) is cut off by the event's end") }
            let eqSize = Int(word(b, start + p))
            guard eqSize >= Equipment.overhead, eqSize % 4 == 0, p + eqSize <= size else {
                return (.structure, "equipment at event byte \(p) has an impossible size \(eqSize)")
            }
            let slink = Int(word(b, start + p + Equipment.headerSize) & 0xFFFF)
            guard Equipment.headerSize + 4 * slink == eqSize else {
                return (.structure, "equipment at event byte \(p): S-Link size \(slink) words disagrees with its \(eqSize) bytes")
            }
            if word(b, start + p + 4) == Equipment.Kind.crc32c.rawValue {
                guard eqSize == Equipment.crcSize, p + eqSize == size else { return (.structure, "CRC32C equipment is not the last one or has the wrong size") }
                crcAt = start + p + Equipment.overhead
            }
            p += eqSize
        }
        if let crcAt {
            let stored = word(b, crcAt)
            let computed = dk_crc32c(0, b.baseAddress! + start, size - 4)
            guard stored == computed else {
                return (.crc, "CRC32C mismatch (stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16)))")
            }
        }
        return nil
    }
}
