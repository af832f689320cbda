/// JSON values from the `[String: Any]` trees the commands and the C library build for their
/// results: dictionaries with String keys (written with sorted keys), arrays, strings, booleans,
/// integers of any width, doubles and floats, and JSON values as they are. A double holding a
/// whole number below 10^15 is written as an integer (as Foundation's writer does, which the
/// command's --json layout follows); `nonFinite` says what NaN and the infinities, which JSON
/// lacks, become. Anything else (an NSNull, nil) is null.
extension JSON {
    public init(any value: Any, nonFinite: (Double) -> JSON = { _ in .null }) {
        switch value {
        case let j as JSON: self = j
        case let d as [String: Any]:
            self = .object(d.keys.sorted().map { ($0, JSON(any: d[$0]!, nonFinite: nonFinite)) })
        case let a as [Any]: self = .array(a.map { JSON(any: $0, nonFinite: nonFinite) })
        case let s as String: self = .string(s)
        case let b as Bool: self = .bool(b)
        case let i as Int: self = .int(i)
        case let x as Double: self = JSON.number(x, nonFinite)
        case let x as Float: self = JSON.number(Double(x), nonFinite)
        case let i as any BinaryInteger:
            if let n = Int(exactly: i) { self = .int(n) } else { self = .double(Double(i)) }
        default: self = .null
        }
    }

    /// NaN and the infinities as the strings "nan", "inf" and "-inf" (the command's --json).
    public static func nonFiniteAsString(_ x: Double) -> JSON { .string(x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf")) }

    private static func number(_ x: Double, _ nonFinite: (Double) -> JSON) -> JSON {
        guard x.isFinite else { return nonFinite(x) }
        return x == x.rounded() && abs(x) < 1e15 ? .int(Int(x)) : .double(x)
    }
}
