import Testing
@testable import JSON

/// The parser: what it keeps (exact integers, dense numbers, key order) and what it refuses,
/// each refusal with its kind and the exact byte offset.
@Suite struct JSONParserTests {
    /// The error of parsing `bytes` (a failed expectation when they parse).
    static func error(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> JSONError? {
        do {
            let v = try JSON.parse(bytes)
            Issue.record("accepted \(String(decoding: bytes, as: UTF8.self).debugDescription) as \(v)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    static func error(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONError? {
        error(Array(text.utf8), sourceLocation: sourceLocation)
    }

    @Test func numbersKeepWhatWasWritten() throws {
        #expect(try JSON.parse("9223372036854775807") == .int(.max))
        #expect(try JSON.parse("-9223372036854775808") == .int(.min))
        #expect(try JSON.parse("-0") == .int(0))
        #expect(try JSON.parse("1795964951982131219") == .int(1_795_964_951_982_131_219))
        #expect(try JSON.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))  // beyond 64 bits
        #expect(try JSON.parse("1.5e3") == .double(1500))
        #expect(try JSON.parse("1.5e3").int == 1500)
        #expect(try JSON.parse("150.0") == .double(150))
        #expect(try JSON.parse("-0.0") == .double(-0.0))
        #expect(try JSON.parse("1E-2") == .double(0.01))
        #expect(try JSON.parse("1e308") == .double(1e308))
        #expect(try JSON.parse("5e-324") == .double(.leastNonzeroMagnitude))
        #expect(try JSON.parse("1e-400") == .double(0))  // underflows to zero: within range
        // 400 characters is the longest number read.
        #expect(try JSON.parse("0." + String(repeating: "1", count: 398)).double != nil)
    }

    @Test func hugeNumbersAreRefused() {
        let e = Self.error("[1, 1e999]")
        #expect(e?.kind == .numberOutOfRange && e?.offset == 4 && e?.message == "number 1e999 is beyond the range of a double")
        #expect(Self.error("-1e309")?.kind == .numberOutOfRange)
        let long = Self.error("[" + String(repeating: "1", count: 401) + "]")
        #expect(long?.kind == .numberOutOfRange && long?.offset == 1 && long?.message == "a number of 401 characters")
    }

    @Test func arraysOfNumbersAreDense() throws {
        #expect(try JSON.parse("[1, 2.5, -3e2, 0]") == .numbers([1, 2.5, -300, 0]))
        #expect(try JSON.parse("[]") == .numbers([]))
        #expect(try JSON.parse(" [ 9007199254740992 ] ") == .numbers([9_007_199_254_740_992]))
        #expect(try JSON.parse("[[1, 2], [], [3]]") == .array([.numbers([1, 2]), .numbers([]), .numbers([3])]))
        // Anything else makes an array of items, its numbers exact: read again from the start.
        #expect(try JSON.parse("[1, 2.5, \"a\", 3]") == .array([.int(1), .double(2.5), .string("a"), .int(3)]))
        #expect(try JSON.parse("[1, null]") == .array([.int(1), .null]))
        #expect(try JSON.parse("[{}]") == .array([.object([])]))
        #expect(try JSON.parse("[1, 9007199254740993]") == .array([.int(1), .int(9_007_199_254_740_993)]))
        #expect(try JSON.parse("[-9007199254740993]") == .array([.int(-9_007_199_254_740_993)]))
        // Accessors see both forms alike.
        #expect(try JSON.parse("[1, 2]").array == [.double(1), .double(2)])
        #expect(try JSON.parse("[1, 2]").array?.map(\.int) == [1, 2])
        #expect(try JSON.parse("[1, 9007199254740993]").numbers == [1, 9_007_199_254_740_992])
        #expect(try JSON.parse("[1, true]").numbers == nil)
        #expect(try JSON.parse("{}").numbers == nil)
    }

    @Test func objectsKeepTheirOrderAndRefuseDuplicateKeys() throws {
        let v = try JSON.parse(#"{"b": 1, "a": {"x": [true, false]}, "c": "s"}"#)
        #expect(v.object?.map(\.0) == ["b", "a", "c"])
        #expect(v["a"]?["x"]?.array == [.bool(true), .bool(false)])
        #expect(v["b"]?.int == 1 && v["c"]?.string == "s" && v["z"] == nil && v["c"]?["x"] == nil)
        let e = Self.error(#"{"name": 1, "x": 2, "name": 3}"#)
        #expect(e?.kind == .duplicateKey && e?.offset == 20 && e?.message == "duplicate key \"name\"")
        // Keys are compared after their escapes are resolved.
        #expect(Self.error(#"{"a": 1, "\u0061": 2}"#)?.kind == .duplicateKey)
        // The same key in different objects is fine.
        #expect(try JSON.parse(#"{"a": {"a": 1}, "b": {"a": 2}}"#)["b"]?["a"] == .int(2))
    }

    @Test func nestingIsBounded() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try JSON.parse(ok) != .null)
        let deep = Self.error(String(repeating: "[", count: 65) + String(repeating: "]", count: 65))
        #expect(deep?.kind == .tooDeep && deep?.offset == 64 && deep?.message == "nested deeper than 64 levels")
        let objects = Self.error(String(repeating: "{\"a\":", count: 100_000))
        #expect(objects?.kind == .tooDeep && objects?.offset == 64 * 5)
        #expect(Self.error(String(repeating: "[", count: 1_000_000))?.kind == .tooDeep)
        #expect(throws: JSONError.self) { try JSON.parse("[[[1]]]", maxDepth: 2) }
        #expect(try JSON.parse("[[1]]", maxDepth: 2) == .array([.numbers([1])]))
    }

    @Test func escapesAndSurrogatePairs() throws {
        #expect(try JSON.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try JSON.parse(#""\u0000\u00e9\u20AC\ud83d\ude00""#) == .string("\u{0}é€😀"))
        #expect(try JSON.parse(#""\uD834\uDD1E""#) == .string("𝄞"))
        let lone = Self.error(#""ab\ud800x""#)
        #expect(lone?.kind == .badString && lone?.offset == 9 && lone?.message == "unpaired surrogate in \\u escape")
        #expect(Self.error(#""\udc00""#)?.offset == 1)
        #expect(Self.error(#""\ud800\u0041""#)?.offset == 7)
        let unknown = Self.error(#""a\x""#)
        #expect(unknown?.kind == .badString && unknown?.offset == 3 && unknown?.message == "unknown escape \\x")
        #expect(Self.error(#""\u12G4""#)?.offset == 5)
        #expect(Self.error(#""\u12"#)?.message == "expected four hex digits after \\u, found the end of the file")
    }

    @Test func invalidUTF8IsRefusedWhereItIs() throws {
        #expect(try JSON.parse(Array("\"é€😀\"".utf8)) == .string("é€😀"))
        // A stray continuation byte, overlong forms, a surrogate, beyond U+10FFFF, cut short,
        // bytes that never occur: each refused at its first byte.
        let bad: [[UInt8]] = [[0x80], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x80, 0x80, 0x80],
                              [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xE2, 0x82, 0x41], [0xF5, 0x80, 0x80, 0x80], [0xFF]]
        for b in bad {
            let e = Self.error([0x22, 0x61] + b + [0x22])
            #expect(e?.kind == .badString && e?.offset == 2 && e?.message == "a string is not valid UTF-8", "\(b)")
        }
        // A lead byte whose continuation is an escape is not a sequence either.
        #expect(Self.error([0x22, 0xC3, 0x5C, 0x6E, 0x22])?.offset == 1)
        // Outside strings such bytes are not JSON at all.
        #expect(Self.error([0x5B, 0xC3, 0xA9, 0x5D])?.message == "expected a value, found byte 0xc3")
        let control = Self.error("\"a\u{01}b\"")
        #expect(control?.kind == .badString && control?.offset == 2 && control?.message == "control character in a string")
        #expect(Self.error("\"a\tb\"")?.kind == .badString)
    }

    @Test func trailingGarbageIsRefused() throws {
        #expect(try JSON.parse(" \n\t{} \r\n") == .object([]))
        for (text, offset) in [("1 2", 2), ("{} x", 3), ("[1]]", 3), ("nullx", 4), ("\"a\"\"b\"", 3)] {
            let e = Self.error(text)
            #expect(e?.kind == .syntax && e?.offset == offset && e?.message.hasSuffix("after the end of the document") == true, "\(text)")
        }
        #expect(Self.error([0x31, 0x00])?.message == "unexpected byte 0x0 after the end of the document")
    }

    @Test func malformedDocumentsAreRefused() {
        let cases: [(String, Int, String)] = [
            ("", 0, "expected a value, found the end of the file"),
            ("{", 1, "expected a key in quotes, found end of file"),
            ("[01]", 1, "a number with a leading zero"),
            ("-01", 1, "a number with a leading zero"),
            ("+1", 0, "expected a value, found '+'"),
            (".5", 0, "expected a value, found '.'"),
            ("1.", 2, "expected a digit after '.', found end of file"),
            ("1e+", 3, "expected a digit in the exponent, found end of file"),
            ("-", 1, "expected a digit, found end of file"),
            ("-x", 1, "expected a digit, found 'x'"),
            ("NaN", 0, "expected a value, found 'N'"),
            ("[Infinity]", 1, "expected a value, found 'I'"),
            ("[-Infinity]", 2, "expected a digit, found 'I'"),
            ("tru", 3, "expected 'true', found end of file"),
            ("nul", 3, "expected 'null', found end of file"),
            ("[1,]", 3, "expected a value, found ']'"),
            ("[1 2]", 3, "expected ',' or ']', found '2'"),
            ("[1,", 3, "expected a value, found the end of the file"),
            ("[\"a\"", 4, "expected ',' or ']', found the end of the file"),
            ("{,}", 1, "expected a key in quotes, found ','"),
            ("{\"a\" 1}", 5, "expected ':' after a key, found '1'"),
            ("{\"a\": 1,}", 8, "expected a key in quotes, found '}'"),
            ("{\"a\": 1", 7, "expected ',' or '}', found the end of the file"),
            ("{1: 2}", 1, "expected a key in quotes, found '1'"),
            ("\"abc", 4, "unterminated string"),
            ("'a'", 0, "expected a value, found '''"),
        ]
        for (text, offset, message) in cases {
            let e = Self.error(text)
            #expect(e?.offset == offset && e?.message == message, "\(text.debugDescription): \(e.map(String.init(describing:)) ?? "accepted")")
        }
        #expect(Self.error("[1 2]")?.description == "at byte 3: expected ',' or ']', found '2'")
    }

    @Test func everyTruncationFails() {
        let doc = #"{"a": [1, -0, 9223372036854775807, 1.5e3, true, null, {"b": []}], "s": "\u00e9\ud83d\ude00\n\"é"}"#
        let bytes = Array(doc.utf8)
        #expect((try? JSON.parse(bytes)) != nil)
        for n in 0..<bytes.count {
            #expect(throws: JSONError.self, "\(n) bytes") { try JSON.parse(Array(bytes[..<n])) }
        }
    }

    @Test func theThreeEntryPointsAgree() throws {
        let text = #"{"x": [1, "two", 3.0], "y": "ü"}"#
        let a = try JSON.parse(text), b = try JSON.parse(Array(text.utf8))
        let c = try Array(text.utf8).withUnsafeBytes { raw in try JSON.parse(raw) }
        #expect(a == b && b == c)
        #expect(try JSON.parse(Substring(text).description) == a)
    }

    @Test func accessorsAndKinds() throws {
        #expect(JSON.double(9_007_199_254_740_992).int == 9_007_199_254_740_992)
        #expect(JSON.double(9_007_199_254_740_994).int == nil)
        #expect(JSON.double(0.5).int == nil && JSON.string("1").int == nil)
        #expect(JSON.int(3).double == 3 && JSON.bool(true).double == nil)
        #expect(JSON.null.isNull && !JSON.int(0).isNull)
        #expect(JSON.int(1) != JSON.double(1))  // what was written is kept
        #expect(JSON.numbers([1]) != JSON.array([.double(1)]))
        #expect([JSON.null, .bool(true), .int(1), .double(1), .string(""), .numbers([]), .array([]), .object([])].map(\.kindName)
                == ["null", "a boolean", "a number", "a number", "a string", "an array", "an array", "an object"])
    }
}
