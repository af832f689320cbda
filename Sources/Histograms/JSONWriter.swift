/// Writes JSON text deterministically: keys in the order given, numbers in the shortest form
/// that reads back to the same double (a number that is not an integer literal keeps its decimal
/// point: 150.0; in arrays of numbers whole numbers print as integers), arrays of numbers on one
/// line.
public struct JSONWriter {
    public private(set) var text = ""

    public init() {}

    public static func number(_ x: Double) -> String {
        precondition(x.isFinite, "JSON has no NaN or infinity")
        if x == 0 { return x.sign == .minus ? "-0.0" : "0" }
        // Whole numbers a double holds exactly print as integers (counts stay integers).
        if x == x.rounded(), abs(x) <= 9_007_199_254_740_992 { return String(Int64(x)) }
        return String(x)
    }

    public static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// The text on one line, without spaces (for values stored inside other files' metadata).
    public static func compact(_ v: JSON) -> String {
        switch v {
        case .array(let items): return "[" + items.map(compact).joined(separator: ",") + "]"
        case .object(let pairs): return "{" + pairs.map { string($0.0) + ":" + compact($0.1) }.joined(separator: ",") + "}"
        case .numbers(let xs): return "[" + xs.map(number).joined(separator: ",") + "]"
        default: return encode(v)
        }
    }

    public static func encode(_ v: JSON, indent: String = "") -> String {
        var w = JSONWriter()
        w.write(v, indent)
        return w.text
    }

    mutating func write(_ v: JSON, _ indent: String) {
        switch v {
        case .null: text += "null"
        case .bool(let b): text += b ? "true" : "false"
        case .number(let x, let isInteger):
            precondition(x.isFinite, "JSON has no NaN or infinity")
            text += isInteger && abs(x) < 9.2e18 ? String(Int64(x)) : String(x)
        case .string(let s): text += JSONWriter.string(s)
        case .numbers(let xs):
            text += "["
            for (i, x) in xs.enumerated() {
                if i > 0 { text += ", " }
                text += JSONWriter.number(x)
            }
            text += "]"
        case .array(let items):
            if items.isEmpty { text += "[]"; return }
            let inner = indent + "  "
            text += "[\n"
            for (i, x) in items.enumerated() {
                text += inner
                write(x, inner)
                text += i + 1 < items.count ? ",\n" : "\n"
            }
            text += indent + "]"
        case .object(let pairs):
            if pairs.isEmpty { text += "{}"; return }
            let inner = indent + "  "
            text += "{\n"
            for (i, (k, x)) in pairs.enumerated() {
                text += inner + JSONWriter.string(k) + ": "
                write(x, inner)
                text += i + 1 < pairs.count ? ",\n" : "\n"
            }
            text += indent + "}"
        }
    }
}
