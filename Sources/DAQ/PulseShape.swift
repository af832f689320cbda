#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shape of an MSADC pulse, from the calibration file's `pulse_shape` line (Formats/RAW.md
/// section 11): a unit pulse sampled every `stepNs` from its start, scaled to a maximum of 1,
/// read between the points by linear interpolation and 0 outside them. The reconstruction
/// subtracts it to separate two pulses in one waveform; the simulator's digitizer draws it.
public struct PulseShape: Sendable, Equatable {
    public let stepNs: Double
    public let values: [Double]
    /// Time of the maximum after the start, ns.
    public let peakNs: Double
    /// The half-maximum crossing on the rising edge, ns after the start.
    public let halfRiseNs: Double

    /// Nil (with the reason) unless there are at least 4 finite values with a positive maximum.
    public static func make(stepNs: Double, values raw: [Double]) -> Result<PulseShape, DAQError> {
        guard stepNs > 0, stepNs.isFinite else { return .failure(DAQError(.badCalibration, "pulse_shape step must be a positive number of ns")) }
        guard raw.count >= 4, raw.allSatisfy(\.isFinite), let top = raw.max(), top > 0 else {
            return .failure(DAQError(.badCalibration, "pulse_shape needs at least 4 finite values with a positive maximum"))
        }
        return .success(PulseShape(stepNs: stepNs, values: raw.map { $0 / top }))
    }

    private init(stepNs: Double, values: [Double]) {
        self.stepNs = stepNs
        self.values = values
        let peak = values.indices.max { values[$0] < values[$1] }!
        peakNs = Double(peak) * stepNs
        var k = peak
        while k > 0 && values[k - 1] >= 0.5 { k -= 1 }
        halfRiseNs = k == 0 ? 0 : (Double(k - 1) + (0.5 - values[k - 1]) / (values[k] - values[k - 1])) * stepNs
    }

    /// The shape `t` ns after the pulse's start.
    @inline(__always) public func value(at t: Double) -> Double {
        let x = t / stepNs
        guard x >= 0, x < Double(values.count - 1) else { return 0 }
        let i = Int(x)
        return values.withUnsafeBufferPointer { v in
            // Safe: 0 <= i < values.count - 1 by the guard.
            v[i] + (x - Double(i)) * (v[i + 1] - v[i])
        }
    }

    /// The pulse of the simulated detector [est: a shaped photomultiplier pulse, the shape
    /// NA64's MSADC waveforms show]: (t/r)² e^(2(1 − t/r)) with its maximum at r = 25 ns,
    /// sampled every 2.5 ns for 250 ns.
    public static let simulatedRiseNs = 25.0
    public static let simulated: PulseShape = {
        let values = (0...100).map { i -> Double in
            let x = Double(i) * 2.5 / simulatedRiseNs
            return (x * x * exp(2 * (1 - x)) * 1e4).rounded() / 1e4
        }
        // Safe: a fixed, valid table.
        return try! make(stepNs: 2.5, values: values).get()
    }()

    /// The `pulse_shape` line's values, as the calibration file writes them.
    public var text: String {
        "\(stepNs) " + values.map { v in v == v.rounded() ? String(Int(v)) : String(v) }.joined(separator: " ")
    }
}
