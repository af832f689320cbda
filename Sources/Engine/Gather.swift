import EventFormat

/// Appends the selected events' values of one column to an output buffer: one resize per column
/// and batch, then a typed copy per event (no per-value calls into the buffer).
enum Gather {
    /// `per` values of `width` bytes per event, at `src` for the whole batch.
    static func fixed(_ src: UnsafeRawPointer, width: Int, per: Int, _ sel: UnsafeBufferPointer<Int32>, to dst: ColumnBuffer) {
        guard !sel.isEmpty else { return }
        let at = dst.count
        dst.resize(at + sel.count * per)
        let out = dst.mutableRawBytes.baseAddress! + at * width
        // Safe: every index of `sel` is below the batch size, and `src` holds the batch's values.
        func copy<T>(_: T.Type) {
            let w = MemoryLayout<T>.stride
            for (k, i) in sel.enumerated() { out.storeBytes(of: src.load(fromByteOffset: Int(i) &* w, as: T.self), toByteOffset: k &* w, as: T.self) }
        }
        switch width * per {
        case 1: copy(UInt8.self)
        case 2: copy(UInt16.self)
        case 4: copy(UInt32.self)
        case 8: copy(UInt64.self)
        default:
            let bytes = width * per
            for (k, i) in sel.enumerated() { (out + k * bytes).copyMemory(from: src + Int(i) * bytes, byteCount: bytes) }
        }
    }

    /// The lengths of the selected events' lists, as running end offsets continuing the output's.
    /// `ends` are the batch's end offsets (count + 1 entries).
    static func offsets(_ ends: [Int], _ sel: UnsafeBufferPointer<Int32>, to dst: ColumnBuffer) {
        guard !sel.isEmpty else { return }
        let at = dst.count
        var last: UInt64 = at == 0 ? 0 : dst.buffer(UInt64.self)[at - 1]
        dst.resize(at + sel.count)
        let o = dst.mutableRawBytes.baseAddress!.assumingMemoryBound(to: UInt64.self) + at
        ends.withUnsafeBufferPointer { e in
            for (k, i) in sel.enumerated() {
                last &+= UInt64(e[Int(i) + 1] &- e[Int(i)])
                o[k] = last
            }
        }
    }

    /// The selected events' list elements (`width` bytes each) from the batch's elements at
    /// `src`, split by the batch's end offsets `ends`.
    static func lists(_ src: UnsafeRawPointer, width: Int, ends: [Int], _ sel: UnsafeBufferPointer<Int32>, to dst: ColumnBuffer) {
        guard !sel.isEmpty else { return }
        ends.withUnsafeBufferPointer { e in
            var total = 0
            for i in sel { total &+= e[Int(i) + 1] &- e[Int(i)] }
            let at = dst.count
            dst.resize(at + total)
            var out = dst.mutableRawBytes.baseAddress! + at * width
            for i in sel {
                let a = e[Int(i)], b = e[Int(i) + 1]
                out.copyMemory(from: src + a * width, byteCount: (b - a) * width)
                out += (b - a) * width
            }
        }
    }
}
