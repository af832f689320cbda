/// A minimal FlatBuffers serializer for the Arrow IPC metadata (Schema.fbs, Message.fbs,
/// File.fbs). Objects are described as values and laid out front to back: a parent table is
/// written first and its children after it, so every offset points forward, as the format's
/// unsigned offsets require. Each table's vtable is written just before the table.
indirect enum FBObject {
    /// Fields by id (index); nil for absent fields.
    case table([FBField?])
    case vectorOfTables([FBObject])
    /// Inline structs, `align`-aligned, given as their little-endian bytes.
    case vectorOfStructs([UInt8], count: Int, align: Int)
    case string(String)
}

enum FBField {
    /// A little-endian scalar of 1, 2, 4 or 8 bytes.
    case scalar([UInt8])
    /// An offset to another object.
    case object(FBObject)

    static func i16(_ v: Int16) -> FBField { .scalar(withUnsafeBytes(of: v.littleEndian, Array.init)) }
    static func i32(_ v: Int32) -> FBField { .scalar(withUnsafeBytes(of: v.littleEndian, Array.init)) }
    static func i64(_ v: Int64) -> FBField { .scalar(withUnsafeBytes(of: v.littleEndian, Array.init)) }
    static func u8(_ v: UInt8) -> FBField { .scalar([v]) }
    static func bool(_ v: Bool) -> FBField { .scalar([v ? 1 : 0]) }
}

struct FlatBufferWriter {
    private(set) var bytes: [UInt8] = []

    /// Serializes `root`: a u32 offset to the root table, then the objects.
    static func serialize(_ root: FBObject) -> [UInt8] {
        var w = FlatBufferWriter()
        w.bytes = [0, 0, 0, 0]
        let pos = w.write(root)
        w.patch(at: 0, target: pos)
        w.align(8)
        return w.bytes
    }

    mutating func align(_ n: Int) {
        while bytes.count % n != 0 { bytes.append(0) }
    }

    /// Pads until `bytes.count % n == remainder`.
    mutating func align(_ n: Int, remainder: Int) {
        while bytes.count % n != remainder { bytes.append(0) }
    }

    mutating func patch(at slot: Int, target: Int) {
        let rel = UInt32(target - slot)
        withUnsafeBytes(of: rel.littleEndian) { for i in 0..<4 { bytes[slot + i] = $0[i] } }
    }

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    /// Writes `obj` and returns the position offsets to it must point at.
    mutating func write(_ obj: FBObject) -> Int {
        switch obj {
        case .string(let s):
            align(4)
            let pos = bytes.count
            let utf8 = Array(s.utf8)
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
            bytes.append(0)
            return pos
        case .vectorOfStructs(let raw, let count, let align_):
            // The elements follow the u32 count and must be aligned themselves.
            align(max(align_, 4), remainder: (max(align_, 4) - 4) % max(align_, 4))
            let pos = bytes.count
            u32(UInt32(count))
            bytes.append(contentsOf: raw)
            return pos
        case .vectorOfTables(let items):
            align(4)
            let pos = bytes.count
            u32(UInt32(items.count))
            let slots = (0..<items.count).map { pos + 4 + 4 * $0 }
            bytes.append(contentsOf: [UInt8](repeating: 0, count: 4 * items.count))
            for (slot, item) in zip(slots, items) { patch(at: slot, target: write(item)) }
            return pos
        case .table(let fields):
            return writeTable(fields)
        }
    }

    private mutating func writeTable(_ fields: [FBField?]) -> Int {
        // Lay out the inline part: the soffset to the vtable, then fields largest first.
        var layout: [(id: Int, offset: Int, size: Int)] = []
        var present: [(Int, Int)] = []  // (id, size)
        for (id, f) in fields.enumerated() {
            guard let f else { continue }
            switch f {
            case .scalar(let b): present.append((id, b.count))
            case .object: present.append((id, 4))
            }
        }
        present.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        let tableAlign = max(4, present.first?.1 ?? 4)
        var offset = 4
        for (id, size) in present {
            while offset % size != 0 { offset += 1 }
            layout.append((id, offset, size))
            offset += size
        }
        while offset % 4 != 0 { offset += 1 }
        let inlineSize = offset
        // The vtable, just before the table.
        align(2)
        let vtablePos = bytes.count
        u16(UInt16(4 + 2 * fields.count))
        u16(UInt16(inlineSize))
        for id in 0..<fields.count {
            u16(UInt16(layout.first { $0.id == id }?.offset ?? 0))
        }
        align(tableAlign)
        let tablePos = bytes.count
        bytes.append(contentsOf: [UInt8](repeating: 0, count: inlineSize))
        let soffset = Int32(tablePos - vtablePos)
        withUnsafeBytes(of: soffset.littleEndian) { for i in 0..<4 { bytes[tablePos + i] = $0[i] } }
        var children: [(Int, FBObject)] = []
        for l in layout {
            switch fields[l.id]! {
            case .scalar(let b): for i in 0..<b.count { bytes[tablePos + l.offset + i] = b[i] }
            case .object(let o): children.append((tablePos + l.offset, o))
            }
        }
        for (slot, child) in children { patch(at: slot, target: write(child)) }
        return tablePos
    }
}
