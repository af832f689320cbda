import CKernels
import Testing
@testable import EventFormat

/// The C kernels against plain Swift references on random lengths (crossing the SIMD widths).
@Suite struct KernelTests {
    @Test(arguments: [1, 2, 4, 8])
    func byteSplitMatchesReference(width: Int) {
        var rng = SeededRandom(seed: UInt64(width))
        for n in [0, 1, 15, 16, 17, 31, 33, 1000, 4099] {
            let src = (0..<n * width).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var split = [UInt8](repeating: 0, count: n * width)
            var back = [UInt8](repeating: 0, count: n * width)
            if n > 0 {
                dk_bytesplit_encode(src, n, width, &split)
                dk_bytesplit_decode(split, n, width, &back)
            }
            var reference = [UInt8](repeating: 0, count: n * width)
            for i in 0..<n { for j in 0..<width { reference[j * n + i] = src[i * width + j] } }
            #expect(split == reference, "width \(width) n \(n)")
            #expect(back == src, "width \(width) n \(n)")
        }
    }

    @Test(arguments: [0, 1, 3, 7, 8, 13, 31, 32, 56, 57, 63, 64])
    func bitPackRoundTrips(bits: Int) {
        var rng = SeededRandom(seed: UInt64(bits) + 1000)
        for n in [1, 2, 7, 64, 1001] {
            let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
            let values = (0..<n).map { _ in rng.next() & mask }
            var packed = [UInt8](repeating: 0xAA, count: dk_bitpack_size(n, UInt32(bits)))
            dk_bitpack(values, n, UInt32(bits), &packed)
            var out = [UInt64](repeating: 0, count: n)
            dk_for_decode(packed, n, UInt32(bits), 5, 8, &out)
            #expect(out == values.map { $0 &+ 5 }, "bits \(bits) n \(n)")
        }
    }

    @Test func statsSkipNaN() {
        var lo = 0.0, hi = 0.0
        var nans: UInt64 = 0
        let v: [Float] = [.nan, 3, -1, .nan, .infinity]
        #expect(dk_stats_f32(v, v.count, &lo, &hi, &nans) == 1)
        #expect(lo == -1 && hi == .infinity && nans == 2)
        let allNaN: [Float] = [.nan, .nan]
        #expect(dk_stats_f32(allNaN, 2, &lo, &hi, &nans) == 0)
    }
}

@Suite struct ChecksumTests {
    /// The AVX2 build of the header and the shared library must agree on every length, including
    /// the size classes where XXH3 changes its inner loop (0-16, 17-128, 129-240, > 240 bytes).
    @Test func sameHashAsTheSystemLibrary() {
        var rng = SeededRandom(seed: 42)
        let bytes = (0..<70_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for n in [0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1023, 1024, 1025, 4096, 65_536, 70_000] {
            bytes.withUnsafeBytes { b in
                #expect(dk_xxh3_64(b.baseAddress, n) == dk_xxh3_64_library(b.baseAddress, n), "length \(n)")
            }
        }
        // Known value: XXH3-64 of the empty input with seed 0.
        #expect(dk_xxh3_64_library(nil, 0) == 0x2D06_8005_38D3_94C2)
    }
}

@Suite struct SelectKernelTests {
    static func reference<T: Comparable>(_ v: [T], _ op: Int32, _ c: T) -> [Int32] {
        v.indices.filter { i in
            let x = v[i]
            switch op {
            case 0: return x < c
            case 1: return x <= c
            case 2: return x > c
            case 3: return x >= c
            case 4: return x == c
            default: return x < c || x > c  // NaN fails != too
            }
        }.map(Int32.init)
    }

    @Test(arguments: [0, 1, 15, 16, 17, 31, 32, 33, 100, 2048, 2049])
    func denseSelectMatchesReference(n: Int) {
        var rng = SeededRandom(seed: UInt64(n) + 7)
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 50]
        let f = (0..<n).map { _ in rng.next() % 5 == 0 ? specials[Int(rng.next() % 6)] : Float(Int(rng.next() % 200) - 50) / 2 }
        let d = f.map(Double.init)
        let u = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next() % 4 == 0 ? 0 : rng.next()) }
        for op in Int32(0)...5 {
            var out = [Int32](repeating: -1, count: max(n, 1))
            for c in [Float(0), 50, 12.5, -.infinity, .nan] {
                let k = dk_select_f32(f, n, op, c, &out)
                #expect(Array(out[0..<k]) == Self.reference(f, op, c), "f32 n \(n) op \(op) c \(c)")
                let kb = dk_select_f32_baseline(f, n, op, c, &out)
                #expect(Array(out[0..<kb]) == Self.reference(f, op, c), "f32 baseline n \(n) op \(op) c \(c)")
                let kd = dk_select_f64(d, n, op, Double(c), &out)
                #expect(Array(out[0..<kd]) == Self.reference(d, op, Double(c)), "f64 n \(n) op \(op) c \(c)")
            }
            for c in [UInt8(0), 1, 127, 128, 255] {
                let k = dk_select_u8(u, n, op, c, &out)
                #expect(Array(out[0..<k]) == Self.reference(u, op, c), "u8 n \(n) op \(op) c \(c)")
            }
        }
    }
}
