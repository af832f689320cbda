/// Seeded random numbers for the simulator: SplitMix64 with Gaussian (ziggurat), exponential and
/// Poisson draws. A stream is fixed by (seed, block), so output does not depend on the thread count.
public struct SimRandom: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 ^ (stream &+ 1) &* 0xD1B5_4A32_D192_ED03
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    @inline(__always) public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal, by the ziggurat method (Marsaglia and Tsang): one 64-bit draw and a
    /// table lookup for ~99% of values; exact tails.
    @inline(__always) public mutating func gauss() -> Double {
        let z = Ziggurat.shared
        while true {
            let r = next()
            let layer = Int(r & 0x7F)
            // 53 bits: a signed uniform in (-1, 1).
            let u = Double(Int64(bitPattern: r) >> 11) * 0x1p-52
            let x = u * z.x[layer]
            if abs(x) < z.x[layer + 1] { return x }
            if let v = z.slow(layer: layer, x: x, &self) { return v }
        }
    }

    /// Approximately standard normal from one draw: the sum of four 16-bit uniforms (Irwin-Hall,
    /// tails cut at ±3.46). For digitizer noise, where millions are drawn per second.
    @inline(__always) public mutating func fastGauss() -> Double {
        let r = next()
        let s = (r & 0xFFFF) + (r >> 16 & 0xFFFF) + (r >> 32 & 0xFFFF) + (r >> 48)
        return (Double(s) * 0x1p-16 - 2) * 1.732_050_807_568_877
    }

    public mutating func exponential(mean: Double) -> Double { -mean * _log(1 - uniform()) }

    public mutating func poisson(mean: Double) -> Int { poisson(expMinusMean: _exp(-mean)) }

    /// Poisson with exp(-mean) given (computed once by callers that draw many).
    public mutating func poisson(expMinusMean limit: Double) -> Int {
        var k = 0, p = uniform()
        while p > limit {
            k += 1
            p *= uniform()
        }
        return k
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) func erfc(_ x: Double) -> Double { Glibc.erfc(x) }
@inline(__always) func _lgamma(_ x: Double) -> Double { Glibc.lgamma(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Darwin.exp(x) }
@inline(__always) func erfc(_ x: Double) -> Double { Darwin.erfc(x) }
@inline(__always) func _lgamma(_ x: Double) -> Double { Darwin.lgamma(x) }
#endif

/// Ziggurat tables for the standard normal density f(x) = exp(-x^2/2): 128 layers of equal area
/// `v`; layer 0 is the base, a rectangle plus the tail beyond `r`. x[i] is the right edge of
/// layer i (x[0] the base's equivalent width v/f(r), x[1] = r, ..., x[128] = 0).
struct Ziggurat: Sendable {
    static let shared = Ziggurat()
    static let r = 3.442_619_855_899
    let x: [Double]
    let f: [Double]

    init() {
        let r = Self.r
        func density(_ x: Double) -> Double { _exp(-0.5 * x * x) }
        // Area of each layer: the base rectangle plus the tail integral.
        let tail = (Double.pi / 2).squareRoot() * erfc(r / 2.0.squareRoot())
        let v = r * density(r) + tail
        var x = [Double](repeating: 0, count: 129)
        x[0] = v / density(r)
        x[1] = r
        for i in 2..<128 {
            // f(x[i]) = v / x[i-1] + f(x[i-1])
            let y = v / x[i - 1] + density(x[i - 1])
            x[i] = y < 1 ? (-2 * _log(y)).squareRoot() : 0
        }
        x[128] = 0
        self.x = x
        self.f = x.map(density)
    }

    /// The rare cases: the tail (layer 0) and the wedges between rectangles. Nil: draw again.
    func slow(layer: Int, x: Double, _ rng: inout SimRandom) -> Double? {
        if layer == 0 {
            // Beyond r: Marsaglia's tail method.
            var a = 0.0, b = 0.0
            repeat {
                a = -_log(1 - rng.uniform()) / Self.r
                b = -_log(1 - rng.uniform())
            } while 2 * b < a * a
            return x < 0 ? -(Self.r + a) : Self.r + a
        }
        let y = f[layer] + rng.uniform() * (f[layer + 1] - f[layer])
        return y < _exp(-0.5 * x * x) ? x : nil
    }
}
