import Foundation
import Testing
@testable import EventFormat

@Suite struct RecoveryTests {
    static let schema = try! Schema([
        Field(id: 1, name: "event", kind: .scalar(.uint64)),
        Field(id: 2, name: "e", kind: .scalar(.float32), unit: Unit("GeV")),
        Field(id: 3, name: "hits", kind: .list(.uint16)),
    ])

    /// Writes `clusters` full clusters of 100 events plus 50 events of an open cluster, without
    /// closing, as if the process died; returns the final path and the writer (kept alive).
    func interruptedFile(clusters: Int, checkpointEvery: Int) throws -> (String, EVCWriter) {
        let path = TestFiles.path("run.evc")
        var options = WriterOptions()
        options.clusterEvents = 100
        options.checkpointEvery = checkpointEvery
        options.codec = .zstd(level: 1)
        let w = try EVCWriter(path: path, schema: Self.schema, options: options, metadata: [("run", "7")])
        var rng = SeededRandom(seed: 3)
        for c in 0...clusters {
            let n = c == clusters ? 50 : 100
            var b = RandomData.batch(Self.schema, events: n, &rng)
            let ev = b.column("event")!
            ev.removeAll()
            for i in 0..<n { ev.append(UInt64(c * 100 + i)) }
            b.eventCount = n
            try w.write(b)
        }
        return (path, w)
    }

    @Test(arguments: [0, 1, 2, 5])
    func recoversEveryCompleteCluster(checkpointEvery: Int) throws {
        // 5 clusters flushed; the 6th is open in memory and lost with the process.
        let (path, w) = try interruptedFile(clusters: 5, checkpointEvery: checkpointEvery)
        _ = w
        let partial = path + ".partial"
        defer { unlink(path) }
        let r = try Recovery.recover(path: partial)
        #expect(r.clustersKept == 5)
        #expect(r.eventsKept == 500)
        #expect(r.outputPath == path)
        let f = try EVCFile(path: path)
        #expect(f.eventCount == 500)
        #expect(f.verify().ok)
        #expect(f.metadata("recovered") != nil)
        if checkpointEvery > 0 { #expect(f.metadata("run") == "7") }
        var events: [UInt64] = []
        try f.batches(fields: ["event"]).forEach { events += $0.values("event")!.values(UInt64.self) }
        #expect(events == (0..<500).map(UInt64.init))
    }

    @Test func truncatedInsideAClusterKeepsThoseBefore() throws {
        let (path, w) = try interruptedFile(clusters: 3, checkpointEvery: 2)
        _ = w
        let partial = path + ".partial"
        defer { unlink(path) }
        // Three clusters are on disk; cut the file in the middle of the third one's pages.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: partial))
        let scan = bytes.withUnsafeBytes { try! Recovery.walk($0) }
        #expect(scan.clusters.count == 3)
        let cut = scan.clusters[2].pagesOffset + scan.clusters[2].pagesLength / 2
        truncate(partial, off_t(cut))
        let r = try Recovery.recover(path: partial)
        #expect(r.clustersKept == 2)
        #expect(r.eventsLost == 100)
        #expect(r.stopReason != nil)
        #expect(try EVCFile(path: path).eventCount == 200)
    }

    @Test func corruptPageStopsTheWalkThere() throws {
        let (path, w) = try interruptedFile(clusters: 4, checkpointEvery: 0)
        _ = w
        let partial = path + ".partial"
        defer { unlink(path) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: partial)))
        let scan = bytes.withUnsafeBytes { try! Recovery.walk($0) }
        bytes[scan.clusters[1].pagesOffset + 3] ^= 0xFF
        #expect(FileManager.default.createFile(atPath: partial, contents: Data(bytes)))
        let r = try Recovery.recover(path: partial)
        #expect(r.clustersKept == 1)
        #expect(r.stopReason?.contains("checksum") == true)
    }

    @Test func completeFileIsLeftAlone() throws {
        let (path, w) = try interruptedFile(clusters: 2, checkpointEvery: 1)
        try w.close()
        defer { unlink(path) }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try Recovery.recover(path: path).alreadyComplete)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func refusesToOverwriteAnExistingOutput() throws {
        let (path, w) = try interruptedFile(clusters: 2, checkpointEvery: 1)
        _ = w
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1])))
        defer { unlink(path); unlink(path + ".partial") }
        #expect(throws: EVCError.self) { try Recovery.recover(path: path + ".partial") }
    }
}

@Suite struct DatasetTests {
    func write(_ schema: Schema, events: Int) throws -> String {
        let path = TestFiles.path("ds.evc")
        var rng = SeededRandom(seed: UInt64(events))
        let w = try EVCWriter(path: path, schema: schema)
        try w.write(RandomData.batch(schema, events: events, &rng))
        try w.close()
        return path
    }

    @Test func filesWithTheSameSchemaReadAsOne() throws {
        let schema = try Schema([Field(id: 1, name: "e", kind: .scalar(.float32), unit: Unit("GeV"))])
        let a = try write(schema, events: 10), b = try write(schema, events: 25)
        defer { unlink(a); unlink(b) }
        let ds = try EVCDataset(paths: [a, b])
        #expect(ds.eventCount == 35)
        var firsts: [Int] = []
        var total = 0
        try ds.batches(batchSize: 8).forEach { firsts.append($0.firstEvent); total += $0.eventCount }
        #expect(total == 35)
        #expect(firsts == [0, 8, 10, 18, 26, 34])
    }

    @Test func schemaMismatchNamesTheFirstDifference() throws {
        let a = try write(try Schema([Field(id: 1, name: "e", kind: .scalar(.float32), unit: Unit("GeV"))]), events: 1)
        let b = try write(try Schema([Field(id: 1, name: "e", kind: .scalar(.float32), unit: Unit("MeV"))]), events: 1)
        defer { unlink(a); unlink(b) }
        do {
            _ = try EVCDataset(paths: [a, b])
            Issue.record("mismatch not detected")
        } catch {
            #expect(error.code == .schemaMismatch)
            #expect(error.path == b)
            #expect(error.message.contains("field 'e' is in MeV, expected GeV"))
        }
    }

    @Test func globAndDirectoryExpansion() throws {
        let dir = TestFiles.path("dsdir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["b.evc", "a.evc", "notes.txt"] { #expect(FileManager.default.createFile(atPath: dir + "/" + name, contents: Data())) }
        #expect(try EVCDataset.expand([dir]) == [dir + "/a.evc", dir + "/b.evc"])
        #expect(try EVCDataset.expand([dir + "/*.txt"]) == [dir + "/notes.txt"])
        #expect(throws: EVCError.self) { try EVCDataset.expand([dir + "/*.root"]) }
    }

    @Test func oneFileReadFromManyThreads() throws {
        let schema = try Schema([Field(id: 1, name: "x", kind: .scalar(.int64))])
        let path = TestFiles.path("mt.evc")
        defer { unlink(path) }
        var options = WriterOptions()
        options.clusterEvents = 1000
        let w = try EVCWriter(path: path, schema: schema, options: options)
        var b = EventBatch(schema: schema)
        b.columns[0]!.append(contentsOf: (0..<20_000).map { Int64($0 * 3) })
        try b.commitEvents(20_000)
        try w.write(b)
        try w.close()
        let f = try EVCFile(path: path)
        final class Sums: @unchecked Sendable { var v = [Int64](repeating: 0, count: 20) }
        let sums = Sums()
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            let batch = try! f.readEvents(cluster: i)
            sums.v[i] = batch.values("x")!.values(Int64.self).reduce(0, +)
        }
        var expected: Int64 = 0
        for i in 0..<20_000 { expected += Int64(i * 3) }
        #expect(sums.v.reduce(0, +) == expected)
    }
}
