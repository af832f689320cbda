import Testing
@testable import EventFormat

/// Exact encoded bytes of each encoding, as Formats/EVC.md describes them.
@Suite struct GoldenBytesTests {
    func encode<T: EVCScalar>(_ values: [T], _ e: Encoding) -> [UInt8] {
        values.withUnsafeBytes { PageEncoder.encode($0, count: values.count, type: T.scalarType, as: e) }
    }

    func decode<T: EVCScalar>(_ bytes: [UInt8], _ e: Encoding, count: Int, as: T.Type) -> [T]? {
        let out = ColumnBuffer(type: T.scalarType)
        out.resize(count)
        let err = bytes.withUnsafeBytes { PageDecoder.decode(e, type: T.scalarType, count: count, from: $0, into: out.mutableRawBytes) }
        return err == nil ? out.values(T.self) : nil
    }

    @Test func plain() {
        #expect(encode([UInt16(0x0102), 0x0304], .plain) == [0x02, 0x01, 0x04, 0x03])
    }

    @Test func byteSplit() {
        // 1.0f = 00 00 80 3F, 2.0f = 00 00 00 40: stream 0, 1, 2, 3.
        #expect(encode([Float(1), 2], .byteSplit) == [0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x3F, 0x40])
        #expect(decode([0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x3F, 0x40], .byteSplit, count: 2, as: Float.self) == [1, 2])
    }

    @Test func bitPackedBool() {
        #expect(encode([true, false, true, true, false, false, false, false, true], .bitPackedBool) == [0b0000_1101, 0b0000_0001])
    }

    @Test func frameOfReference() {
        // reference 10 (u64 LE), width 2, values 0,1,2,3 packed LSB-first: 0b11_10_01_00 = 0xE4, + 8 zero bytes.
        let expected: [UInt8] = [10, 0, 0, 0, 0, 0, 0, 0, 2, 0xE4] + [UInt8](repeating: 0, count: 8)
        #expect(encode([Int32(10), 11, 12, 13], .frameOfReference) == expected)
        #expect(decode(expected, .frameOfReference, count: 4, as: Int32.self) == [10, 11, 12, 13])
        // Negative reference: sign-extended two's complement.
        #expect(encode([Int8(-2), -1], .frameOfReference) == [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 0b10] + [UInt8](repeating: 0, count: 8))
    }

    @Test func delta() {
        // first 100, min delta 1, width 1, deltas-minus-min 0,1,0 -> 0b010 = 0x02.
        let expected: [UInt8] = [100, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x02] + [UInt8](repeating: 0, count: 8)
        #expect(encode([UInt64(100), 101, 103, 104], .delta) == expected)
        #expect(decode(expected, .delta, count: 4, as: UInt64.self) == [100, 101, 103, 104])
    }

    @Test func constant() {
        #expect(encode([Float(0), 0, 0], .constant) == [0, 0, 0, 0])
    }

    @Test func runLength() {
        // 130 zeros then one 7: ULEB128(130) = 0x82 0x01.
        let values = [UInt8](repeating: 0, count: 130) + [7]
        #expect(encode(values, .runLength) == [0x82, 0x01, 0x00, 0x01, 0x07])
        #expect(decode([0x82, 0x01, 0x00, 0x01, 0x07], .runLength, count: 131, as: UInt8.self) == values)
    }

    @Test func decoderRejectsBadSizes() {
        #expect(decode([1, 2, 3], .plain, count: 1, as: UInt16.self) == nil)
        #expect(decode([0x05, 0x01], .runLength, count: 4, as: UInt8.self) == nil)  // run too long
        #expect(decode([0x00, 0x01], .runLength, count: 1, as: UInt8.self) == nil)  // zero-length run
        #expect(decode([0x80, 0x80, 0x80], .runLength, count: 1, as: UInt8.self) == nil)  // cut-off header
        #expect(decode([UInt8](repeating: 0, count: 9), .frameOfReference, count: 4, as: UInt8.self) == nil)  // no padding
        #expect(decode([0, 0, 0, 0, 0, 0, 0, 0, 65] + [UInt8](repeating: 0, count: 16), .frameOfReference, count: 1, as: UInt8.self) == nil)
        #expect(decode([2], .constant, count: 1, as: Bool.self) == [true])  // normalized, never an invalid Bool
    }
}
