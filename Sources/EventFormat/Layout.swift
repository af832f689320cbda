/// Fixed parts of the EVC layout (Formats/EVC.md): the file header, block framing and trailer.
public enum Layout {
    /// "\x89EVC\r\n\x1a\n": the high byte and the line endings catch 7-bit and text-mode mangling.
    public static let headerMagic: [UInt8] = [0x89, 0x45, 0x56, 0x43, 0x0D, 0x0A, 0x1A, 0x0A]
    /// "\x89EVCEND\n" closes the trailer, the last 8 bytes of a complete file.
    public static let trailerMagic: [UInt8] = [0x89, 0x45, 0x56, 0x43, 0x45, 0x4E, 0x44, 0x0A]
    public static let majorVersion: UInt16 = 1
    /// The highest minor version this reader knows. Writers write 1 only for a file with an
    /// exposure table (section 8.1), 0 otherwise.
    public static let minorVersion: UInt16 = 1
    /// Feature flags this reader understands (none yet). A file with any other bit set is refused.
    public static let knownFeatures: UInt32 = 0
    public static let headerSize = 16
    public static let trailerSize = 32
    /// Block header (tag, flags, payload length) and block checksum.
    public static let blockHeaderSize = 16
    public static let blockOverhead = 24

    /// Upper bounds that keep a hostile footer from asking for absurd work or memory: a page
    /// holds at most 2^28 values and 256 MiB decoded or encoded; a cluster at most 512 MiB of
    /// decoded values over all its columns (Formats/EVC.md, section 7).
    public static let maxPageValues = 1 << 28
    public static let maxPageBytes = 1 << 28
    public static let maxClusterBytes = 1 << 29
    static let maxMetadataBytes = 1 << 30
}

/// The block kinds. Tags are four ASCII bytes read as a little-endian u32.
public enum BlockTag: UInt32, Sendable {
    case schema = 0x4D48_4353  // "SCHM"
    case cluster = 0x5355_4C43  // "CLUS"
    case index = 0x5844_4E49  // "INDX"
    case footer = 0x544F_4F46  // "FOOT"
    case exposure = 0x4F50_5845  // "EXPO" (version 1.1)

    var name: String {
        switch self {
        case .schema: "SCHM"
        case .cluster: "CLUS"
        case .index: "INDX"
        case .footer: "FOOT"
        case .exposure: "EXPO"
        }
    }
}

enum Block {
    /// Frames a payload: tag, flags (0), payload length, payload, XXH3-64 of the payload.
    static func frame(_ tag: BlockTag, _ payload: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(tag.rawValue)
        w.u32(0)
        w.u64(UInt64(payload.count))
        w.raw(payload)
        w.u64(Checksum.xxh3(payload))
        return w.bytes
    }

    /// Reads and checks the block at `offset` of `source` (its header, then its payload and
    /// checksum): its tag must be `expected`, it must lie inside the file and its checksum must
    /// match. Returns the payload.
    static func read(_ source: ByteSource, at offset: Int, expected: BlockTag) throws(EVCError) -> [UInt8] {
        let size = source.size
        guard offset >= 0, offset <= size - Layout.blockOverhead else {
            throw EVCError(.truncated, "\(expected.name) block at \(offset) lies past the end of the \(size)-byte file", offset: offset)
        }
        let head = try source.bytes(at: offset, count: Layout.blockHeaderSize)
        let length = try head.withBytes { (h) throws(EVCError) in try checkHeader(h, at: offset, expected: expected, fileSize: size) }
        var body = try source.bytes(at: offset + Layout.blockHeaderSize, count: length + 8)
        let stored = body.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: length, as: UInt64.self)) }
        body.removeLast(8)
        guard Checksum.xxh3(body) == stored else {
            throw EVCError(.checksumMismatch, "\(expected.name) block checksum does not match its bytes", offset: offset)
        }
        return body
    }

    /// Reads the block at `offset` whatever its tag (one of a newer minor version): its flags must
    /// be 0, it must lie inside the file and its checksum must match. Returns the payload length.
    static func readUnknown(_ source: ByteSource, at offset: Int) throws(EVCError) -> Int {
        let size = source.size
        guard offset >= 0, offset <= size - Layout.blockOverhead else { throw EVCError(.truncated, "block lies past the end of the file", offset: offset) }
        let head = try source.bytes(at: offset, count: Layout.blockHeaderSize)
        let (flags, length) = head.withUnsafeBytes {
            (UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)), UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        guard flags == 0, length <= UInt64(size - offset - Layout.blockOverhead) else {
            throw EVCError(.corrupt, "not a block a reader may skip", offset: offset)
        }
        var body = try source.bytes(at: offset + Layout.blockHeaderSize, count: Int(length) + 8)
        let stored = body.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: Int(length), as: UInt64.self)) }
        body.removeLast(8)
        guard Checksum.xxh3(body) == stored else { throw EVCError(.checksumMismatch, "block checksum does not match its bytes", offset: offset) }
        return Int(length)
    }

    /// Checks a block's 16-byte header (tag, flags, payload length within a file of `fileSize`
    /// bytes) and returns the payload length.
    static func checkHeader(_ file: UnsafeRawBufferPointer, at offset: Int, expected: BlockTag, fileSize: Int) throws(EVCError) -> Int {
        let tag = UInt32(littleEndian: file.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard tag == expected.rawValue else {
            throw EVCError(.corrupt, "expected a \(expected.name) block, found tag 0x\(String(tag, radix: 16))", offset: offset)
        }
        let flags = UInt32(littleEndian: file.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard flags == 0 else {
            throw EVCError(.unknownFeature, "\(expected.name) block has unknown flags 0x\(String(flags, radix: 16))", offset: offset + 4)
        }
        let length = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard length <= UInt64(fileSize - offset - Layout.blockOverhead) else {
            throw EVCError(.truncated, "\(expected.name) block claims \(length) payload bytes; the file ends first", offset: offset + 8)
        }
        return Int(length)
    }
}

/// The fixed 32-byte end of a file: where the footer is, a checksum of those 16 bytes, magic.
struct Trailer: Equatable {
    var footerOffset: Int
    var footerSize: Int

    func bytes() -> [UInt8] {
        var w = ByteWriter()
        w.u64(UInt64(footerOffset))
        w.u64(UInt64(footerSize))
        w.u64(Checksum.xxh3(w.bytes))
        w.raw(Layout.trailerMagic)
        return w.bytes
    }

    /// Parses the trailer that ends at `end`. Errors say what is wrong; offsets are absolute.
    static func read(_ source: ByteSource, endingAt end: Int) throws(EVCError) -> Trailer {
        let start = end - Layout.trailerSize
        guard start >= Layout.headerSize else {
            throw EVCError(.truncated, "file of \(end) bytes is too short to hold a header and a trailer", offset: 0)
        }
        let bytes = try source.bytes(at: start, count: Layout.trailerSize)
        return try bytes.withBytes { (b) throws(EVCError) in try parse(b, at: start) }
    }

    /// Parses the 32 trailer bytes `t`, which start at byte `start` of the file.
    static func parse(_ t: UnsafeRawBufferPointer, at start: Int) throws(EVCError) -> Trailer {
        let end = start + Layout.trailerSize
        let file = UnsafeRawBufferPointer(rebasing: t[0..<Layout.trailerSize])
        let magic = Array(file[24..<32])
        guard magic == Layout.trailerMagic else {
            throw EVCError(.incomplete, "no EVC trailer at the end: the file was not closed (interrupted write?) or is truncated; `darkscan recover` restores its complete clusters", offset: end - 8)
        }
        let fields = UnsafeRawBufferPointer(rebasing: file[0..<16])
        let sum = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        guard Checksum.xxh3(fields) == sum else {
            throw EVCError(.checksumMismatch, "trailer checksum does not match its bytes", offset: start)
        }
        let off = UInt64(littleEndian: fields.loadUnaligned(as: UInt64.self))
        let size = UInt64(littleEndian: fields.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        guard off >= UInt64(Layout.headerSize), size >= UInt64(Layout.blockOverhead), off <= UInt64(start), size <= UInt64(start) - off else {
            throw EVCError(.corrupt, "trailer points at a footer (offset \(off), size \(size)) outside the file", offset: start)
        }
        return Trailer(footerOffset: Int(off), footerSize: Int(size))
    }
}

/// The 16-byte file header: magic, major and minor version, required feature flags.
enum FileHeader {
    static func bytes(minor: UInt16 = 0) -> [UInt8] {
        var w = ByteWriter()
        w.raw(Layout.headerMagic)
        w.u16(Layout.majorVersion)
        w.u16(minor)
        w.u32(0)
        return w.bytes
    }

    /// Checks magic, version and features; returns (major, minor).
    static func check(_ file: UnsafeRawBufferPointer) throws(EVCError) -> (UInt16, UInt16) {
        guard file.count > 0 else { throw EVCError(.notEVC, "file is empty", offset: 0) }
        guard file.count >= Layout.headerSize else {
            if Array(file) == Array(Layout.headerMagic.prefix(file.count)) {
                throw EVCError(.truncated, "file is cut off inside its \(Layout.headerSize)-byte header (\(file.count) bytes)", offset: file.count)
            }
            throw EVCError(.notEVC, "not an EVC file (\(file.count) bytes, no EVC magic)", offset: 0)
        }
        guard Array(file[0..<8]) == Layout.headerMagic else {
            throw EVCError(.notEVC, "not an EVC file (wrong magic bytes)", offset: 0)
        }
        let major = UInt16(littleEndian: file.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        let minor = UInt16(littleEndian: file.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
        guard major == Layout.majorVersion else {
            throw EVCError(.unsupportedVersion, "EVC version \(major).\(minor) is not supported by this reader (reads \(Layout.majorVersion).x)", offset: 8)
        }
        let features = UInt32(littleEndian: file.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard features & ~Layout.knownFeatures == 0 else {
            throw EVCError(.unknownFeature, "file requires unknown feature flags 0x\(String(features & ~Layout.knownFeatures, radix: 16))", offset: 12)
        }
        return (major, minor)
    }
}
