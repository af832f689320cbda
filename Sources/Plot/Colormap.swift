/// Colours of the pictures and the terminal.
public struct RGB: Sendable, Equatable {
    public var r, g, b: Double  // 0…1

    public init(_ r: Double, _ g: Double, _ b: Double) { (self.r, self.g, self.b) = (r, g, b) }

    public init(hex: UInt32) {
        self.init(Double(hex >> 16 & 0xFF) / 255, Double(hex >> 8 & 0xFF) / 255, Double(hex & 0xFF) / 255)
    }

    /// 0…255 per channel.
    public var bytes: (UInt8, UInt8, UInt8) {
        func q(_ x: Double) -> UInt8 { UInt8(max(0, min(255, (x * 255).rounded()))) }
        return (q(r), q(g), q(b))
    }
}

/// Viridis, the perceptually uniform map of matplotlib: ten of its published colours, evenly
/// spaced, joined linearly.
public enum Viridis {
    static let anchors: [RGB] = [0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725].map { RGB(hex: $0) }

    /// The colour at t in 0…1 (clamped).
    public static func color(_ t: Double) -> RGB {
        let x = t.isNaN ? 0 : min(1, max(0, t)) * Double(anchors.count - 1)
        let i = min(Int(x), anchors.count - 2)
        let f = x - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        return RGB(a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f)
    }
}

/// How values map to 0…1 for colours: logarithmic between the smallest positive value and the
/// largest (the usual choice for HEP 2D plots), or linear from 0.
public struct ColorScale: Sendable {
    public let low: Double
    public let high: Double
    public let log: Bool

    public init(values: [Double], log: Bool) {
        let positive = values.filter { $0 > 0 && $0.isFinite }
        self.log = log
        high = positive.max() ?? 1
        low = log ? min(positive.min() ?? 1, high) : 0
    }

    /// Position of `v` (> 0) on the scale; nil for empty cells (drawn blank).
    public func position(_ v: Double) -> Double? {
        guard v > 0, v.isFinite else { return nil }
        if log {
            let a = _log10(low), b = _log10(high)
            return b > a ? (_log10(v) - a) / (b - a) : 1
        }
        return high > 0 ? v / high : 0
    }
}

#if canImport(Glibc)
import Glibc
func _log10(_ x: Double) -> Double { Glibc.log10(x) }
func _pow10(_ x: Double) -> Double { Glibc.pow(10, x) }
#elseif canImport(Darwin)
import Darwin
func _log10(_ x: Double) -> Double { Darwin.log10(x) }
func _pow10(_ x: Double) -> Double { Darwin.pow(10, x) }
#endif
