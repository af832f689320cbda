import CKernels

/// How a page's values are laid out before the codec. Raw values are the encoding ids of the
/// format (Formats/EVC.md, "Encodings").
public enum Encoding: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case plain = 0
    case byteSplit = 1
    case bitPackedBool = 2
    case frameOfReference = 3
    case delta = 4
    case constant = 5
    case runLength = 6

    public var description: String {
        switch self {
        case .plain: "plain"
        case .byteSplit: "split"
        case .bitPackedBool: "bits"
        case .frameOfReference: "for"
        case .delta: "delta"
        case .constant: "const"
        case .runLength: "rle"
        }
    }

    /// Whether a page of `type` may use this encoding.
    public func applies(to type: ScalarType) -> Bool {
        switch self {
        case .plain, .constant, .runLength: true
        case .byteSplit: type.width > 1
        case .bitPackedBool: type == .bool
        case .frameOfReference, .delta: type.isInteger
        }
    }
}

/// Decodes one page's encoded bytes into a caller buffer of exactly count × width bytes. Every
/// size and count is checked against the bytes there; a bad page gives a message, never a trap.
enum PageDecoder {
    static func decode(
        _ encoding: Encoding, type: ScalarType, count n: Int,
        from src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer
    ) -> String? {
        let w = type.width
        precondition(dst.count == n * w, "destination must hold exactly the page's values")
        guard encoding.applies(to: type) else { return "encoding \(encoding) does not apply to \(type)" }
        switch encoding {
        case .plain:
            guard src.count == n * w else { return "plain page holds \(src.count) bytes, expected \(n * w)" }
            if n > 0 { dst.copyMemory(from: src) }
        case .byteSplit:
            guard src.count == n * w else { return "split page holds \(src.count) bytes, expected \(n * w)" }
            // Safe: both buffers hold n * w bytes, checked above.
            dk_bytesplit_decode(src.baseAddress!.assumingMemoryBound(to: UInt8.self), n, w, dst.baseAddress!.assumingMemoryBound(to: UInt8.self))
        case .bitPackedBool:
            guard src.count == (n + 7) / 8 else { return "bit-packed page holds \(src.count) bytes, expected \((n + 7) / 8)" }
            for i in 0..<n { dst[i] = (src[i >> 3] >> UInt8(i & 7)) & 1 }
        case .frameOfReference:
            guard src.count >= 9 else { return "frame-of-reference page of \(src.count) bytes is shorter than its 9-byte header" }
            let reference = UInt64(littleEndian: src.loadUnaligned(as: UInt64.self))
            let bits = Int(src[8])
            guard bits <= 64 else { return "bit width \(bits) is larger than 64" }
            guard src.count == 9 + dk_bitpack_size(n, UInt32(bits)) else {
                return "frame-of-reference page holds \(src.count) bytes, expected \(9 + dk_bitpack_size(n, UInt32(bits)))"
            }
            // Safe: the packed area holds dk_bitpack_size(n, bits) bytes, checked above.
            dk_for_decode(src.baseAddress! + 9, n, UInt32(bits), reference, w, dst.baseAddress!)
        case .delta:
            guard n >= 1 else { return "delta page has no values" }
            guard src.count >= 17 else { return "delta page of \(src.count) bytes is shorter than its 17-byte header" }
            let first = UInt64(littleEndian: src.loadUnaligned(as: UInt64.self))
            let minDelta = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            let bits = Int(src[16])
            guard bits <= 64 else { return "bit width \(bits) is larger than 64" }
            guard src.count == 17 + dk_bitpack_size(n - 1, UInt32(bits)) else {
                return "delta page holds \(src.count) bytes, expected \(17 + dk_bitpack_size(n - 1, UInt32(bits)))"
            }
            dk_delta_decode(src.baseAddress! + 17, n, UInt32(bits), first, minDelta, w, dst.baseAddress!)
        case .constant:
            guard src.count == w else { return "constant page holds \(src.count) bytes, expected \(w)" }
            fill(dst, from: 0, count: n, width: w, with: src)
        case .runLength:
            var position = 0, filled = 0
            while filled < n {
                var run = 0, shift = 0
                while true {
                    guard position < src.count else { return "run-length page ends inside a run header at byte \(position)" }
                    let b = src[position]
                    position += 1
                    guard shift < 63 else { return "run length at byte \(position) is too long" }
                    run |= Int(b & 0x7f) << shift
                    shift += 7
                    if b & 0x80 == 0 { break }
                }
                guard run >= 1, run <= n - filled else { return "run of \(run) values overflows the page's \(n) values" }
                guard position + w <= src.count else { return "run-length page ends inside a value at byte \(position)" }
                let value = UnsafeRawBufferPointer(rebasing: src[position..<position + w])
                position += w
                fill(dst, from: filled, count: run, width: w, with: value)
                filled += run
            }
            guard position == src.count else { return "run-length page has \(src.count - position) bytes after its last run" }
        }
        if type == .bool {
            // A bool byte other than 0 or 1 must never reach Swift's Bool: normalize.
            for i in 0..<n where dst[i] > 1 { dst[i] = 1 }
        }
        return nil
    }

    /// Writes `count` copies of the `width`-byte value starting at value index `from`.
    static func fill(_ dst: UnsafeMutableRawBufferPointer, from: Int, count: Int, width: Int, with value: UnsafeRawBufferPointer) {
        let start = dst.baseAddress! + from * width
        switch width {
        case 1: start.initializeMemory(as: UInt8.self, repeating: value[0], count: count)
        case 2: start.initializeMemory(as: UInt16.self, repeating: value.loadUnaligned(as: UInt16.self), count: count)
        case 4: start.initializeMemory(as: UInt32.self, repeating: value.loadUnaligned(as: UInt32.self), count: count)
        default: start.initializeMemory(as: UInt64.self, repeating: value.loadUnaligned(as: UInt64.self), count: count)
        }
    }
}
