/// Numbers and strings: the tokens whose bytes need checking one by one.
extension JSONParser {
    static let maxNumberLength = 400

    func isDigit(_ i: Int) -> Bool { i < b.count && b[i] >= UInt8(ascii: "0") && b[i] <= UInt8(ascii: "9") }

    mutating func digits() -> Int {
        let start = at
        while isDigit(at) { at += 1 }
        return at - start
    }

    /// A number (RFC 8259 grammar: no leading zeros, no '+', no bare '.'): `.int` for an integer
    /// literal that fits 64 bits, else `.double`; beyond the range of a double is an error.
    mutating func number() throws(JSONError) -> JSON {
        let start = at
        let negative = b[at] == UInt8(ascii: "-")
        if negative { at += 1 }
        guard isDigit(at) else { throw fail(.syntax, "expected a digit, found \(describe())") }
        let intStart = at
        if b[at] == UInt8(ascii: "0") {
            at += 1
            if isDigit(at) { throw fail(.syntax, "a number with a leading zero", at: intStart) }
        } else {
            _ = digits()
        }
        let intEnd = at
        var isInteger = true
        if at < b.count, b[at] == UInt8(ascii: ".") {
            at += 1
            isInteger = false
            guard digits() > 0 else { throw fail(.syntax, "expected a digit after '.', found \(describe())") }
        }
        if at < b.count, b[at] == UInt8(ascii: "e") || b[at] == UInt8(ascii: "E") {
            at += 1
            isInteger = false
            if at < b.count, b[at] == UInt8(ascii: "+") || b[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw fail(.syntax, "expected a digit in the exponent, found \(describe())") }
        }
        guard at - start <= Self.maxNumberLength else { throw fail(.numberOutOfRange, "a number of \(at - start) characters", at: start) }
        if isInteger && intEnd - intStart <= 18 {  // 18 digits cannot overflow Int
            var v = 0
            for i in intStart..<intEnd { v = v * 10 + Int(b[i] &- UInt8(ascii: "0")) }
            return .int(negative ? -v : v)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<at]), as: UTF8.self)
        if isInteger, let i = Int(text) { return .int(i) }
        guard let x = Double(text), x.isFinite else { throw fail(.numberOutOfRange, "number \(text) is beyond the range of a double", at: start) }
        return .double(x)
    }

    /// A string from its opening quote: escapes resolved, UTF-8 checked where it is written.
    mutating func string() throws(JSONError) -> String {
        at += 1
        var out: [UInt8] = []
        while true {
            guard at < b.count else { throw fail(.syntax, "unterminated string") }
            let c = b[at]
            switch c {
            case UInt8(ascii: "\""):
                at += 1
                // The bytes were checked above; this guards that check.
                guard let s = String(validating: out, as: UTF8.self) else { throw fail(.badString, "a string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            case 0..<0x20:
                throw fail(.badString, "control character in a string")
            case 0x20..<0x80:
                out.append(c)
                at += 1
            default:
                guard let n = utf8Length(at) else { throw fail(.badString, "a string is not valid UTF-8") }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[at..<at + n]))
                at += n
            }
        }
    }

    /// The length of the UTF-8 sequence starting at `i` with a byte of 0x80 or more, or nil when
    /// it is not one RFC 3629 allows (a stray continuation byte, an overlong form, a surrogate,
    /// beyond U+10FFFF, or cut short).
    func utf8Length(_ i: Int) -> Int? {
        var n = 3, low: UInt8 = 0x80, high: UInt8 = 0xBF  // the range of the second byte
        switch b[i] {
        case 0xC2...0xDF: n = 2
        case 0xE0: low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: break
        case 0xED: high = 0x9F
        case 0xF0: n = 4; low = 0x90
        case 0xF1...0xF3: n = 4
        case 0xF4: n = 4; high = 0x8F
        default: return nil
        }
        guard i + n <= b.count, b[i + 1] >= low, b[i + 1] <= high else { return nil }
        for k in 2..<n where b[i + k] < 0x80 || b[i + k] > 0xBF { return nil }
        return n
    }

    /// An escape from its backslash, appended as UTF-8.
    mutating func escape(into out: inout [UInt8]) throws(JSONError) {
        at += 1
        guard at < b.count else { throw fail(.syntax, "unterminated string") }
        let e = b[at]
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            at += 1
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard at + 1 < b.count, b[at] == UInt8(ascii: "\\"), b[at + 1] == UInt8(ascii: "u") else {
                    throw fail(.badString, "unpaired surrogate in \\u escape")
                }
                at += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw fail(.badString, "unpaired surrogate in \\u escape", at: at - 6) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw fail(.badString, "unpaired surrogate in \\u escape", at: at - 6)
            }
            // Safe: surrogates were excluded above and four hex digits (or a pair) stay below U+110000.
            UTF8.encode(Unicode.Scalar(scalar)!) { out.append($0) }
            return
        default:
            let what = e >= 0x21 && e < 0x7F ? "\\\(Character(Unicode.Scalar(e)))" : "\\ followed by byte 0x\(String(e, radix: 16))"
            throw fail(.badString, "unknown escape \(what)")
        }
        at += 1
    }

    /// Four hex digits of a \u escape, from `at`.
    mutating func hex4() throws(JSONError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard at < b.count else { throw fail(.syntax, "expected four hex digits after \\u, found the end of the file") }
            let c = b[at]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c &- UInt8(ascii: "A") &+ 10
            default: throw fail(.syntax, "expected four hex digits after \\u, found \(describe())")
            }
            v = v << 4 | UInt32(d)
            at += 1
        }
        return v
    }
}
