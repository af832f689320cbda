/// Seeded random numbers for the simulator: SplitMix64 with Gaussian, exponential and Poisson
/// draws. A stream is fixed by (seed, block), so output does not depend on the thread count.
public struct SimRandom: RandomNumberGenerator, Sendable {
    var state: UInt64
    var spare: Double? = nil

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

    /// Standard normal (Marsaglia polar method).
    public mutating func gauss() -> Double {
        if let s = spare {
            spare = nil
            return s
        }
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let m = (-2 * _log(s) / s).squareRoot()
                spare = v * m
                return u * m
            }
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

    public mutating func poisson(mean: Double) -> Int {
        let limit = _exp(-mean)
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
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
