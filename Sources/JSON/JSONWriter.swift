/// Writes JSON text deterministically: members in the order given, an `.int` as an integer, a
/// `.double` as the shortest text that reads back to it (keeping its decimal point or exponent:
/// `150.0`, `1e-05`), and in `.numbers` (histogram cells) a whole number within ±2^53 as an
/// integer (counts stay integers) and −0 as `-0.0`. JSON has no NaN or infinity: writing one is a
/// programming error (callers store them as null or refuse them first).
public struct JSONWriter {
    /// Where the line breaks and spaces go.
    public struct Style: Sendable {
        /// Spaces per level of nesting, each item on its own line; nil: one line without spaces.
        public var indent: Int?
        /// Written between a key and its value.
        public var colon: String
        /// `.numbers` on one line (`[1, 2]`) rather than one number a line.
        public var numbersOnOneLine: Bool
        /// Empty arrays and objects with a blank line inside, as Foundation's JSONSerialization
        /// prints them, rather than `[]` and `{}`.
        public var blankLineInEmpty: Bool

        public init(indent: Int?, colon: String, numbersOnOneLine: Bool, blankLineInEmpty: Bool) {
            self.indent = indent
            self.colon = colon
            self.numbersOnOneLine = numbersOnOneLine
            self.blankLineInEmpty = blankLineInEmpty
        }

        /// Two-space indent, `"key": value`, arrays of numbers on one line: histogram files.
        public static let pretty = Style(indent: 2, colon: ": ", numbersOnOneLine: true, blankLineInEmpty: false)
        /// One line without spaces: values stored inside other files' metadata.
        public static let compact = Style(indent: nil, colon: ":", numbersOnOneLine: true, blankLineInEmpty: false)
        /// The layout `darkscan … --json` prints (Foundation's `.prettyPrinted`): two-space indent,
        /// `"key" : value`, every array item on its own line.
        public static let expanded = Style(indent: 2, colon: " : ", numbersOnOneLine: false, blankLineInEmpty: true)
    }

    public private(set) var text = ""
    let style: Style

    init(style: Style) { self.style = style }

    public static func encode(_ v: JSON, style: Style = .pretty) -> String {
        var w = JSONWriter(style: style)
        w.write(v, level: 0)
        return w.text
    }

    /// `encode(v, style: .compact)`.
    public static func compact(_ v: JSON) -> String { encode(v, style: .compact) }

    /// A number of `.numbers`: whole numbers within ±2^53 as integers.
    public static func number(_ x: Double) -> String {
        precondition(x.isFinite, "JSON has no NaN or infinity")
        if x == 0 { return x.sign == .minus ? "-0.0" : "0" }
        if x == x.rounded(), abs(x) <= JSON.exactDoubleLimit { return String(Int64(x)) }
        return String(x)
    }

    /// A string in quotes; '"', '\', and control characters escaped, everything else as it is.
    public static func string(_ s: String) -> String {
        var out = ""
        appendString(s, to: &out)
        return out
    }

    static func appendString(_ s: String, to out: inout String) {
        out += "\""
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
        out += "\""
    }

    mutating func write(_ v: JSON, level: Int) {
        switch v {
        case .null: text += "null"
        case .bool(let b): text += b ? "true" : "false"
        case .int(let i): text += String(i)
        case .double(let x):
            precondition(x.isFinite, "JSON has no NaN or infinity")
            text += String(x)
        case .string(let s): JSONWriter.appendString(s, to: &text)
        case .numbers(let xs) where style.numbersOnOneLine:
            text += "["
            for (i, x) in xs.enumerated() {
                if i > 0 { text += style.indent == nil ? "," : ", " }
                text += JSONWriter.number(x)
            }
            text += "]"
        case .numbers(let xs):
            guard open("[", "]", count: xs.count, level: level) else { return }
            for (i, x) in xs.enumerated() {
                item(i, level: level)
                text += JSONWriter.number(x)
            }
            close("]", level: level)
        case .array(let items):
            guard open("[", "]", count: items.count, level: level) else { return }
            for (i, x) in items.enumerated() {
                item(i, level: level)
                write(x, level: level + 1)
            }
            close("]", level: level)
        case .object(let pairs):
            guard open("{", "}", count: pairs.count, level: level) else { return }
            for (i, (k, x)) in pairs.enumerated() {
                item(i, level: level)
                JSONWriter.appendString(k, to: &text)
                text += style.colon
                write(x, level: level + 1)
            }
            close("}", level: level)
        }
    }

    /// Opens a container; an empty one is written whole and false returned.
    mutating func open(_ opening: String, _ closing: String, count: Int, level: Int) -> Bool {
        text += opening
        guard count == 0 else { return true }
        if style.blankLineInEmpty, style.indent != nil { text += "\n\n" + padding(level) }
        text += closing
        return false
    }

    /// What goes before item `i` of a container at `level`.
    mutating func item(_ i: Int, level: Int) {
        if i > 0 { text += "," }
        if style.indent != nil { text += "\n" + padding(level + 1) }
    }

    mutating func close(_ closing: String, level: Int) {
        if style.indent != nil { text += "\n" + padding(level) }
        text += closing
    }

    func padding(_ level: Int) -> String { String(repeating: " ", count: (style.indent ?? 0) * level) }
}
