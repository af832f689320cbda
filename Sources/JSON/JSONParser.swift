/// Why a document was refused, and the byte offset where: one line, e.g.
/// `at byte 12: duplicate key "name"`.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not JSON: a missing bracket, comma or quote, a stray character, a bad literal or
        /// number, `NaN`, `Infinity`, bytes after the document.
        case syntax
        /// Containers nested deeper than the limit.
        case tooDeep
        /// A key written twice in one object.
        case duplicateKey
        /// A number beyond the range of a double, or longer than 400 characters.
        case numberOutOfRange
        /// A string with invalid UTF-8, a control character, an unknown escape or an unpaired
        /// surrogate.
        case badString
    }

    public var kind: Kind
    public var message: String
    /// From the start of the document.
    public var offset: Int

    public init(_ kind: Kind, _ message: String, offset: Int) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    public var description: String { "at byte \(offset): \(message)" }
}

extension JSON {
    /// Parses a whole document from outside bytes. Nothing is trusted: nesting is bounded by
    /// `maxDepth`, every refusal is a `JSONError` naming the byte offset, nothing traps.
    /// Whitespace may surround the value; anything else after it is an error.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = JSON.maxDepth) throws(JSONError) -> JSON {
        // Safe: UInt8 has no alignment or invalid bit patterns, so any bytes can be viewed as it.
        var r = JSONParser(bytes.bindMemory(to: UInt8.self), maxDepth: maxDepth)
        r.skipSpace()
        let v = try r.value(depth: 0)
        r.skipSpace()
        guard r.at == r.b.count else { throw r.fail(.syntax, "unexpected \(r.describe()) after the end of the document") }
        return v
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = JSON.maxDepth) throws(JSONError) -> JSON {
        try bytes.withUnsafeBytes { b in Result { () throws(JSONError) in try parse(b, maxDepth: maxDepth) } }.get()
    }

    public static func parse(_ text: String, maxDepth: Int = JSON.maxDepth) throws(JSONError) -> JSON {
        var text = text
        return try text.withUTF8 { b in Result { () throws(JSONError) in try parse(UnsafeRawBufferPointer(b), maxDepth: maxDepth) } }.get()
    }
}

/// The recursive-descent reader behind `JSON.parse`: `at` is the offset of the next byte.
struct JSONParser {
    let b: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var at = 0

    init(_ b: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.b = b
        self.maxDepth = maxDepth
    }

    func fail(_ kind: JSONError.Kind, _ message: String, at offset: Int? = nil) -> JSONError {
        JSONError(kind, message, offset: offset ?? at)
    }

    /// The byte at `at` for a message: 'x', byte 0xff, or end of file.
    func describe() -> String {
        guard at < b.count else { return "end of file" }
        let c = b[at]
        return c >= 0x21 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
    }

    mutating func skipSpace() {
        while at < b.count, b[at] == 0x20 || b[at] == 0x0A || b[at] == 0x0D || b[at] == 0x09 { at += 1 }
    }

    func isNumberStart(_ c: UInt8) -> Bool { c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) }

    /// A value at nesting `depth` (the containers around it).
    mutating func value(depth: Int) throws(JSONError) -> JSON {
        guard at < b.count else { throw fail(.syntax, "expected a value, found the end of the file") }
        switch b[at] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case let c where isNumberStart(c): return try number()
        default: throw fail(.syntax, "expected a value, found \(describe())")
        }
    }

    mutating func literal(_ word: StaticString, _ v: JSON) throws(JSONError) -> JSON {
        for i in 0..<word.utf8CodeUnitCount {
            guard at < b.count, b[at] == word.utf8Start[i] else { throw fail(.syntax, "expected '\(word)', found \(describe())") }
            at += 1
        }
        return v
    }

    mutating func object(depth: Int) throws(JSONError) -> JSON {
        guard depth <= maxDepth else { throw fail(.tooDeep, "nested deeper than \(maxDepth) levels") }
        at += 1
        var pairs: [(String, JSON)] = []
        var keys = Set<String>()
        skipSpace()
        if at < b.count, b[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
        while true {
            skipSpace()
            guard at < b.count, b[at] == UInt8(ascii: "\"") else { throw fail(.syntax, "expected a key in quotes, found \(describe())") }
            let keyAt = at
            let key = try string()
            guard keys.insert(key).inserted else { throw fail(.duplicateKey, "duplicate key \"\(key)\"", at: keyAt) }
            skipSpace()
            guard at < b.count, b[at] == UInt8(ascii: ":") else { throw fail(.syntax, "expected ':' after a key, found \(describe())") }
            at += 1
            skipSpace()
            pairs.append((key, try value(depth: depth)))
            skipSpace()
            guard at < b.count else { throw fail(.syntax, "expected ',' or '}', found the end of the file") }
            if b[at] == UInt8(ascii: ",") { at += 1; continue }
            if b[at] == UInt8(ascii: "}") { at += 1; return .object(pairs) }
            throw fail(.syntax, "expected ',' or '}', found \(describe())")
        }
    }

    /// An array: first read as dense numbers; at the first item that is not a number (or an
    /// integer a double cannot hold) it is read again from its start as items.
    mutating func array(depth: Int) throws(JSONError) -> JSON {
        guard depth <= maxDepth else { throw fail(.tooDeep, "nested deeper than \(maxDepth) levels") }
        at += 1
        let first = at
        var numbers: [Double] = []
        skipSpace()
        if at < b.count, b[at] == UInt8(ascii: "]") { at += 1; return .numbers([]) }
        dense: while true {
            skipSpace()
            guard at < b.count, isNumberStart(b[at]) else { break dense }
            switch try number() {
            case .int(let i) where i.magnitude <= 1 << 53: numbers.append(Double(i))
            case .double(let x): numbers.append(x)
            default: break dense
            }
            guard try endOfItem() else { return .numbers(numbers) }
        }
        at = first
        var items: [JSON] = []
        while true {
            skipSpace()
            items.append(try value(depth: depth))
            guard try endOfItem() else { return .array(items) }
        }
    }

    /// After an array item: true at ',' (more follow), false at ']' (the end); both consumed.
    mutating func endOfItem() throws(JSONError) -> Bool {
        skipSpace()
        guard at < b.count else { throw fail(.syntax, "expected ',' or ']', found the end of the file") }
        if b[at] == UInt8(ascii: ",") { at += 1; return true }
        if b[at] == UInt8(ascii: "]") { at += 1; return false }
        throw fail(.syntax, "expected ',' or ']', found \(describe())")
    }
}
