import Foundation
import Testing
@testable import Histograms

@Suite struct UHITests {
    static func sample() -> [Histogram] {
        var one = Histogram(name: "ecal_e", axes: [Axis(.regular(bins: 3, lower: 0, upper: 150), name: "ecal_e", unit: "GeV")], weighted: false,
                            metadata: ["darkscan.query": .string("veto == 0"), "darkscan.events": .int(12), "darkscan.x": .double(0.5), "darkscan.flag": .bool(true)])
        for x in [-1.0, 10, 60, 149.9, 150, .nan] { one.fill(x) }
        var two = Histogram(name: "ecal_e vs hcal_e", axes: [Axis(.variable(edges: [0, 1, 10]), name: "ecal_e", unit: "GeV"),
                                                            Axis(.integer(lower: -1, upper: 2), name: "n")], weighted: true)
        two.fill(0.5, 0, weight: 2.5)
        two.fill(20, -3, weight: 1e-7)
        two.fill(5, 1, weight: .nan)
        var three = Histogram(name: "flag", axes: [Axis(.boolean, name: "veto == 0")], weighted: false)
        three.fill(1)
        return [one, two, three]
    }

    @Test func roundTrip() throws {
        let hs = Self.sample()
        let text = UHI.encode(hs)
        let back = try UHI.decode(Array(text.utf8))
        #expect(back == hs)
        #expect(back[1].nonFiniteWeights == 1)
        // Deterministic bytes.
        #expect(UHI.encode(back) == text)
        #expect(text.contains("\"values\": [1, 1, 1, 1, 2]"))
        #expect(text.contains("\"orig_type\": \"Integer\""))
    }

    @Test func singleHistogramDocument() throws {
        let one = JSONWriter.encode(UHI.encode(Self.sample()[0]))
        let back = try UHI.decode(Array(one.utf8))
        #expect(back.count == 1 && back[0].name == "ecal_e")
    }

    static let good = UHI.encode([sample()[0]])

    /// Hostile or malformed files: each gives one error naming the place, never a trap.
    static let hostile: [(String, String)] = [
        ("", "expected a value, found the end of the file"),
        ("{", "expected a key in quotes, found end of file"),
        ("[1, 2]", "a histogram file holds an object, not an array"),
        (good.replacingOccurrences(of: "\"uhi_schema\": 1", with: "\"uhi_schema\": 2"), "schema 2 is newer than this reader (1)"),
        (good.replacingOccurrences(of: "\"uhi_schema\": 1", with: "\"uhi_schema\": 1.5"), "uhi_schema): missing or not an integer"),
        (good.replacingOccurrences(of: "[1, 1, 1, 1, 2]", with: "[1, 1, 1, 2]"), "4 cells where the axis has 5"),
        (good.replacingOccurrences(of: "\"bins\": 3", with: "\"bins\": 1000000000000"), "bins): not a whole number from 1 to 1000000"),
        (good.replacingOccurrences(of: "\"bins\": 3", with: "\"bins\": 0"), "bins): not a whole number"),
        (good.replacingOccurrences(of: "\"lower\": 0.0", with: "\"lower\": NaN"), "expected a value, found 'N'"),
        (good.replacingOccurrences(of: "\"lower\": 0.0", with: "\"lower\": 1e999"), "beyond the range of a double"),
        (good.replacingOccurrences(of: "\"lower\": 0.0", with: "\"lower\": 200"), "lower edge 200.0 must be below the upper edge 150.0"),
        (good.replacingOccurrences(of: "\"lower\": 0.0", with: "\"lower\": \"0\""), "lower): missing or not a number"),
        (good.replacingOccurrences(of: "[1, 1, 1, 1, 2]", with: "[1, 1.5, 1, 1, 2]"), "1.5 is not a whole number a count can be"),
        (good.replacingOccurrences(of: "[1, 1, 1, 1, 2]", with: "[1, 1, 1, 1, \"2\"]"), "expected an array of numbers, found an array"),
        (good.replacingOccurrences(of: "\"type\": \"int\"", with: "\"type\": \"mean\""), "storage 'mean' is not supported"),
        (good.replacingOccurrences(of: "\"type\": \"regular\"", with: "\"type\": \"category_str\""), "category_str axes are not supported"),
        (good.replacingOccurrences(of: "\"underflow\": true", with: "\"underflow\": false"), "without its underflow bin"),
        (good.replacingOccurrences(of: "\"name\": \"ecal_e\",", with: "\"name\": \"ecal_e\", \"name\": \"x\","), "duplicate key \"name\""),
        (good.replacingOccurrences(of: "veto == 0", with: "\\ud800"), "unpaired surrogate"),
        (good.replacingOccurrences(of: "\"darkscan.flag\": true", with: "\"darkscan.flag\": null"), "metadata values are strings, numbers or booleans"),
        (String(good.dropLast(40)), "expected"),
        (String(repeating: "[", count: 100_000), "(at byte 64): nested more than 64 levels deep"),
        ("{\"a\": " + String(repeating: "[", count: 100_000), "nested more than 64 levels deep"),
        ("{\"h\": {\"uhi_schema\": 1, \"axes\": [{\"type\": \"regular\", \"lower\": 0, \"upper\": 1, \"bins\": 1000000, \"underflow\": true, \"overflow\": true, \"circular\": false}, {\"type\": \"regular\", \"lower\": 0, \"upper\": 1, \"bins\": 1000000, \"underflow\": true, \"overflow\": true, \"circular\": false}], \"storage\": {\"type\": \"int\", \"values\": []}}}",
         "more cells than the limit"),
        ("{\"h\": {\"uhi_schema\": 1, \"axes\": [], \"storage\": {\"type\": \"int\"}}}", "0 axes; darkscan reads 1D and 2D histograms"),
        (good + "x", "after the end of the document"),
        // Finite limits whose difference is not: every edge would be infinite or NaN.
        (good.replacingOccurrences(of: "\"lower\": 0.0", with: "\"lower\": -1.7e308").replacingOccurrences(of: "\"upper\": 150.0", with: "\"upper\": 1.7e308"),
         "wider than a double can hold"),
    ]

    @Test(arguments: 0..<hostile.count)
    func hostileInputIsOneLineError(index: Int) {
        let (text, expected) = Self.hostile[index]
        do {
            _ = try UHI.decode(Array(text.utf8), path: "bad.json")
            Issue.record("case \(index) was accepted")
        } catch {
            let line = error.description
            #expect(line.hasPrefix("bad.json"), "case \(index): \(line)")
            #expect(line.contains(expected), "case \(index): \(line)")
            #expect(!line.contains("\n"))
        }
    }

    @Test func everyTruncationAndByteFlipFailsCleanly() {
        let bytes = Array(Self.good.utf8)
        for n in stride(from: 0, to: bytes.count, by: 7) { _ = try? UHI.decode(Array(bytes[..<n])) }
        var r = Rng(s: 3)
        for _ in 0..<2000 {
            var b = bytes
            b[r.int(b.count)] = UInt8(r.int(256))
            if let hs = try? UHI.decode(b) { for h in hs { #expect(h.values.count == h.cellCount) } }
        }
    }

    @Test func invalidUTF8IsRefused() {
        var b = Array(Self.good.utf8)
        let i = b.firstIndex(of: UInt8(ascii: "v"))!
        b[i] = 0xFF
        #expect(throws: HistogramError.self) { try UHI.decode(b) }
    }
}
