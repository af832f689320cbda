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
