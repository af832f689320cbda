import Testing
@testable import JSON

/// The writer: exact text in each layout, number and string forms, and round trips through the
/// parser.
@Suite struct JSONWriterTests {
    static let sample: JSON = .object([
        ("a", .int(1)),
        ("b", .numbers([1, 2.5, -0.0, 1e20])),
        ("c", .array([.string("x\n\u{1F}\"\\/é"), .null, .bool(true), .double(0.1)])),
        ("d", .object([])),
        ("e", .numbers([])),  // what the parser gives for []
        ("f", .double(150)),
    ])

    @Test func prettyLayout() {
        #expect(JSONWriter.encode(Self.sample) == """
            {
              "a": 1,
              "b": [1, 2.5, -0.0, 1e+20],
              "c": [
                "x\\n\\u001f\\"\\\\/é",
                null,
                true,
                0.1
              ],
              "d": {},
              "e": [],
              "f": 150.0
            }
            """)
    }

    @Test func compactLayout() {
        #expect(JSONWriter.compact(Self.sample) == #"{"a":1,"b":[1,2.5,-0.0,1e+20],"c":["x\n\u001f\"\\/é",null,true,0.1],"d":{},"e":[],"f":150.0}"#)
        #expect(JSONWriter.compact(.array([])) == "[]" && JSONWriter.encode(.array([])) == "[]" && JSONWriter.encode(.object([])) == "{}")
    }

    @Test func expandedLayout() {
        #expect(JSONWriter.encode(Self.sample, style: .expanded) == """
            {
              "a" : 1,
              "b" : [
                1,
                2.5,
                -0.0,
                1e+20
              ],
              "c" : [
                "x\\n\\u001f\\"\\\\/é",
                null,
                true,
                0.1
              ],
              "d" : {

              },
              "e" : [

              ],
              "f" : 150.0
            }
            """)
        #expect(JSONWriter.encode(.object([]), style: .expanded) == "{\n\n}")
        #expect(JSONWriter.encode(.array([.array([])]), style: .expanded) == "[\n  [\n\n  ]\n]")
    }

    @Test func numberForms() {
        #expect(JSONWriter.number(0) == "0" && JSONWriter.number(-0.0) == "-0.0")
        #expect(JSONWriter.number(3) == "3" && JSONWriter.number(-3) == "-3")
        #expect(JSONWriter.number(9_007_199_254_740_992) == "9007199254740992")
        #expect(JSONWriter.number(18_014_398_509_481_984) == "1.8014398509481984e+16")
        #expect(JSONWriter.number(0.1) == "0.1" && JSONWriter.number(1e-5) == "1e-05")
        #expect(JSONWriter.encode(.int(.min)) == "-9223372036854775808")
        #expect(JSONWriter.encode(.double(1)) == "1.0")
    }

    @Test func everyControlCharacterIsEscaped() throws {
        let s = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar(UInt8($0)) })) + "\u{7F}€😀"
        let text = JSONWriter.string(s)
        #expect(text.utf8.allSatisfy { $0 >= 0x20 })
        #expect(text.hasPrefix(#""\u0000\u0001"#) && text.contains(#"\b"#) == false && text.contains(#"\t\n\u000b\u000c\r"#))
        #expect(try JSON.parse(text) == .string(s))
    }

    /// Whatever is written reads back as the same value, in every layout.
    @Test func roundTrips() throws {
        let docs: [JSON] = [
            Self.sample,
            .array([.int(.max), .int(.min), .int(9_007_199_254_740_993)]),
            .numbers([0, -0.0, 1e-300, 1.7976931348623157e308, 9_007_199_254_740_992, 18_014_398_509_481_984, 0.30000000000000004]),
            .object([("", .string("")), ("\u{0}", .array([.numbers([]), .object([]), .array([.null])]))]),
            .double(.leastNonzeroMagnitude), .int(0), .string("😀\u{10FFFF}"), .bool(false), .null,
        ]
        for doc in docs {
            for style in [JSONWriter.Style.pretty, .compact, .expanded] {
                let text = JSONWriter.encode(doc, style: style)
                #expect(try JSON.parse(text) == doc, "\(text)")
            }
        }
        // Parsed text that a writer puts back: the same bytes.
        let text = JSONWriter.encode(Self.sample)
        #expect(JSONWriter.encode(try JSON.parse(text)) == text)
    }
}
