import Foundation
import Testing
@testable import Engine
@testable import EventFormat
@testable import Query

/// The vectorized engine against the reference evaluator, on random queries over random data
/// with NaNs, zeros, empty lists, tiny pages and clusters and odd batch sizes; and the same
/// answers for 1 and 2 threads.
@Suite struct DifferentialTests {
    struct Rng: RandomNumberGenerator {
        var s: UInt64
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }
    }

    /// Random events of HandData's schema.
    static func data(_ n: Int, _ r: inout Rng) throws -> EventBatch {
        var b = EventBatch(schema: HandData.schema)
        func f(_ scale: Float) -> Float {
            switch r.int(20) {
            case 0: return .nan
            case 1: return 0
            case 2: return -0.0
            default: return Float(r.int(1000)) / 1000 * scale
            }
        }
        var total: UInt64 = 0
        for _ in 0..<n {
            let e = f(100)
            b.column("e")!.append(e)
            b.column("h")!.append(r.int(3) == 0 ? 0 : f(10))
            b.column("veto")!.append(UInt8(r.int(10) < 8 ? 0 : r.int(4)))
            b.column("srd")!.append(f(100))
            b.column("t")!.append(Double(r.int(2001)) / 100 - 10)
            for _ in 0..<4 { b.column("cells")!.append(f(50)) }
            let hits = r.int(5)
            for _ in 0..<hits {
                b.column("hits.amp")!.append(f(80))
                b.column("hits.plane")!.append(UInt8(r.int(4)))
            }
            total += UInt64(hits)
            b.column("hits#offsets")!.append(total)
            b.column("flag")!.append(r.int(2) == 0)
            b.column("run")!.append(UInt32(1 + r.int(3)))
            b.column("missing_energy")!.append(100 - e)
        }
        try b.commitEvents(n)
        return b
    }

    static func atom(_ r: inout Rng) -> String {
        let op = r.pick(["<", "<=", ">", ">=", "==", "!="])
        let c = r.pick(["0", "0.5", "10", "25.5", "50", "99.9", "-1", "1e3"])
        switch r.int(22) {
        case 0: return "e \(op) \(c) GeV"
        case 1: return "h \(op) \(c)"
        case 2: return "veto \(op) \(r.int(4))"
        case 3: return "srd \(op) \(c) MeV"
        case 4: return "t \(op) \(c) ns"
        case 5: return "missing energy \(op) \(c) GeV"
        case 6: return "sum(cells) \(op) \(c)"
        case 7: return "cells[\(r.int(2))][\(r.int(2))] \(op) \(c)"
        case 8: return "max(cells[\(r.int(2))]) \(op) \(c)"
        case 9: return "count(hits.amp > \(c)) \(op) \(r.int(3))"
        case 10: return "len(hits) \(op) \(r.int(4))"
        case 11: return "any(hits.plane == \(r.int(4)))"
        case 12: return "all(hits.amp < \(c))"
        case 13: return "min(hits.amp) \(op) \(c)"
        case 14: return "e + h \(op) \(c)"
        case 15: return "e * 2 - h \(op) \(c)"
        case 16: return "abs(t) \(op) \(c)"
        case 17: return "e / h \(op) \(c)"
        case 18: return r.int(2) == 0 ? "flag" : "not flag"
        case 19: return "veto in [0, \(r.int(4))]"
        case 20: return "\(r.int(50)) GeV < e < \(50 + r.int(60)) GeV"
        default: return "sum(hits.amp * 2) \(op) \(c)"
        }
    }

    static func condition(_ r: inout Rng, depth: Int = 0) -> String {
        if depth >= 2 || r.int(3) == 0 { return atom(&r) }
        switch r.int(4) {
        case 0: return "(\(condition(&r, depth: depth + 1)) and \(condition(&r, depth: depth + 1)))"
        case 1: return "(\(condition(&r, depth: depth + 1)) || \(condition(&r, depth: depth + 1)))"
        case 2: return "not (\(condition(&r, depth: depth + 1)))"
        default: return atom(&r)
        }
    }

    @Test(arguments: 0..<12)
    func engineMatchesReference(seed: Int) throws {
        var r = Rng(s: UInt64(seed) &* 1_000_003)
        let n = [1, 7, 300, 2049, 5000][seed % 5]
        let batch = try Self.data(n, &r)
        let ds = try HandData.dataset(batch, seed: seed, clusterEvents: [5, 1000, 1 << 20], name: "diff")
        let reference = ReferenceEvaluator(batch: batch)
        for _ in 0..<25 {
            let query = (0..<(1 + r.int(3))).map { _ in Self.condition(&r) }.joined(separator: ", ")
            var checker = Checker(schema: HandData.schema)
            let q = try checker.check(query: query)
            let expected = reference.cutFlow(q)
            var results: [[Int]] = []
            for (threads, size) in [(1, 2048), (2, 7), (2, 2048)] {
                var so = ScanOptions(threads: threads)
                so.batchSize = size
                let flow = try Scan(dataset: ds, query: q, options: so).count()
                results.append(flow.lines.map(\.events))
                #expect(flow.total == n)
            }
            #expect(results.allSatisfy { $0 == expected }, "seed \(seed) query: \(query) engine \(results) reference \(expected)")
        }
    }

    @Test func skimWritesExactlyTheSurvivors() throws {
        var r = Rng(s: 99)
        let batch = try Self.data(3000, &r)
        let input = NSTemporaryDirectory() + "darkscan-skim-in-\(getpid()).evc"
        let output = NSTemporaryDirectory() + "darkscan-skim-out-\(getpid()).evc"
        defer { unlink(input); unlink(output) }
        var options = WriterOptions()
        options.clusterEvents = 700
        options.pageBytes = 1024
        let w = try EVCWriter(path: input, schema: HandData.schema, options: options)
        try w.write(batch)
        try w.close()
        var checker = Checker(schema: HandData.schema)
        let q = try checker.check(query: "e > 30 GeV, count(hits.amp > 20) >= 1")
        let reference = ReferenceEvaluator(batch: batch)
        let keep = (0..<3000).filter { i in q.cuts.allSatisfy { reference.truth($0.expr, i) } }
        let ds = try EVCDataset(paths: [input])
        let writer = try EVCWriter(path: output, schema: HandData.schema)
        let flow = try Scan(dataset: ds, query: q, options: ScanOptions(threads: 2)).skim(to: writer)
        try writer.close()
        #expect(flow.selected == keep.count)
        let out = try EVCFile(path: output)
        #expect(out.eventCount == keep.count)
        var got = EventBatch(schema: HandData.schema)
        try out.batches(batchSize: 100).forEach { b in
            for c in HandData.schema.columns {
                let src = b.columns[c.index]!
                if c.role == .offsets {
                    let base = got.columns[c.index]!.count == 0 ? 0 : got.columns[c.index]!.buffer(UInt64.self).last!
                    for v in src.buffer(UInt64.self) { got.columns[c.index]!.append(v + base) }
                } else {
                    got.columns[c.index]!.append(src, range: 0..<src.count)
                }
            }
            got.noteAppendedEvents(b.eventCount)
        }
        let e = batch.column("e")!.buffer(Float.self)
        #expect(got.column("e")!.values(Float.self).map(\.bitPattern) == keep.map { e[$0].bitPattern })
        let offs = batch.column("hits#offsets")!.buffer(UInt64.self)
        let amps = batch.column("hits.amp")!.buffer(Float.self)
        var expectedAmps: [Float] = []
        for i in keep { expectedAmps += amps[(i == 0 ? 0 : Int(offs[i - 1]))..<Int(offs[i])] }
        #expect(got.column("hits.amp")!.values(Float.self).map(\.bitPattern) == expectedAmps.map(\.bitPattern))
        let cells = batch.column("cells")!.buffer(Float.self)
        #expect(got.column("cells")!.values(Float.self).map(\.bitPattern) == keep.flatMap { i in (0..<4).map { cells[i * 4 + $0].bitPattern } })
    }

    @Test func statisticsSkipWholeClustersAndKeepCountsExact() throws {
        // Run numbers grow cluster by cluster, so `run == 3` is decided from statistics alone.
        let path = NSTemporaryDirectory() + "darkscan-prune-\(getpid()).evc"
        defer { unlink(path) }
        let schema = try Self.runClusters(path)
        var checker = Checker(schema: schema)
        let q = try checker.check(query: "e >= 50, run == 3")
        let flow = try Scan(dataset: try EVCDataset(paths: [path]), query: q, options: ScanOptions(threads: 2)).count()
        #expect(flow.lines.map(\.events) == [500, 50])
        let q2 = try checker.check(query: "run == 3, e >= 50")
        let flow2 = try Scan(dataset: try EVCDataset(paths: [path]), query: q2, options: ScanOptions(threads: 2)).count()
        #expect(flow2.lines.map(\.events) == [100, 50])
        #expect(flow2.clustersSkipped == 9)
        #expect(flow2.clustersRead == 1)
    }

    @Test func float32ThresholdsMatchDoubleComparison() {
        var r = Rng(s: 5)
        let values: [Float] = [0, -0.0, 1, 0.1, 100.5, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, 3.4028235e38]
        let constants: [Double] = [0, 0.1, 1, 100.5, 100.50000001, 1e39, -1e39, .infinity, -.infinity, .nan, 1e-45, 3.4028235e38, Double(Float(0.1))]
        for op in [CompareOp.lt, .le, .gt, .ge, .eq, .ne] {
            for c in constants + (0..<20).map({ _ in Double(r.int(2000)) / 7 - 100 }) {
                let sel: Selection = Array(0..<Int32(values.count))
                let got = values.withUnsafeBufferPointer { Kernels.filterColumn(UnsafeRawPointer($0.baseAddress!), type: .float32, stride: 1, offset: 0, sel, op, c) }
                let want = sel.filter { i in
                    let x = Double(values[Int(i)])
                    switch op {
                    case .lt: return x < c
                    case .le: return x <= c
                    case .gt: return x > c
                    case .ge: return x >= c
                    case .eq: return x == c
                    case .ne: return x < c || x > c
                    }
                }
                #expect(got == want, "x \(op.rawValue) \(c)")
            }
        }
    }

    @Test func integerThresholdsAtTheLimits() {
        let v: [Int64] = [.min, -1, 0, 1, .max]
        let u: [UInt64] = [0, 1, 1 << 53, .max]
        for op in [CompareOp.lt, .le, .gt, .ge, .eq, .ne] {
            for c in [-1e19, -9.223372036854775808e18, -0.5, 0, 0.5, 1, 9.007199254740992e15, 9.223372036854775807e18, 1.8446744073709552e19, 1e20] {
                let sel: Selection = Array(0..<Int32(v.count))
                let got = v.withUnsafeBufferPointer { Kernels.filterColumn(UnsafeRawPointer($0.baseAddress!), type: .int64, stride: 1, offset: 0, sel, op, c) }
                let exact = sel.filter { i in Self.exact(op, v[Int(i)], c) }
                #expect(got == exact, "int64 x \(op.rawValue) \(c)")
                let usel: Selection = Array(0..<Int32(u.count))
                let ugot = u.withUnsafeBufferPointer { Kernels.filterColumn(UnsafeRawPointer($0.baseAddress!), type: .uint64, stride: 1, offset: 0, usel, op, c) }
                #expect(ugot == usel.filter { Self.exact(op, u[Int($0)], c) }, "uint64 x \(op.rawValue) \(c)")
            }
        }
    }

    /// x op c with no rounding of x: compares x with floor(c) as an integer of x's own type.
    static func exact<T: BinaryInteger>(_ op: CompareOp, _ x: T, _ c: Double) -> Bool {
        let f = c.rounded(.down)
        let order: Int  // the sign of x - c
        if let fi = T(exactly: f) {
            if x < fi { order = -1 } else if x > fi { order = 1 } else { order = c == f ? 0 : -1 }
        } else {
            order = f < 0 ? 1 : -1  // floor(c) lies below or above every value of T
        }
        switch op {
        case .lt: return order < 0
        case .le: return order <= 0
        case .gt: return order > 0
        case .ge: return order >= 0
        case .eq: return order == 0
        case .ne: return order != 0
        }
    }
}

@Suite struct PagePruningTests {
    /// A page that page statistics rule out is never decoded: here it is corrupt, and the count
    /// still succeeds and is exact.
    @Test func pagesRuledOutAreNotRead() throws {
        let schema = try Schema([Field(id: 1, name: "event", kind: .scalar(.uint64)), Field(id: 2, name: "e", kind: .scalar(.float32), unit: Unit("GeV"))])
        let path = NSTemporaryDirectory() + "darkscan-pages-\(getpid()).evc"
        defer { unlink(path) }
        var options = WriterOptions()
        options.pageBytes = 512  // 64 events per page of `event`
        options.codec = .none
        let w = try EVCWriter(path: path, schema: schema, options: options)
        var b = EventBatch(schema: schema)
        for i in 0..<10_000 {
            b.column("event")!.append(UInt64(i))
            b.column("e")!.append(Float(i % 100))
        }
        try b.commitEvents(10_000)
        try w.write(b)
        try w.close()
        // Damage the first page of `event` and the first page of `e`.
        let f0 = try EVCFile(path: path)
        let c = try f0.clusters()[0]
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[c.columns[0].pages[0].offset] ^= 0xFF
        bytes[c.columns[1].pages[0].offset] ^= 0xFF
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        var checker = Checker(schema: schema)
        let q = try checker.check(query: "event >= 9000, e < 10")
        // Batches of 2048 over the 10,000 events: the first four lie before event 9000.
        var options2048 = ScanOptions(threads: 2)
        options2048.batchSize = 2048
        let flow = try Scan(dataset: try EVCDataset(paths: [path]), query: q, options: options2048).count()
        #expect(flow.lines.map(\.events) == [1000, 100])
        #expect(flow.batchesDecidedByPages >= 4)
        // Without the statistics the damage is found.
        let q2 = try checker.check(query: "e < 10")
        #expect(throws: EVCError.self) { try Scan(dataset: try EVCDataset(paths: [path]), query: q2, options: ScanOptions(threads: 1)).count() }
    }
}
