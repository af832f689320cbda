/// A small, strict JSON reader and writer for histogram files (RFC 8259). The reader takes
/// bytes from outside: it nests at most `maxDepth` deep, keeps arrays of numbers as flat
/// `[Double]` (a number costs 8 bytes however it is written), refuses duplicate keys, invalid
/// UTF-8, control characters in strings and numbers beyond the range of a double, and reports
/// the byte offset of what it cannot read. It never traps on bad input.
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, and whether it was written as an integer literal (no fraction, no exponent).
    case number(Double, isInteger: Bool)
    case string(String)
    /// An array holding only numbers (also the empty array).
    case numbers([Double])
    case array([JSON])
    /// Keys in the order written.
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x, let i), .number(let y, let j)): return x == y && i == j
        case (.string(let x), .string(let y)): return x == y
        case (.numbers(let x), .numbers(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public static let maxDepth = 64

    public subscript(key: String) -> JSON? {
        if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .numbers, .array: "an array"
        case .object: "an object"
        }
    }

    /// Parses a whole document; trailing bytes other than whitespace are an error.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(HistogramError) -> JSON {
        var r = JSONReader(bytes.bindMemory(to: UInt8.self))
        r.skipSpace()
        let v = try r.value(depth: 0)
        r.skipSpace()
        guard r.at == r.b.count else { throw r.fail("unexpected \(r.describe()) after the end of the document") }
        return v
    }

    public static func parse(_ bytes: [UInt8]) throws(HistogramError) -> JSON {
        try bytes.withUnsafeBytes { b in Result { () throws(HistogramError) in try parse(b) } }.get()
    }
}

struct JSONReader {
    let b: UnsafeBufferPointer<UInt8>
    var at = 0

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    func fail(_ message: String) -> HistogramError { HistogramError(message, place: "at byte \(at)") }

    func describe() -> String {
        guard at < b.count else { return "end of file" }
        let c = b[at]
        return c >= 0x21 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
    }

    mutating func skipSpace() {
        while at < b.count, b[at] == 0x20 || b[at] == 0x0A || b[at] == 0x0D || b[at] == 0x09 { at += 1 }
    }

    mutating func literal(_ word: String, _ v: JSON) throws(HistogramError) -> JSON {
        for c in word.utf8 {
            guard at < b.count, b[at] == c else { throw fail("expected '\(word)', found \(describe())") }
            at += 1
        }
        return v
    }

    mutating func value(depth: Int) throws(HistogramError) -> JSON {
        guard at < b.count else { throw fail("expected a value, found the end of the file") }
        switch b[at] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let (x, isInteger) = try number()
            return .number(x, isInteger: isInteger)
        default: throw fail("expected a value, found \(describe())")
        }
    }

    mutating func object(depth: Int) throws(HistogramError) -> JSON {
        guard depth <= JSON.maxDepth else { throw fail("nested more than \(JSON.maxDepth) levels deep") }
        at += 1
        var pairs: [(String, JSON)] = []
        var keys = Set<String>()
        skipSpace()
        if at < b.count, b[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
        while true {
            skipSpace()
            guard at < b.count, b[at] == UInt8(ascii: "\"") else { throw fail("expected a key in quotes, found \(describe())") }
            let keyAt = at
            let key = try string()
            guard keys.insert(key).inserted else { throw HistogramError("duplicate key \"\(key)\"", place: "at byte \(keyAt)") }
            skipSpace()
            guard at < b.count, b[at] == UInt8(ascii: ":") else { throw fail("expected ':' after a key, found \(describe())") }
            at += 1
            skipSpace()
            pairs.append((key, try value(depth: depth)))
            skipSpace()
            guard at < b.count else { throw fail("expected ',' or '}', found the end of the file") }
            if b[at] == UInt8(ascii: ",") { at += 1; continue }
            if b[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
            throw fail("expected ',' or '}', found \(describe())")
        }
    }

    mutating func array(depth: Int) throws(HistogramError) -> JSON {
        guard depth <= JSON.maxDepth else { throw fail("nested more than \(JSON.maxDepth) levels deep") }
        at += 1
        var numbers: [Double] = []
        var items: [JSON]? = nil  // once something other than a number appears
        skipSpace()
        if at < b.count, b[at] == UInt8(ascii: "]") { at += 1; return .numbers([]) }
        while true {
            skipSpace()
            if items == nil, at < b.count, b[at] == UInt8(ascii: "-") || (b[at] >= UInt8(ascii: "0") && b[at] <= UInt8(ascii: "9")) {
                numbers.append(try number().0)
            } else {
                if items == nil {
                    items = numbers.map { .number($0, isInteger: $0 == $0.rounded() && abs($0) < 1e18) }
                    numbers = []
                }
                items!.append(try value(depth: depth))
            }
            skipSpace()
            guard at < b.count else { throw fail("expected ',' or ']', found the end of the file") }
            if b[at] == UInt8(ascii: ",") { at += 1; continue }
            if b[at] == UInt8(ascii: "]") {
                at += 1
                return items.map { .array($0) } ?? .numbers(numbers)
            }
            throw fail("expected ',' or ']', found \(describe())")
        }
    }

    mutating func digits() -> Int {
        let start = at
        while at < b.count, b[at] >= UInt8(ascii: "0"), b[at] <= UInt8(ascii: "9") { at += 1 }
        return at - start
    }

    mutating func number() throws(HistogramError) -> (Double, Bool) {
        let start = at
        if b[at] == UInt8(ascii: "-") { at += 1 }
        guard at < b.count, b[at] >= UInt8(ascii: "0"), b[at] <= UInt8(ascii: "9") else { throw fail("expected a digit, found \(describe())") }
        if b[at] == UInt8(ascii: "0") { at += 1 } else { _ = digits() }
        var isInteger = true
        if at < b.count, b[at] == UInt8(ascii: ".") {
            at += 1
            isInteger = false
            guard digits() > 0 else { throw fail("expected a digit after '.', found \(describe())") }
        }
        if at < b.count, b[at] == UInt8(ascii: "e") || b[at] == UInt8(ascii: "E") {
            at += 1
            isInteger = false
            if at < b.count, b[at] == UInt8(ascii: "+") || b[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw fail("expected a digit in the exponent, found \(describe())") }
        }
        guard at - start <= 400 else { throw HistogramError("a number of \(at - start) characters", place: "at byte \(start)") }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<at]), as: UTF8.self)
        guard let x = Double(text), x.isFinite else { throw HistogramError("number \(text) is beyond the range of a double", place: "at byte \(start)") }
        return (x, isInteger)
    }

    mutating func string() throws(HistogramError) -> String {
        at += 1  // the opening quote
        var out: [UInt8] = []
        while true {
            guard at < b.count else { throw fail("unterminated string") }
            let c = b[at]
            if c == UInt8(ascii: "\"") { at += 1; break }
            if c < 0x20 { throw fail("control character in a string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                at += 1
                continue
            }
            at += 1
            guard at < b.count else { throw fail("unterminated string") }
            let e = b[at]
            at += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard at + 1 < b.count, b[at] == UInt8(ascii: "\\"), b[at + 1] == UInt8(ascii: "u") else { throw fail("unpaired surrogate in \\u escape") }
                    at += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail("unpaired surrogate in \\u escape")
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                at -= 1
                throw fail("unknown escape \\\(Character(Unicode.Scalar(e)))")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("a string is not valid UTF-8") }
        return s
    }

    mutating func hex4() throws(HistogramError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard at < b.count, let d = Int(String(Unicode.Scalar(b[at])), radix: 16) else { throw fail("expected four hex digits after \\u") }
            v = v * 16 + UInt32(d)
            at += 1
        }
        return v
    }
}
