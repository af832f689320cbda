import CKernels

/// Encodes a page's values, and picks an encoding for them by a cheap trial.
enum PageEncoder {
    static func encode(_ values: UnsafeRawBufferPointer, count n: Int, type: ScalarType, as encoding: Encoding) -> [UInt8] {
        let w = type.width
        precondition(encoding.applies(to: type) && values.count == n * w)
        switch encoding {
        case .plain:
            return Array(values)
        case .byteSplit:
            return [UInt8](unsafeUninitializedCapacity: n * w) { out, done in
                if n > 0 { dk_bytesplit_encode(values.baseAddress!.assumingMemoryBound(to: UInt8.self), n, w, out.baseAddress!) }
                done = n * w
            }
        case .bitPackedBool:
            var out = [UInt8](repeating: 0, count: (n + 7) / 8)
            for i in 0..<n where values[i] != 0 { out[i >> 3] |= 1 << UInt8(i & 7) }
            return out
        case .frameOfReference:
            let wide = IntegerView.widen(values, count: n, type: type)
            let (lo, hi) = IntegerView.minMax(values, count: n, type: type)
            let bits = bitWidth(hi &- lo)
            var out = ByteWriter()
            out.u64(lo)
            out.u8(UInt8(bits))
            out.raw(pack(wide.map { $0 &- lo }, bits: bits))
            return out.bytes
        case .delta:
            let wide = IntegerView.widen(values, count: n, type: type)
            let (minDelta, bits) = deltaRange(wide)
            var out = ByteWriter()
            out.u64(wide[0])
            out.u64(minDelta)
            out.u8(UInt8(bits))
            var packed = [UInt64](repeating: 0, count: max(n - 1, 0))
            for i in 1..<max(n, 1) { packed[i - 1] = (wide[i] &- wide[i - 1]) &- minDelta }
            out.raw(pack(packed, bits: bits))
            return out.bytes
        case .constant:
            return Array(values[0..<w])
        case .runLength:
            var out: [UInt8] = []
            var i = 0
            while i < n {
                var j = i + 1
                while j < n && sameValue(values, i, j, w) { j += 1 }
                var run = j - i
                while run >= 0x80 {
                    out.append(UInt8(run & 0x7f) | 0x80)
                    run >>= 7
                }
                out.append(UInt8(run))
                out.append(contentsOf: values[i * w..<(i + 1) * w])
                i = j
            }
            return out
        }
    }

    /// Picks the encoding for a page. Sizes of the integer encodings are computed exactly; for
    /// floats, plain and byte-split are both compressed on a sample and the smaller wins.
    static func choose(_ values: UnsafeRawBufferPointer, count n: Int, type: ScalarType, codec: Codec) -> Encoding {
        let w = type.width
        guard n > 0 else { return .plain }
        let (runs, rleBytes) = runLengthSize(values, count: n, width: w)
        if runs == 1 { return .constant }
        if type == .bool { return .bitPackedBool }
        let plainBytes = n * w
        if type.isInteger {
            let (lo, hi) = IntegerView.minMax(values, count: n, type: type)
            let forBytes = 9 + dk_bitpack_size(n, UInt32(bitWidth(hi &- lo)))
            let wide = IntegerView.widen(values, count: n, type: type)
            let deltaBytes = 17 + dk_bitpack_size(n - 1, UInt32(deltaRange(wide).bits))
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
        let sampleCount = min(n, 8192)
        let sample = UnsafeRawBufferPointer(rebasing: values[0..<sampleCount * w])
        let plainSize = compressedSize(Array(sample), codec: codec)
        let splitSize = compressedSize(encode(sample, count: sampleCount, type: type, as: .byteSplit), codec: codec)
        return splitSize < plainSize ? .byteSplit : .plain
    }

    static func compressedSize(_ bytes: [UInt8], codec: Codec) -> Int {
        var out = [UInt8](repeating: 0, count: codec.bound(bytes.count))
        return bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { codec.compress(src, into: $0) }
        } ?? bytes.count
    }

    static func bitWidth(_ range: UInt64) -> Int { 64 - range.leadingZeroBitCount }

    /// The smallest delta (as a signed value) and the bit width of the deltas above it.
    static func deltaRange(_ wide: [UInt64]) -> (minDelta: UInt64, bits: Int) {
        guard wide.count > 1 else { return (0, 0) }
        var lo = Int64.max, hi = Int64.min
        for i in 1..<wide.count {
            let d = Int64(bitPattern: wide[i] &- wide[i - 1])
            lo = min(lo, d)
            hi = max(hi, d)
        }
        return (UInt64(bitPattern: lo), bitWidth(UInt64(bitPattern: hi) &- UInt64(bitPattern: lo)))
    }

    static func pack(_ values: [UInt64], bits: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: dk_bitpack_size(values.count, UInt32(bits))) { out, done in
            values.withUnsafeBufferPointer { dk_bitpack($0.baseAddress, values.count, UInt32(bits), out.baseAddress!) }
            done = dk_bitpack_size(values.count, UInt32(bits))
        }
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

    /// Number of runs of bitwise-equal values, and the size of their run-length encoding.
    static func runLengthSize(_ p: UnsafeRawBufferPointer, count n: Int, width w: Int) -> (runs: Int, bytes: Int) {
        var runs = 0, bytes = 0, i = 0
        while i < n {
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
