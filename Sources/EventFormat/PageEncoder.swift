import CKernels

/// Encodes a page's values, and picks an encoding for them by a cheap trial. Work buffers are
/// passed in and reused from page to page, so encoding a page allocates nothing.
enum PageEncoder {
    /// Reusable work space of one encoding thread.
    final class Scratch {
        let wide = ColumnBuffer(type: .uint64)
        let trial = ColumnBuffer(type: .uint8)
        let trialOut = ColumnBuffer(type: .uint8)
    }

    /// Convenience for tests: the encoded bytes as an array.
    static func encode(_ values: UnsafeRawBufferPointer, count n: Int, type: ScalarType, as encoding: Encoding) -> [UInt8] {
        let out = ColumnBuffer(type: .uint8)
        encode(values, count: n, type: type, as: encoding, into: out, scratch: Scratch())
        return Array(out.rawBytes)
    }

    /// Replaces the contents of `out` with the encoded page.
    static func encode(_ values: UnsafeRawBufferPointer, count n: Int, type: ScalarType, as encoding: Encoding,
                       into out: ColumnBuffer, scratch: Scratch) {
        let w = type.width
        precondition(encoding.applies(to: type) && values.count == n * w && out.type == .uint8)
        switch encoding {
        case .plain:
            out.resize(n * w)
            if n > 0 { out.mutableRawBytes.copyMemory(from: values) }
        case .byteSplit:
            out.resize(n * w)
            if n > 0 { dk_bytesplit_encode(values.baseAddress!.assumingMemoryBound(to: UInt8.self), n, w, out.mutableRawBytes.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        case .bitPackedBool:
            out.resize((n + 7) / 8)
            let o = out.mutableRawBytes
            o.initializeMemory(as: UInt8.self, repeating: 0)
            for i in 0..<n where values[i] != 0 { o[i >> 3] |= 1 << UInt8(i & 7) }
        case .frameOfReference:
            let wide = widen(values, n, type, scratch)
            let (lo, hi) = IntegerView.minMax(values, count: n, type: type)
            for i in 0..<n { wide[i] = wide[i] &- lo }
            let bits = bitWidth(hi &- lo)
            out.resize(9 + dk_bitpack_size(n, UInt32(bits)))
            let o = out.mutableRawBytes
            o.storeBytes(of: lo.littleEndian, toByteOffset: 0, as: UInt64.self)
            o[8] = UInt8(bits)
            dk_bitpack(UnsafePointer(wide.baseAddress!), n, UInt32(bits), o.baseAddress!.assumingMemoryBound(to: UInt8.self) + 9)
        case .delta:
            let wide = widen(values, n, type, scratch)
            let first = wide[0]
            let (minDelta, bits) = deltaRange(UnsafeBufferPointer(wide))
            // Deltas above the minimum, in place from the back: wide[i-1] = v[i] - v[i-1] - minDelta.
            for i in 1..<max(n, 1) { wide[i - 1] = (wide[i] &- wide[i - 1]) &- minDelta }
            out.resize(17 + dk_bitpack_size(n - 1, UInt32(bits)))
            let o = out.mutableRawBytes
            o.storeBytes(of: first.littleEndian, toByteOffset: 0, as: UInt64.self)
            o.storeBytes(of: minDelta.littleEndian, toByteOffset: 8, as: UInt64.self)
            o[16] = UInt8(bits)
            dk_bitpack(UnsafePointer(wide.baseAddress!), n - 1, UInt32(bits), o.baseAddress!.assumingMemoryBound(to: UInt8.self) + 17)
        case .constant:
            out.resize(w)
            out.mutableRawBytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: values[0..<w]))
        case .runLength:
            out.resize(runLengthSize(values, count: n, width: w).bytes)
            let o = out.mutableRawBytes
            var at = 0, i = 0
            while i < n {
                var j = i + 1
                while j < n && sameValue(values, i, j, w) { j += 1 }
                var run = j - i
                while run >= 0x80 {
                    o[at] = UInt8(run & 0x7f) | 0x80
                    at += 1
                    run >>= 7
                }
                o[at] = UInt8(run)
                at += 1
                UnsafeMutableRawBufferPointer(rebasing: o[at..<at + w]).copyMemory(from: UnsafeRawBufferPointer(rebasing: values[i * w..<(i + 1) * w]))
                at += w
                i = j
            }
        }
    }

    /// The values widened to 64 bits in the scratch buffer (valid until the next call).
    static func widen(_ values: UnsafeRawBufferPointer, _ n: Int, _ type: ScalarType, _ scratch: Scratch) -> UnsafeMutableBufferPointer<UInt64> {
        scratch.wide.resize(n)
        let p = UnsafeMutableBufferPointer(mutating: scratch.wide.buffer(UInt64.self))
        if n > 0 { dk_widen(values.baseAddress!, n, type.width, type.isSignedInteger ? 1 : 0, p.baseAddress!) }
        return p
    }

    /// Picks the encoding for a page. Sizes of the integer encodings are computed exactly; for
    /// floats, plain and byte-split are both compressed on a sample and the smaller wins.
    /// `trialResult`, for floats, is the plain-or-split choice an earlier page of the same column
    /// chunk made by trial compression; it is reused instead of compressing trials again.
    static func choose(_ values: UnsafeRawBufferPointer, count n: Int, type: ScalarType, codec: Codec, scratch: Scratch,
                       trialResult: Encoding? = nil) -> Encoding {
        let w = type.width
        guard n > 0 else { return .plain }
        // Run-length coding must beat plain (integers) or a quarter of plain (floats): stop
        // counting runs once it cannot.
        // (For floats, a first 1024 values without long runs settle it.)
        let plainLimit = type.isInteger || type == .bool ? n * w : n * w / 4
        let prefix = min(n, 1024)
        let floatsWithoutRuns = !(type.isInteger || type == .bool) && runLengthSize(values, count: prefix, width: w, limit: prefix * w / 4).bytes > prefix * w / 4
        let (runs, rleBytes) = floatsWithoutRuns ? (2, n * w + 1) : runLengthSize(values, count: n, width: w, limit: plainLimit)
        if runs == 1 { return .constant }
        if type == .bool { return .bitPackedBool }
        let plainBytes = n * w
        if type.isInteger {
            let (lo, hi) = IntegerView.minMax(values, count: n, type: type)
            let forBytes = 9 + dk_bitpack_size(n, UInt32(bitWidth(hi &- lo)))
            let wide = widen(values, n, type, scratch)
            let deltaBytes = 17 + dk_bitpack_size(n - 1, UInt32(deltaRange(UnsafeBufferPointer(wide)).bits))
            // Frame of reference decodes without a serial dependency: prefer it unless delta
            // saves at least an eighth.
            var best: (Encoding, Int) = (.frameOfReference, forBytes)
            if deltaBytes < forBytes - forBytes / 8 { best = (.delta, deltaBytes) }
            if rleBytes < best.1 - best.1 / 8 { best = (.runLength, rleBytes) }
            if plainBytes < best.1 { best = (.plain, plainBytes) }
            return best.0
        }
        if rleBytes * 4 <= plainBytes { return .runLength }
        if codec == .none { return .plain }
        if let trialResult { return trialResult }
        let sampleCount = min(n, 16384)
        let sample = UnsafeRawBufferPointer(rebasing: values[0..<sampleCount * w])
        let plainSize = compressedSize(sample, codec: codec, scratch: scratch)
        encode(sample, count: sampleCount, type: type, as: .byteSplit, into: scratch.trial, scratch: scratch)
        let splitSize = compressedSize(scratch.trial.rawBytes, codec: codec, scratch: scratch)
        return splitSize < plainSize ? .byteSplit : .plain
    }

    static func compressedSize(_ bytes: UnsafeRawBufferPointer, codec: Codec, scratch: Scratch) -> Int {
        scratch.trialOut.resize(codec.bound(bytes.count))
        return codec.compress(bytes, into: scratch.trialOut.mutableRawBytes) ?? bytes.count
    }

    static func bitWidth(_ range: UInt64) -> Int { 64 - range.leadingZeroBitCount }

    /// The smallest delta (as a signed value) and the bit width of the deltas above it.
    static func deltaRange(_ wide: UnsafeBufferPointer<UInt64>) -> (minDelta: UInt64, bits: Int) {
        guard wide.count > 1 else { return (0, 0) }
        var lo = Int64.max, hi = Int64.min
        for i in 1..<wide.count {
            let d = Int64(bitPattern: wide[i] &- wide[i - 1])
            lo = min(lo, d)
            hi = max(hi, d)
        }
        return (UInt64(bitPattern: lo), bitWidth(UInt64(bitPattern: hi) &- UInt64(bitPattern: lo)))
    }

    @inline(__always)
    static func sameValue(_ p: UnsafeRawBufferPointer, _ i: Int, _ j: Int, _ w: Int) -> Bool {
        switch w {
        case 1: p[i] == p[j]
        case 2: p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self) == p.loadUnaligned(fromByteOffset: j * 2, as: UInt16.self)
        case 4: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self) == p.loadUnaligned(fromByteOffset: j * 4, as: UInt32.self)
        default: p.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) == p.loadUnaligned(fromByteOffset: j * 8, as: UInt64.self)
        }
    }

    /// Number of runs of bitwise-equal values, and the size of their run-length encoding; once
    /// the size passes `limit`, the counts so far (the caller only needs to know it lost).
    static func runLengthSize(_ p: UnsafeRawBufferPointer, count n: Int, width w: Int, limit: Int = .max) -> (runs: Int, bytes: Int) {
        var runs = 0, bytes = 0, i = 0
        while i < n && bytes <= limit {
            var j = i + 1
            while j < n && sameValue(p, i, j, w) { j += 1 }
            var run = j - i, header = 1
            while run >= 0x80 { run >>= 7; header += 1 }
            runs += 1
            bytes += header + w
            i = j
        }
        return (runs, bytes)
    }
}
