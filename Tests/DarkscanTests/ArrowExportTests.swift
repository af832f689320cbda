import Darkscan
import Foundation
import Testing

/// Exports are read back by pyarrow and polars (Tests/Python/check_arrow.py) and compared value
/// by value with `darkscan cat --format json`. tools/test makes the Python environment
/// (.build/venv with pyarrow and polars); without it these tests cannot run and say so.
enum PythonEnv {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build/venv/bin/python").path
    static let checker = root.appendingPathComponent("Tests/Python/check_arrow.py").path
    static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }

    static func run(_ args: [String]) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [checker] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLI.Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: "")
    }
}

@Suite(.enabled(if: PythonEnv.available, "needs .build/venv with pyarrow and polars: run tools/test"))
struct ArrowExportTests {
    /// Every scalar type, an array, a list and a record list, with edge values.
    static func everyKind(events: Int) throws -> String {
        var fields: [Field] = []
        for (i, t) in ScalarType.allCases.enumerated() { fields.append(Field(id: UInt32(i + 1), name: "s_\(t)", kind: .scalar(t), unit: Unit(i % 2 == 0 ? "GeV" : ""))) }
        fields.append(Field(id: 50, name: "cells", kind: .array(.float32, shape: [2, 3]), unit: Unit("MeV"), description: "cells"))
        fields.append(Field(id: 51, name: "flags", kind: .array(.bool, shape: [3])))
        fields.append(Field(id: 52, name: "times", kind: .list(.float64), unit: Unit("ns")))
        fields.append(Field(id: 53, name: "hits", kind: .recordList([Field(id: 54, name: "plane", kind: .scalar(.uint8)),
                                                                     Field(id: 55, name: "amp", kind: .scalar(.float32), unit: Unit("ADC"))])))
        let schema = try Schema(fields)
        var b = EventBatch(schema: schema)
        var total: UInt64 = 0, totalHits: UInt64 = 0
        for e in 0..<events {
            let edge = e % 7
            b.column("s_bool")!.append(e % 3 == 0)
            b.column("s_int8")!.append([Int8.min, -1, 0, 1, Int8.max, 5, 7][edge])
            b.column("s_int16")!.append([Int16.min, -1, 0, 1, Int16.max, 5, 7][edge])
            b.column("s_int32")!.append([Int32.min, -1, 0, 1, Int32.max, 5, 7][edge])
            b.column("s_int64")!.append([Int64.min, -1, 0, 1, Int64.max, 5, 7][edge])
            b.column("s_uint8")!.append([UInt8.max, 0, 1, 2, 3, 4, 5][edge])
            b.column("s_uint16")!.append([UInt16.max, 0, 1, 2, 3, 4, 5][edge])
            b.column("s_uint32")!.append([UInt32.max, 0, 1, 2, 3, 4, 5][edge])
            b.column("s_uint64")!.append([UInt64.max, 0, 1, 2, 3, 4, 5][edge])
            b.column("s_float32")!.append([Float.nan, .infinity, -.infinity, -0.0, 0.1, 100.5, 1e-30][edge])
            b.column("s_float64")!.append([Double.nan, .infinity, -.infinity, -0.0, 0.1, 1e300, .leastNonzeroMagnitude][edge])
            b.column("cells")!.append(contentsOf: (0..<6).map { Float(e * 6 + $0) / 4 })
            b.column("flags")!.append(contentsOf: [e % 2 == 0, true, e % 5 == 0])
            for k in 0..<(e % 4) { b.column("times")!.append(Double(e) + Double(k) / 8) }
            total += UInt64(e % 4)
            b.column("times#offsets")!.append(total)
            for k in 0..<(e % 3) {
                b.column("hits.plane")!.append(UInt8(k))
                b.column("hits.amp")!.append(Float(e) + 0.5)
            }
            totalHits += UInt64(e % 3)
            b.column("hits#offsets")!.append(totalHits)
        }
        try b.commitEvents(events)
        let path = CLI.scratch("kinds.evc")
        let w = try EVCWriter(path: path, schema: schema, metadata: [("run", "7")])
        try w.write(b)
        try w.close()
        return path
    }

    func check(_ evc: String, arrow: String, catArgs: [String] = [], meta: [String] = []) throws {
        let cat = try CLI.run(["cat", evc, "--format", "json", "--limit", "1000000"] + catArgs)
        #expect(cat.status == 0, "\(cat.stderr)")
        let ref = CLI.scratch("ref.json")
        try cat.stdout.write(toFile: ref, atomically: true, encoding: .utf8)
        let r = try PythonEnv.run([arrow, ref] + (meta.isEmpty ? [] : ["--expect-meta"] + meta))
        #expect(r.status == 0, "\(r.stdout)")
    }

    @Test(arguments: ["none", "lz4", "zstd"])
    func everyKindReadsBackInPyarrowAndPolars(compression: String) throws {
        let evc = try Self.everyKind(events: 2500)
        let out = CLI.scratch("kinds-\(compression).arrow")
        let r = try CLI.run(["export", evc, "--format", "arrow", "--compression", compression, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        try check(evc, arrow: out, meta: ["producer=darkscan export", "run=7"])
    }

    @Test func filteredExportCarriesQueryAndCutFlow() throws {
        let out = CLI.scratch("cand.arrow")
        let r = try CLI.run(["export", CLI.sample, "--where", "missing energy > 50 GeV, veto == 0", "--columns", "event,ecal_e,ecal_cells,mm_hits", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        // The reference: the same events, picked by skim and printed by cat.
        let skim = CLI.scratch("cand.evc")
        _ = try CLI.run(["skim", CLI.sample, "--where", "missing energy > 50 GeV, veto == 0", "--select", "event,ecal_e,ecal_cells,mm_hits", "-o", skim])
        try check(skim, arrow: out, meta: ["darkscan.query=missing energy > 50 GeV, veto == 0", "darkscan.cut_flow=veto == 0"])
    }

    @Test func emptyExportIsAValidFile() throws {
        let evc = try Self.everyKind(events: 0)
        let out = CLI.scratch("empty.arrow")
        #expect(try CLI.run(["export", evc, "-o", out]).status == 0)
        try check(evc, arrow: out)
    }
}
