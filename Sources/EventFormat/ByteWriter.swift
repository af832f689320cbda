/// Appends little-endian values to a byte array: the serializer of every EVC record.
package struct ByteWriter {
    package var bytes: [UInt8] = []

    package init() {}

    package mutating func u8(_ v: UInt8) { bytes.append(v) }
    package mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    package mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    package mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    package mutating func raw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    package mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Writes a record: a u32 size (counting itself) followed by what `body` writes.
    package mutating func record(_ body: (inout ByteWriter) -> Void) {
        let start = bytes.count
        u32(0)
        body(&self)
        let size = UInt32(bytes.count - start)
        withUnsafeBytes(of: size.littleEndian) { s in
            for i in 0..<4 { bytes[start + i] = s[i] }
        }
    }
}
