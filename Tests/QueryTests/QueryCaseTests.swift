import Foundation
import Testing
@testable import Engine
@testable import EventFormat
@testable import Query

enum HandData {
    /// `batch` written to a temporary file with the page size and the cluster size (one of
    /// `clusterEvents`) that `seed` picks, and opened. The file is unlinked at once: the
    /// dataset's open descriptor keeps it readable until the dataset goes.
    static func dataset(_ batch: EventBatch, seed: Int, clusterEvents: [Int], name: String) throws -> EVCDataset {
        let path = NSTemporaryDirectory() + "darkscan-\(name)-\(getpid())-\(seed).evc"
        defer { unlink(path) }
        var options = WriterOptions()
        options.pageBytes = [64, 4096, 512 * 1024][seed % 3]
        options.clusterEvents = clusterEvents[(seed / 3) % clusterEvents.count]
        let w = try EVCWriter(path: path, schema: schema, options: options)
        try w.write(batch)
        try w.close()
        return try EVCDataset(paths: [path])
    }

    static let schema = try! Schema([
        Field(id: 1, name: "e", kind: .scalar(.float32), unit: Unit("GeV")),
        Field(id: 2, name: "h", kind: .scalar(.float32), unit: Unit("GeV")),
        Field(id: 3, name: "veto", kind: .scalar(.uint8)),
        Field(id: 4, name: "srd", kind: .scalar(.float32), unit: Unit("MeV")),
        Field(id: 5, name: "t", kind: .scalar(.float64), unit: Unit("ns")),
        Field(id: 6, name: "cells", kind: .array(.float32, shape: [2, 2]), unit: Unit("GeV")),
        Field(id: 7, name: "hits", kind: .recordList([
            Field(id: 8, name: "amp", kind: .scalar(.float32), unit: Unit("ADC")),
            Field(id: 9, name: "plane", kind: .scalar(.uint8)),
        ])),
        Field(id: 10, name: "flag", kind: .scalar(.bool)),
        Field(id: 11, name: "run", kind: .scalar(.uint32)),
        Field(id: 12, name: "missing_energy", kind: .scalar(.float32), unit: Unit("GeV")),
    ])

    /// The 8 events the cases file is worked out on.
    static func batch() throws -> EventBatch {
        var b = EventBatch(schema: schema)
        let e: [Float] = [10, 20, 30, 40, 50, 60, .nan, 80]
        b.column("e")!.append(contentsOf: e)
        b.column("h")!.append(contentsOf: [Float(0.5), 2, 0, 0.1, 5, 0, 0, 1])
        b.column("veto")!.append(contentsOf: [UInt8(0), 1, 0, 0, 2, 0, 0, 0])
        b.column("srd")!.append(contentsOf: [Float(10), 20, 30, 90, 5, 60, 70, 0])
        b.column("t")!.append(contentsOf: [1.0, -1, 2.5, 0, 10, 3, -5, 7])
        var total: UInt64 = 0
        for i in 0..<8 {
            b.column("cells")!.append(contentsOf: (0..<4).map { Float(i + $0) })
            for k in 0..<(i % 3) {
                b.column("hits.amp")!.append(Float(i * 10 + 5 * k))
                b.column("hits.plane")!.append(UInt8(k))
            }
            total += UInt64(i % 3)
            b.column("hits#offsets")!.append(total)
        }
        b.column("flag")!.append(contentsOf: [true, false, true, false, true, false, true, false])
        b.column("run")!.append(contentsOf: [UInt32(1), 1, 1, 1, 2, 2, 2, 2])
        b.column("missing_energy")!.append(contentsOf: e.map { 100 - $0 })
        try b.commitEvents(8)
        return b
    }

    static func file(pageBytes: Int = 512 * 1024, clusterEvents: Int = 1 << 20) throws -> EVCFile {
        let path = NSTemporaryDirectory() + "darkscan-query-\(getpid())-\(UUID().uuidString.prefix(6)).evc"
        var options = WriterOptions()
        options.pageBytes = pageBytes
        options.clusterEvents = clusterEvents
        let w = try EVCWriter(path: path, schema: schema, options: options)
        try w.write(batch())
        try w.close()
        let f = try EVCFile(path: path)
        unlink(path)  // the mapping keeps it readable
        return f
    }
}

@Suite struct QueryCaseTests {
    struct Case: CustomStringConvertible {
        var line: Int
        var query: String
        var expected: String
        var description: String { "line \(line): \(query)" }
    }

    static let cases: [Case] = {
        let url = Bundle.module.url(forResource: "cases", withExtension: "txt", subdirectory: "Cases")!
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { i, l in
            guard !l.hasPrefix("#"), let r = l.range(of: " => ") else { return nil }
            return Case(line: i + 1, query: String(l[..<r.lowerBound]), expected: String(l[r.upperBound...]))
        }
    }()

    static let file = try! HandData.file()
    // The same events in many tiny clusters and pages: the results must not change.
    static let splitFile = try! HandData.file(pageBytes: 64, clusterEvents: 3)

    @Test(arguments: cases)
    func queryCase(_ c: Case) throws {
        var checker = Checker(schema: HandData.schema)
        if c.expected.hasPrefix("error ") {
            let parts = c.expected.split(separator: " ")
            do {
                _ = try checker.check(query: c.query)
                Issue.record("expected \(c.expected)")
            } catch {
                #expect(error.code.rawValue == parts[1], "\(error.rendered())")
                let r = parts[2].split(separator: ".").filter { !$0.isEmpty }.map { Int($0)! }
                #expect(error.range == SourceRange(r[0], r[1]), "\(error.rendered())")
            }
            return
        }
        let q = try checker.check(query: c.query)
        let expected = c.expected.split(separator: " ").map { Int($0)! }
        for f in [Self.file, Self.splitFile] {
            for threads in [1, 2] {
                var options = ScanOptions(threads: threads)
                options.batchSize = threads == 1 ? 2048 : 2
                let flow = try Scan(dataset: try EVCDataset(files: [f]), query: q, options: options).count()
                #expect(flow.total == 8)
                #expect(flow.lines.map(\.events) == expected)
            }
        }
    }

    @Test func errorRendering() throws {
        var checker = Checker(schema: HandData.schema)
        do {
            _ = try checker.check(query: "missing energy > 50 ns, veto == 0")
        } catch {
            #expect(error.rendered() == """
                1 | missing energy > 50 ns, veto == 0
                  |                  ^^^^^ cannot compare 'missing energy' (energy, GeV) with '50 ns' (time, ns)
                """)
        }
        do {
            _ = try checker.check(query: "ecal_energy > 5")
        } catch {
            #expect(error.rendered() == """
                1 | ecal_energy > 5
                  | ^^^^^^^^^^^ unknown name 'ecal_energy'
                """)
        }
        do {
            _ = try checker.check(query: "srd_e > 1")
        } catch {
            #expect(error.message == "unknown name 'srd_e'; did you mean 'srd'?")
        }
    }

    @Test func cutNamesAreTheirOwnText() throws {
        var checker = Checker(schema: HandData.schema)
        let q = try checker.check(query: "missing energy > 50 GeV,veto == 0 , signal: e < 50")
        #expect(q.cuts.map(\.name) == ["missing energy > 50 GeV", "veto == 0", "signal"])
    }

    @Test func definesAndWeights() throws {
        var checker = Checker(schema: HandData.schema)
        try checker.define("define total = e + h")
        try checker.define("quiet = veto == 0")
        let q = try checker.check(query: "total > 50, quiet", weight: "2 * h")
        var options = ScanOptions(threads: 2)
        options.nMinusOne = true
        let flow = try Scan(dataset: try EVCDataset(files: [Self.file]), query: q, options: options).count()
        // total > 50: events 4 (55), 5 (60), 7 (81); quiet among them: 5, 7.
        #expect(flow.lines.map(\.events) == [3, 2])
        #expect(flow.lines[0].sumW == 2 * (5 + 0 + 1))
        #expect(flow.lines[1].sumW == 2 * (0 + 1))
        #expect(flow.lines[1].sumW2 == 4 * (0 + 1))
        // N-1: passing all but `total > 50` = quiet = 6; all but quiet = 3.
        #expect(flow.nMinusOne == [6, 3])
        do {
            try checker.define("e = 5")
            Issue.record("redefining a column must fail")
        } catch {
            #expect(error.code == .duplicateName)
        }
    }
}

@Suite struct QueryLimitTests {
    /// Hostile or runaway queries get a `too-complex` error, never a stack overflow.
    @Test(arguments: [
        String(repeating: "(", count: 20_000) + "e > 1" + String(repeating: ")", count: 20_000),
        String(repeating: "not ", count: 5_000) + "flag",
        String(repeating: "-", count: 5_000) + "e > 1",
        Array(repeating: "e", count: 5_000).joined(separator: " + ") + " > 1",
        Array(repeating: "e > 1", count: 5_000).joined(separator: ", "),
        "sum(" + String(repeating: "abs(", count: 1_000) + "cells" + String(repeating: ")", count: 1_001) + " > 1",
    ])
    func tooComplexQueriesAreRefused(query: String) {
        var checker = Checker(schema: HandData.schema)
        do {
            _ = try checker.check(query: query)
            Issue.record("accepted a query of \(query.utf8.count) bytes")
        } catch {
            #expect(error.code == .tooComplex, "\(error.message)")
        }
    }

    @Test func deepButReasonableQueriesStillWork() throws {
        var checker = Checker(schema: HandData.schema)
        let chain = Array(repeating: "h", count: 200).joined(separator: " + ") + " > 1"
        #expect(try checker.check(query: chain).cuts.count == 1)
        let nested = String(repeating: "(", count: 60) + "e > 1" + String(repeating: ")", count: 60)
        #expect(try checker.check(query: nested).cuts.count == 1)
    }
}
