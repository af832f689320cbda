/// A JSON document (RFC 8259) as Darkscan reads and writes it, without Foundation (the C library
/// links none): histogram files (Formats/HIST.md), job manifests and plan entries
/// (Formats/DISTRIBUTED.md), stored cut flows and provenance metadata.
///
/// Numbers keep what was written: an integer literal that fits 64 bits is an exact `.int`
/// (nanosecond times exceed the 53 bits of a double); every other number is a `.double`. An
/// array of numbers is kept dense as `.numbers` (8 bytes a number however it is written: the
/// cells of a histogram) unless an integer in it is one a double cannot hold exactly. Members of
/// an object keep the order written. `JSON.parse` (JSONParser.swift) reads outside bytes;
/// `JSONWriter` writes text.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// An integer literal (no fraction, no exponent) within the range of `Int`; `-0` is 0.
    case int(Int)
    /// Any other number: with a fraction or an exponent, or an integer beyond 64 bits. Finite.
    case double(Double)
    case string(String)
    /// An array holding only numbers (also the empty array), none of them an integer beyond
    /// ±2^53 written without fraction or exponent (such an array is an `.array` of exact `.int`s).
    case numbers([Double])
    /// An array holding something other than numbers, or integers a double cannot hold.
    case array([JSON])
    /// Members in the order written; a parsed document never repeats a key.
    case object([(String, JSON)])

    /// Containers nested deeper than this are refused by the parser.
    public static let maxDepth = 64

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.numbers(let x), .numbers(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    // MARK: - Accessors (nil when the value is of another kind)

    /// The member named `key` of an object.
    public subscript(key: String) -> JSON? {
        if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    /// The members of an object, in the order written.
    public var object: [(String, JSON)]? { if case .object(let o) = self { return o }; return nil }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// An exact integer: an `.int`, or a `.double` holding a whole number within ±2^53 (such as
    /// `1.5e3` or an item of `.numbers`).
    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) <= JSON.exactDoubleLimit: return Int(d)
        default: return nil
        }
    }

    /// Any number as a double (an `.int` beyond ±2^53 rounded to the nearest).
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The items of an array (those of `.numbers` as `.double`s).
    public var array: [JSON]? {
        switch self {
        case .array(let items): return items
        case .numbers(let xs): return xs.map { .double($0) }
        default: return nil
        }
    }

    /// The items of an array holding only numbers, as doubles (integers beyond ±2^53 rounded to
    /// the nearest); nil for any other value.
    public var numbers: [Double]? {
        switch self {
        case .numbers(let xs): return xs
        case .array(let items):
            var out: [Double] = []
            out.reserveCapacity(items.count)
            for item in items {
                switch item {
                case .int(let i): out.append(Double(i))
                case .double(let d): out.append(d)
                default: return nil
                }
            }
            return out
        default: return nil
        }
    }

    /// The kind of value, for messages: "a number", "an array", …
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .numbers, .array: "an array"
        case .object: "an object"
        }
    }

    /// 2^53: every whole number up to this magnitude is exact as a double.
    static let exactDoubleLimit = 9_007_199_254_740_992.0
}
