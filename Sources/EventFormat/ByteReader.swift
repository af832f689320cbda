/// Reads little-endian values from outside bytes with a bounds check on every read: a corrupt
/// or hostile size never reads past the end, never traps and never allocates more than the
/// bytes that are there.
struct ByteReader {
    let base: UnsafeRawBufferPointer
    /// Absolute file offset of `base[0]`, for error messages.
    let fileOffset: Int
    var position: Int
    var limit: Int
    var context: String

    init(_ base: UnsafeRawBufferPointer, fileOffset: Int, context: String) {
        self.base = base
        self.fileOffset = fileOffset
        self.position = 0
        self.limit = base.count
        self.context = context
    }

    var remaining: Int { limit - position }

    func error(_ message: String, code: EVCError.Code = .corrupt) -> EVCError {
        EVCError(code, "\(context): \(message)", offset: fileOffset + position)
    }

    mutating func need(_ n: Int) throws(EVCError) {
        guard n >= 0, n <= remaining else {
            throw error("needs \(n) more bytes but only \(remaining) remain")
        }
    }

    mutating func u8() throws(EVCError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return base[position]
    }

    mutating func u16() throws(EVCError) -> UInt16 {
        try need(2)
        defer { position += 2 }
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt16.self))
    }

    mutating func u32() throws(EVCError) -> UInt32 {
        try need(4)
        defer { position += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    /// The next u32, not consumed (0 when fewer than 4 bytes remain).
    func peekU32() -> UInt32 {
        remaining >= 4 ? UInt32(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt32.self)) : 0
    }

    mutating func u64() throws(EVCError) -> UInt64 {
        try need(8)
        defer { position += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    /// A u64 that must fit in an Int and stay below `max`.
    mutating func count(_ what: String, max: Int) throws(EVCError) -> Int {
        let v = try u64()
        guard v <= UInt64(max) else { throw error("\(what) \(v) is larger than \(max)") }
        return Int(v)
    }

    mutating func string(_ what: String, max: Int = 1 << 20) throws(EVCError) -> String {
        let n = Int(try u32())
        guard n <= max else { throw error("\(what) length \(n) is larger than \(max)") }
        try need(n)
        defer { position += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: base[position..<position + n]), as: UTF8.self)
    }

    mutating func bytes(_ n: Int) throws(EVCError) -> UnsafeRawBufferPointer {
        try need(n)
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: base[position..<position + n])
    }

    /// A list count: each item takes at least `minItemSize` bytes, so a count that the
    /// remaining bytes cannot hold is corrupt (this keeps absurd counts from allocating).
    mutating func listCount(_ what: String, minItemSize: Int) throws(EVCError) -> Int {
        let n = Int(try u32())
        guard n <= remaining / max(minItemSize, 1) else {
            throw error("\(what) count \(n) cannot fit in the \(remaining) bytes that remain")
        }
        return n
    }

    /// Reads a size-prefixed record: `body` reads the fields it knows; whatever the record holds
    /// beyond them (fields of a newer writer) is skipped.
    mutating func record<T>(_ what: String, minSize: Int, _ body: (inout ByteReader) throws(EVCError) -> T) throws(EVCError) -> T {
        let start = position
        let size = Int(try u32())
        guard size >= minSize, size - 4 <= remaining else {
            position = start
            throw error("\(what) record size \(size) is impossible (at least \(minSize), at most \(remaining) here)")
        }
        var inner = self
        inner.limit = start + size
        let value = try body(&inner)
        position = start + size
        return value
    }
}
