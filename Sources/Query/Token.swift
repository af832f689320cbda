/// Tokens of the query language (Formats/QUERY.md, "Lexical structure").
public enum TokenKind: Sendable, Equatable {
    case number(Double, isInteger: Bool)
    case identifier(String)
    case op(String)  // < <= > >= == != + - * / ! && || ( ) [ ] , : = and, in histogram specs, .. @
    case end
}

public struct Token: Sendable, Equatable {
    public var kind: TokenKind
    public var range: SourceRange
}

/// Splits query text into tokens. Identifiers are letters, digits, `_` and `.` (for record
/// members such as `mm_hits.plane`), starting with a letter or `_`; `..` ends a number or an
/// identifier (histogram ranges: `0 GeV..150 GeV`).
public enum Lexer {
    /// `histogramSpec` admits `@`, which only histogram specs use (Formats/QUERY.md, section 9).
    public static func tokens(_ text: String, histogramSpec: Bool = false) throws(QueryError) -> [Token] {
        let b = Array(text.utf8)
        var out: [Token] = []
        var i = 0
        func isIdentStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        while i < b.count {
            let c = b[i]
            if c == 32 || c == 9 || c == 10 || c == 13 {
                i += 1
                continue
            }
            let start = i
            if isDigit(c) || (c == 46 && i + 1 < b.count && isDigit(b[i + 1])) {
                var isInteger = true
                while i < b.count && isDigit(b[i]) { i += 1 }
                // A '.' starts the fraction unless it begins '..' (`0..150` is a range).
                if i < b.count && b[i] == 46 && !(i + 1 < b.count && b[i + 1] == 46) {
                    isInteger = false
                    i += 1
                    while i < b.count && isDigit(b[i]) { i += 1 }
                }
                if i < b.count && (b[i] == 101 || b[i] == 69) {
                    // An exponent only if digits follow (so that `5 eV` is not read as 5e…).
                    var j = i + 1
                    if j < b.count && (b[j] == 43 || b[j] == 45) { j += 1 }
                    if j < b.count && isDigit(b[j]) {
                        isInteger = false
                        i = j
                        while i < b.count && isDigit(b[i]) { i += 1 }
                    }
                }
                let s = String(decoding: b[start..<i], as: UTF8.self)
                guard let v = Double(s) else { throw QueryError(.unexpectedToken, "'\(s)' is not a number", SourceRange(start, i), source: text) }
                out.append(Token(kind: .number(v, isInteger: isInteger), range: SourceRange(start, i)))
                continue
            }
            if isIdentStart(c) {
                while i < b.count && (isIdentStart(b[i]) || isDigit(b[i]) || (b[i] == 46 && !(i + 1 < b.count && b[i + 1] == 46))) { i += 1 }
                out.append(Token(kind: .identifier(String(decoding: b[start..<i], as: UTF8.self)), range: SourceRange(start, i)))
                continue
            }
            let two = i + 1 < b.count ? String(decoding: b[i...i + 1], as: UTF8.self) : ""
            if ["<=", ">=", "==", "!=", "&&", "||", ".."].contains(two) {
                out.append(Token(kind: .op(two), range: SourceRange(i, i + 2)))
                i += 2
                continue
            }
            let one = String(decoding: [c], as: UTF8.self)
            if "<>+-*/!()[],:=".contains(one) && c < 128 || histogramSpec && c == UInt8(ascii: "@") {
                out.append(Token(kind: .op(one), range: SourceRange(i, i + 1)))
                i += 1
                continue
            }
            // A whole UTF-8 character, for the message.
            var j = i + 1
            while j < b.count && b[j] & 0xC0 == 0x80 { j += 1 }
            throw QueryError(.unexpectedCharacter, "unexpected character '\(String(decoding: b[i..<j], as: UTF8.self))'", SourceRange(i, j), source: text)
        }
        out.append(Token(kind: .end, range: SourceRange(b.count, b.count)))
        return out
    }
}
