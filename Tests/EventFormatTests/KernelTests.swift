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

/// The bit-mask kernels against a plain reference: every type and operator, lengths crossing
/// the 64-bit words, NaNs, and narrowing masks that are full, empty or random.
@Suite struct MaskKernelTests {
    static func holds<T: Comparable>(_ x: T, _ op: Int32, _ c: T) -> Bool {
        switch op {
        case 0: return x < c
        case 1: return x <= c
        case 2: return x > c
        case 3: return x >= c
        case 4: return x == c
        default: return x < c || x > c  // NaN fails != too
        }
    }

    /// Runs `kernel` over `v` with every kind of prior mask and checks the words and the count.
    static func check<T: Comparable>(_ v: [T], _ op: Int32, _ c: T, _ rng: inout SeededRandom, _ what: String,
                                     _ kernel: (UnsafePointer<T>, Int, UnsafeMutablePointer<UInt64>, Int32) -> Int) {
        let n = v.count, nw = (n + 63) / 64
        for prior in 0..<4 {
            // 0: no prior mask (not narrowing); 1: all ones; 2: all zeros; 3: random bits.
            var words = (0..<max(nw, 1)).map { _ -> UInt64 in prior == 1 ? .max : prior == 2 ? 0 : prior == 3 ? rng.next() : 0xDEAD_BEEF }
            if prior == 1 || prior == 3, n % 64 != 0 { words[nw - 1] &= (1 << UInt64(n % 64)) - 1 }
            let before = words
            let k = v.withUnsafeBufferPointer { p in kernel(p.baseAddress ?? UnsafePointer(bitPattern: 8)!, n, &words, prior == 0 ? 0 : 1) }
            var expected = [UInt64](repeating: 0, count: max(nw, 1))
            for i in 0..<n where holds(v[i], op, c) && (prior == 0 || before[i / 64] >> UInt64(i % 64) & 1 == 1) {
                expected[i / 64] |= 1 << UInt64(i % 64)
            }
            #expect(Array(words[0..<nw]) == Array(expected[0..<nw]), "\(what) n \(n) op \(op) c \(c) prior \(prior)")
            #expect(k == expected[0..<nw].reduce(0) { $0 + $1.nonzeroBitCount }, "\(what) count n \(n) op \(op) prior \(prior)")
        }
    }

    @Test(arguments: [0, 1, 63, 64, 65, 127, 128, 200, 2048, 2049])
    func masksMatchReference(n: Int) {
        var rng = SeededRandom(seed: UInt64(n) + 11)
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 50]
        let f = (0..<n).map { _ in rng.next() % 5 == 0 ? specials[Int(rng.next() % 6)] : Float(Int(rng.next() % 200) - 50) / 2 }
        let d = f.map(Double.init)
        let u = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next() % 4 == 0 ? 0 : rng.next()) }
        func ints<T: FixedWidthInteger>(_: T.Type) -> [T] { (0..<n).map { _ in T(truncatingIfNeeded: rng.next() % 4 == 0 ? 0 : rng.next()) } }
        let i8 = ints(Int8.self), i16 = ints(Int16.self), u16 = ints(UInt16.self), i32 = ints(Int32.self)
        let u32 = ints(UInt32.self), i64 = ints(Int64.self), u64 = ints(UInt64.self)
        for op in Int32(0)...5 {
            for c in [Float(0), 50, 12.5, -.infinity, .nan] {
                Self.check(f, op, c, &rng, "f32") { dk_mask_f32($0, $1, op, c, $2, $3) }
                Self.check(f, op, c, &rng, "f32 baseline") { dk_mask_f32_baseline($0, $1, op, c, $2, $3) }
                Self.check(d, op, Double(c), &rng, "f64") { dk_mask_f64($0, $1, op, Double(c), $2, $3) }
            }
            for c in [UInt8(0), 1, 127, 128, 255] {
                Self.check(u, op, c, &rng, "u8") { dk_mask_u8($0, $1, op, c, $2, $3) }
                Self.check(u, op, c, &rng, "u8 baseline") { dk_mask_u8_baseline($0, $1, op, c, $2, $3) }
            }
            let c8 = i8.first ?? 0, c16 = i16.first ?? 0, cu16 = u16.first ?? 0, c32 = i32.first ?? 0
            let cu32 = u32.first ?? 0, c64 = i64.first ?? 0, cu64 = u64.first ?? 0
            Self.check(i8, op, c8, &rng, "i8") { dk_mask_i8($0, $1, op, c8, $2, $3) }
            Self.check(i16, op, c16, &rng, "i16") { dk_mask_i16($0, $1, op, c16, $2, $3) }
            Self.check(u16, op, cu16, &rng, "u16") { dk_mask_u16($0, $1, op, cu16, $2, $3) }
            Self.check(i32, op, c32, &rng, "i32") { dk_mask_i32($0, $1, op, c32, $2, $3) }
            Self.check(u32, op, cu32, &rng, "u32") { dk_mask_u32($0, $1, op, cu32, $2, $3) }
            Self.check(i64, op, c64, &rng, "i64") { dk_mask_i64($0, $1, op, c64, $2, $3) }
            Self.check(u64, op, cu64, &rng, "u64") { dk_mask_u64($0, $1, op, cu64, $2, $3) }
        }
    }

    @Test(arguments: [0, 1, 63, 64, 65, 300, 2048, 2049])
    func indicesMatchReference(n: Int) {
        var rng = SeededRandom(seed: UInt64(n) + 99)
        let nw = (n + 63) / 64
        // Densities from empty to full, so both the sparse and the dense path run.
        for density in [0, 1, 8, 32, 56, 63, 64] {
            var words = (0..<max(nw, 1)).map { _ -> UInt64 in
                var w: UInt64 = 0
                for b in 0..<64 where Int(rng.next() % 64) < density { w |= 1 << UInt64(b) }
                return w
            }
            if n % 64 != 0 { words[nw - 1] &= (1 << UInt64(n % 64)) - 1 }
            if n == 0 { words[0] = 0 }
            let expected = (0..<n).filter { words[$0 / 64] >> UInt64($0 % 64) & 1 == 1 }.map(Int32.init)
            var out = [Int32](repeating: -1, count: max(nw, 1) * 64)
            let k = dk_mask_indices(words, n, &out)
            #expect(Array(out[0..<k]) == expected, "n \(n) density \(density)")
            let kb = dk_mask_indices_baseline(words, n, &out)
            #expect(Array(out[0..<kb]) == expected, "baseline n \(n) density \(density)")
        }
    }
}
