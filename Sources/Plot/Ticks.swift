/// Axis ticks at round numbers, and how to print them.
public enum Ticks {
    /// Major ticks (multiples of 1, 2 or 5 × 10^k) covering lower…upper, about `target` of them,
    /// and the step between them.
    public static func linear(_ lower: Double, _ upper: Double, target: Int = 6) -> (ticks: [Double], step: Double) {
        guard upper > lower, lower.isFinite, upper.isFinite else { return ([lower], 1) }
        let raw = (upper - lower) / Double(max(target, 1))
        let magnitude = _pow10((_log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? 10 * magnitude
        var ticks: [Double] = []
        var k = (lower / step).rounded(.up)
        while k * step <= upper + step * 1e-9 && ticks.count < 1000 {
            ticks.append(k * step == 0 ? 0 : k * step)
            k += 1
        }
        return (ticks, step)
    }

    /// Decades 10^k within lower…upper (both > 0).
    public static func decades(_ lower: Double, _ upper: Double) -> [Double] {
        guard lower > 0, upper >= lower else { return [] }
        let a = Int(_log10(lower).rounded(.up)), b = Int(_log10(upper).rounded(.down))
        guard a <= b, b - a < 400 else { return [] }
        return (a...b).map { _pow10(Double($0)) }
    }

    /// A tick label: as few digits as the step needs ("0.5", "150", "1e-05").
    public static func label(_ x: Double, step: Double) -> String {
        if x == 0 { return "0" }
        let ax = abs(x)
        if ax >= 1e6 || ax < 1e-4 { return exponent(x) }
        let decimals = max(0, min(6, -Int(_log10(step).rounded(.down))))
        return fixed(x, decimals)
    }

    /// `x` with `decimals` digits after the point.
    public static func fixed(_ x: Double, _ decimals: Int) -> String {
        let scale = _pow10(Double(decimals))
        let v = (x * scale).rounded()
        let negative = v < 0
        let digits = String(Int64(abs(v)))
        guard decimals > 0 else { return (negative ? "-" : "") + digits }
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        let cut = padded.index(padded.endIndex, offsetBy: -decimals)
        return (negative ? "-" : "") + padded[..<cut] + "." + padded[cut...]
    }

    /// 1e+06 style: the mantissa with up to 3 significant digits.
    public static func exponent(_ x: Double) -> String {
        let e = Int(_log10(abs(x)).rounded(.down))
        var m = x / _pow10(Double(e))
        m = (m * 100).rounded() / 100
        var ms = fixed(m, 2)
        while ms.hasSuffix("0") { ms.removeLast() }
        if ms.hasSuffix(".") { ms.removeLast() }
        return "\(ms)e\(e < 0 ? "-" : "+")\(abs(e) < 10 ? "0" : "")\(abs(e))"
    }

    /// A count or sum for people: integers with thousands separators, else 4 significant digits.
    public static func value(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 {
            let s = String(Int64(abs(x)))
            var out = ""
            for (i, c) in s.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { out.append(",") }
                out.append(c)
            }
            return (x < 0 ? "-" : "") + String(out.reversed())
        }
        if abs(x) >= 1e6 || abs(x) < 1e-3 { return exponent(x) }
        let digits = max(0, 3 - Int(_log10(abs(x)).rounded(.down)))
        return fixed(x, digits)
    }
}
