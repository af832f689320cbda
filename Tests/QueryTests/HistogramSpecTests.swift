import Testing
@testable import EventFormat
@testable import Histograms
@testable import Query

/// Histogram specs (Formats/QUERY.md, section 9) over HandData's schema: what they check into,
/// and each error's code and the text its caret points at.
@Suite struct HistogramSpecTests {
    static let cuts = "high: e > 25, quiet: veto == 0"

    static func plans(_ specs: [String], cuts: String = cuts) throws(QueryError) -> [HistogramPlan] {
        var c = Checker(schema: HandData.schema)
        return try c.check(query: cuts, histograms: specs).histograms
    }

    @Test func theIssuesTwoFormsWorkAsWritten() throws {
        let p = try Self.plans(["e: 150 bins 0 GeV .. 150 GeV", "e vs h: 150 bins 0 GeV .. 150 GeV, 60 bins 0 GeV .. 60 GeV"])
        #expect(p[0].name == "e" && p[0].axes == [Axis(.regular(bins: 150, lower: 0, upper: 150), name: "e", unit: "GeV")])
        #expect(p[0].stage == 2 && p[0].stageName == "quiet" && p[0].domain == nil)
        #expect(p[1].name == "e vs h" && p[1].axes.map(\.kind) == [.regular(bins: 150, lower: 0, upper: 150), .regular(bins: 60, lower: 0, upper: 60)])
        #expect(p[1].axes[1].label == "h [GeV]")
    }

    @Test func unitsConvertLikeCutLiterals() throws {
        let p = try Self.plans(["e: 10 bins 0 MeV .. 50000 MeV", "srd: 10 bins 0 GeV..0.1 GeV", "t: 4 bins -2 .. 2", "e: edges [0, 1 GeV, 5000 MeV, 10]"].enumerated().map { "h\($0) = \($1)" })
        #expect(p[0].axes[0].kind == .regular(bins: 10, lower: 0, upper: 50))
        #expect(p[1].axes[0].kind == .regular(bins: 10, lower: 0, upper: 100) && p[1].axes[0].unit == "MeV")
        #expect(p[2].axes[0].kind == .regular(bins: 4, lower: -2, upper: 2))
        #expect(p[3].axes[0].kind == .variable(edges: [0, 1, 5, 10]))
    }

    @Test func elementsBooleansAndStages() throws {
        let p = try Self.plans(["hits.amp vs hits.plane: 10 bins 0 .. 100, integers 0 .. 4", "cells[1]: 5 bins 0 .. 10", "flag: bool",
                                "veto == 0 vs e: bool, 10 bins 0..100", "e vs hits.amp: 10 bins 0..100, 10 bins 0..100",
                                "n = len(hits): integers 0 .. 5 @all", "e: 10 bins 0..100 @ 1", "x = e: 10 bins 0..100 @ quiet", "e: 10 bins 0..100 @0"])
        #expect(p[0].domain != nil && p[0].axes[1].kind == .integer(lower: 0, upper: 4))
        #expect(p[1].domain == .array(count: 2))
        #expect(p[2].axes[0].kind == .boolean && p[3].axes[0].kind == .boolean)
        #expect(p[4].domain != nil)  // the event's e goes with each of its hits
        #expect(p[5...7].map(\.name) == ["n @ all events", "n @ high", "n @ quiet"])
        #expect(p[5...7].map(\.stage) == [0, 1, 2])
        #expect(p[8].name == "e @ high" && p[8].stage == 1)
        #expect(p[9].name == "x" && p[9].stage == 2)
        #expect(p[10].name == "e @ all events" && p[10].stage == 0)
        #expect(try Self.plans(["e: 1 bin 0..1"], cuts: "").first?.stage == 0)
    }

    static let errors: [(spec: String, code: QueryError.Code, caret: String)] = [
        ("x: 10 bins 0..1", .unknownName, "x"),
        ("e: 10 bins 0 ns .. 5 ns", .dimensionMismatch, "0 ns"),
        ("e: 0 bins 0..1", .badBinning, "0"),
        ("e: 1.5 bins 0..1", .badBinning, "1.5"),
        ("e: 10 bins 5 GeV .. 5000 MeV", .badBinning, "5 GeV .. 5000 MeV"),
        ("e: 2000000 bins 0..1", .badBinning, "2000000"),
        ("e vs h: 2000 bins 0..1, 3000 bins 0..1", .badBinning, "2000 bins 0..1, 3000 bins 0..1"),
        ("e: 10 bins 0..1, 5 bins 0..1", .badBinning, "5 bins 0..1"),
        ("e: 10 bins 0..1e999", .badBinning, "1e999"),
        ("e: edges [0, 2, 1]", .badBinning, "2, 1"),
        ("e: edges [1]", .badBinning, "edges [1]"),
        ("e: integers 0.5 .. 3", .badBinning, "0.5"),
        ("e: 10 bins e .. 3", .badBinning, "e"),
        ("e: 10 bins 0..1 @ nope", .unknownStage, "nope"),
        ("e: 10 bins 0..1 @ 3", .unknownStage, "3"),
        ("e: 10 bins 0..1 @", .unexpectedToken, "@"),
        ("e", .unexpectedToken, ""),
        ("e: bool", .badBinning, "bool"),
        ("flag: 10 bins 0..1", .badBinning, "10 bins 0..1"),
        ("e vs h vs t: 1 bin 0..1, 1 bin 0..1, 1 bin 0..1", .unexpectedToken, "vs"),
        ("cells[0] vs hits.amp: 1 bin 0..1, 1 bin 0..1", .shapeMismatch, "hits.amp"),
        ("e: 10 bins 0 .. 1 GeV extra", .unexpectedToken, "extra"),
        ("e: 10 bins 0 1", .unexpectedToken, "1"),
        ("e: 10 0..1", .unexpectedToken, "0"),
        ("hits: 1 bin 0..1", .typeMismatch, "hits"),
    ]

    @Test(arguments: 0..<errors.count)
    func errorsPointAtThePlace(index: Int) {
        let (spec, code, caret) = Self.errors[index]
        do throws(QueryError) {
            _ = try Self.plans([spec])
            Issue.record("'\(spec)' was accepted")
        } catch {
            #expect(error.code == code, "'\(spec)': \(error.message)")
            #expect(error.source == spec)
            let b = Array(spec.utf8)
            let got = String(decoding: b[min(error.range.start, b.count)..<min(error.range.end, b.count)], as: UTF8.self)
            #expect(got == caret, "'\(spec)': caret under '\(got)': \(error.message)")
        }
    }

    @Test func duplicateNamesAndTheTotalLimit() {
        #expect(throws: QueryError.self) { try Self.plans(["e: 10 bins 0..1", "e: 20 bins 0..1"]) }
        #expect(throws: QueryError.self) { try Self.plans((0..<5).map { "h\($0) = e vs h: 2000 bins 0..1, 2000 bins 0..1" }) }
    }
}
