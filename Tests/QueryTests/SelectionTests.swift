import Foundation
import Testing
@testable import Engine
@testable import EventFormat
@testable import Query

/// The selection forms (all, bit mask, index list) and the fused `column op constant` tests
/// against the reference evaluator, at selectivities near 0%, 50% and 99% and across the switch
/// between dense and list evaluation; with weights and N-1 counts; for several batch sizes and
/// thread counts.
@Suite struct SelectionTests {
    typealias Rng = DifferentialTests.Rng

    static let schema = try! Schema([
        Field(id: 1, name: "x", kind: .scalar(.float32)),
        Field(id: 2, name: "y", kind: .scalar(.float64)),
        Field(id: 3, name: "u", kind: .scalar(.uint8)),
        Field(id: 4, name: "s", kind: .scalar(.int16)),
        Field(id: 5, name: "r", kind: .scalar(.uint32)),
        Field(id: 6, name: "flag", kind: .scalar(.bool)),
        Field(id: 7, name: "cells", kind: .array(.float32, shape: [3])),
        Field(id: 8, name: "w", kind: .scalar(.float64)),
    ])

    /// Values spread evenly over [0, 1) (x, y, cells: 0.3% NaN), 0...255 (u), -1000...999 (s),
    /// 0...9999 (r), so that `x < q` keeps a fraction q of the events.
    static func data(_ n: Int, _ r: inout Rng) throws -> EventBatch {
        var b = EventBatch(schema: schema)
        func unit() -> Float { r.int(1000) < 3 ? .nan : Float(r.int(100_000)) / 100_000 }
        for _ in 0..<n {
            b.column("x")!.append(unit())
            b.column("y")!.append(Double(unit()))
            b.column("u")!.append(UInt8(r.int(256)))
            b.column("s")!.append(Int16(r.int(2000) - 1000))
            b.column("r")!.append(UInt32(r.int(10_000)))
            b.column("flag")!.append(r.int(100) < 99)
            for _ in 0..<3 { b.column("cells")!.append(unit()) }
            b.column("w")!.append(Double(r.int(1000)) / 100 - 1)
        }
        try b.commitEvents(n)
        return b
    }

    /// A condition keeping about a fraction `q` of the events, in one of the test kinds.
    static func cut(_ q: Double, _ r: inout Rng) -> String {
        let lo = r.int(2) == 0
        switch r.int(8) {
        case 0: return lo ? "x < \(q)" : "x >= \(1 - q)"
        case 1: return lo ? "\(q) > y" : "y > \(1 - q)"
        case 2: return lo ? "u < \(Int(q * 256))" : "u >= \(256 - Int(q * 256))"
        case 3: return lo ? "s <= \(Int(q * 2000) - 1001)" : "s > \(999 - Int(q * 2000))"
        case 4: return lo ? "r < \(Int(q * 10_000))" : "r != \(r.int(10_000))"
        case 5: return q > 0.9 ? "flag" : "not flag"
        case 6: return "cells[\(r.int(3))] \(lo ? "<" : ">") \(lo ? q : 1 - q)"
        default: return "x < \(q) and y > \(1 - q)"  // two tests in one cut
        }
    }

    static func file(_ batch: EventBatch, clusterEvents: Int, pageBytes: Int, _ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "darkscan-sel-\(getpid())-\(name).evc"
        var options = WriterOptions()
        options.clusterEvents = clusterEvents
        options.pageBytes = pageBytes
        let w = try EVCWriter(path: path, schema: schema, options: options)
        try w.write(batch)
        try w.close()
        return path
    }

    /// Cut flows, Σw, Σw² and N-1 counts of chains of cuts with selectivities near 0%, 50% and
    /// 99%, against the reference, for batch sizes that leave partial batches and thread counts
    /// 1 and 2; the sums must also be identical whatever the batching and threads.
    @Test(arguments: 0..<6)
    func chainsMatchReference(seed: Int) throws {
        var r = Rng(s: UInt64(seed) &* 7919 &+ 17)
        let n = [5000, 9000, 20_000][seed % 3]
        let batch = try Self.data(n, &r)
        let path = try Self.file(batch, clusterEvents: [3000, 1 << 20][seed % 2], pageBytes: [4096, 512 * 1024][(seed / 2) % 2], "\(seed)")
        defer { unlink(path) }
        let ds = try EVCDataset(paths: [path])
        let reference = ReferenceEvaluator(batch: batch)
        let weights = batch.column("w")!.buffer(Double.self)
        for _ in 0..<12 {
            let chain = (0..<(2 + r.int(4))).map { _ in Self.cut(r.pick([0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999]), &r) }
            let query = chain.joined(separator: ", ")
            var checker = Checker(schema: Self.schema)
            let q = try checker.check(query: query, weight: "w")
            // The reference, event by event.
            var events = [Int](repeating: 0, count: q.cuts.count), nMinusOne = events
            var sumW = [Double](repeating: 0, count: q.cuts.count)
            for i in 0..<n {
                let pass = q.cuts.map { reference.truth($0.expr, i) }
                for k in q.cuts.indices {
                    guard pass[k] else { break }
                    events[k] += 1
                    sumW[k] += weights[i]
                }
                let failed = pass.indices.filter { !pass[$0] }
                if failed.isEmpty { for k in q.cuts.indices { nMinusOne[k] += 1 } } else if failed.count == 1 { nMinusOne[failed[0]] += 1 }
            }
            var flows: [CutFlow] = []
            for (threads, size) in [(1, 2048), (2, 2048), (1, 64), (2, 100), (1, 7)] {
                var so = ScanOptions(threads: threads)
                so.batchSize = size
                so.nMinusOne = true
                let flow = try Scan(dataset: ds, query: q, options: so).count()
                #expect(flow.lines.map(\.events) == events, "seed \(seed) \(query) batch \(size): \(flow.lines.map(\.events)) vs \(events)")
                #expect(flow.nMinusOne == nMinusOne, "seed \(seed) \(query) batch \(size): N-1 \(flow.nMinusOne ?? []) vs \(nMinusOne)")
                for k in q.cuts.indices {
                    #expect(abs(flow.lines[k].sumW - sumW[k]) <= 1e-9 * max(1, abs(sumW[k])), "seed \(seed) \(query) Σw of cut \(k)")
                }
                flows.append(flow)
            }
            #expect(flows.allSatisfy { $0.lines == flows[0].lines && $0.totalSumW == flows[0].totalSumW }, "seed \(seed) \(query): sums depend on batching or threads")
        }
    }

    /// BatchSelection itself: every sequence of tests, whichever form each starts from, keeps
    /// what a plain filter keeps, and `indices()` lists it at every stage.
    @Test func formsAgreeWithPlainFilter() throws {
        var r = Rng(s: 4242)
        let n = 2048
        let x = (0..<n * 3).map { _ in r.int(50) == 0 ? Float.nan : Float(r.int(10_000)) / 10_000 }
        let u = (0..<n).map { _ in UInt8(r.int(256)) }
        for trial in 0..<200 {
            let size = trial % 5 == 0 ? 1 + r.int(n) : n
            var sel = BatchSelection(capacity: n)
            sel.reset(size)
            var expected = Array(0..<size)
            for _ in 0..<(1 + r.int(6)) {
                let q = [0.001, 0.05, 0.1, 0.13, 0.2, 0.5, 0.9, 0.999][r.int(8)]
                let test: ColumnTest
                let pass: (Int) -> Bool
                switch r.int(3) {
                case 0:
                    test = ColumnTest(column: 0, per: 1, offset: 0, op: .lt, constant: .f32(Float(q)))
                    pass = { x[$0] < Float(q) }
                case 1:
                    let off = r.int(3)
                    test = ColumnTest(column: 0, per: 3, offset: off, op: .ge, constant: .f32(Float(1 - q)))
                    pass = { x[$0 * 3 + off] >= Float(1 - q) }
                default:
                    let c = UInt8(min(255, Int(q * 256)))
                    test = ColumnTest(column: 1, per: 1, offset: 0, op: .le, constant: .u8(c))
                    pass = { u[$0] <= c }
                }
                if test.column == 0 {
                    x.withUnsafeBytes { sel.apply(test, values: $0.baseAddress!) }
                } else {
                    u.withUnsafeBytes { sel.apply(test, values: $0.baseAddress!) }
                }
                expected = expected.filter(pass)
                #expect(sel.count == expected.count, "trial \(trial) form \(sel.form)")
                #expect(Array(sel.indices()).map(Int.init) == expected, "trial \(trial) form \(sel.form)")
            }
        }
    }

    /// A skim keeps exactly the survivors when most events pass (dense masks turned into the
    /// index list for the gather) and when almost none do.
    @Test(arguments: ["x < 0.999, flag", "x < 0.5, u >= 128", "x < 0.001"])
    func skimAtSelectivities(query: String) throws {
        var r = Rng(s: 77)
        let n = 7000
        let batch = try Self.data(n, &r)
        let name = "skim-\(query.utf8.reduce(0) { $0 &* 31 &+ Int($1) } & 0xFFFF_FFFF)"
        let input = try Self.file(batch, clusterEvents: 2500, pageBytes: 4096, name + "-in")
        let output = NSTemporaryDirectory() + "darkscan-sel-\(getpid())-\(name)-out.evc"
        defer { unlink(input); unlink(output) }
        var checker = Checker(schema: Self.schema)
        let q = try checker.check(query: query)
        let reference = ReferenceEvaluator(batch: batch)
        let keep = (0..<n).filter { i in q.cuts.allSatisfy { reference.truth($0.expr, i) } }
        let writer = try EVCWriter(path: output, schema: Self.schema)
        var so = ScanOptions(threads: 2)
        so.batchSize = 1000
        let flow = try Scan(dataset: try EVCDataset(paths: [input]), query: q, options: so).skim(to: writer)
        try writer.close()
        #expect(flow.selected == keep.count)
        let out = try EVCFile(path: output)
        var x: [UInt32] = [], cells: [UInt32] = [], s: [Int16] = []
        try out.batches(batchSize: 999).forEach { b in
            x += b.column("x")!.buffer(Float.self).map(\.bitPattern)
            cells += b.column("cells")!.buffer(Float.self).map(\.bitPattern)
            s += b.column("s")!.values(Int16.self)
        }
        let bx = batch.column("x")!.buffer(Float.self), bc = batch.column("cells")!.buffer(Float.self), bs = batch.column("s")!.buffer(Int16.self)
        #expect(x == keep.map { bx[$0].bitPattern })
        #expect(cells == keep.flatMap { i in (0..<3).map { bc[i * 3 + $0].bitPattern } })
        #expect(s == keep.map { bs[$0] })
    }
}
