import Foundation
import Testing
@testable import EventFormat

/// Outside bytes that are wrong in every way the issue lists: each must give an `EVCError` that
/// names the file, never a crash, a hang or a giant allocation.
@Suite struct BadInputTests {
    /// A small file with every field kind, four clusters with checkpoints and compressed pages.
    static let sample: [UInt8] = {
        let schema = try! Schema([
            Field(id: 1, name: "e", kind: .scalar(.float32), unit: Unit("GeV")),
            Field(id: 2, name: "cells", kind: .array(.uint16, shape: [2, 2])),
            Field(id: 3, name: "hits", kind: .recordList([Field(id: 4, name: "strip", kind: .scalar(.uint16)),
                                                          Field(id: 5, name: "t", kind: .scalar(.float64), unit: Unit("ns"))])),
        ])
        var rng = SeededRandom(seed: 5)
        let batch = RandomData.batch(schema, events: 40, &rng)
        var options = WriterOptions()
        options.codec = .lz4
        options.clusterEvents = 10  // four clusters, each followed by a checkpoint
        options.checkpointEvery = 1
        let path = TestFiles.path("sample.evc")
        let w = try! EVCWriter(path: path, schema: schema, options: options)
        try! w.write(batch)
        try! w.close()
        defer { unlink(path) }
        return Array(try! Data(contentsOf: URL(fileURLWithPath: path)))
    }()

    /// Opens `bytes` as a file and reads everything; returns the error, if any.
    func readAll(_ bytes: [UInt8], name: String = "bad.evc") -> EVCError? {
        let path = TestFiles.path(name)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { unlink(path) }
        do {
            let f = try EVCFile(path: path)
            for i in try f.clusters().indices { _ = try f.readEvents(cluster: i) }
            let report = f.verify()
            if let p = report.problems.first { return EVCError(.corrupt, p.description, path: path) }
            return nil
        } catch {
            #expect(error.path == path)
            #expect(!error.description.contains("\n"))
            return error
        }
    }

    @Test func sampleIsValid() {
        #expect(readAll(Self.sample) == nil)
    }

    @Test func emptyFile() {
        #expect(readAll([])?.message == "file is empty")
    }

    @Test func directory() throws {
        let dir = TestFiles.path("dir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { rmdir(dir) }
        #expect(throws: EVCError.self) { try EVCFile(path: dir) }
        do { _ = try EVCFile(path: dir) } catch { #expect(error.message.contains("directory")) }
    }

    @Test func missingFile() {
        do { _ = try EVCFile(path: "/nonexistent/x.evc") } catch { #expect(error.code == .io && error.path == "/nonexistent/x.evc") }
    }

    @Test func wrongMagic() {
        var b = Self.sample
        b[1] = UInt8(ascii: "X")
        #expect(readAll(b)?.code == .notEVC)
        #expect(readAll(Array("PAR1 this is parquet".utf8))?.code == .notEVC)
    }

    @Test func newerMajorVersion() {
        var b = Self.sample
        b[8] = 2
        let e = readAll(b)
        #expect(e?.code == .unsupportedVersion)
        #expect(e?.offset == 8)
    }

    @Test func unknownFeatureFlag() {
        var b = Self.sample
        b[12] = 0x04
        #expect(readAll(b)?.code == .unknownFeature)
    }

    @Test func truncationAtEveryByte() {
        let b = Self.sample
        for n in 0..<b.count {
            #expect(readAll(Array(b[0..<n])) != nil, "truncated to \(n) bytes reads as valid")
        }
    }

    @Test func flippedByteAnywhere() {
        // Every byte of the file: header, schema, cluster blocks, pages, index, footer, trailer.
        let b = Self.sample
        var undetected: [Int] = []
        for i in 0..<b.count {
            var c = b
            c[i] ^= 0x20
            if readAll(c) == nil { undetected.append(i) }
        }
        // Bytes no reader looks at (reserved padding of records the reader skips) may flip
        // unnoticed only inside checksummed blocks, where the checksum catches them: so none.
        #expect(undetected.isEmpty, "flips not detected at \(undetected.prefix(20))")
    }

    /// Rewrites the footer block with `edit` applied and fixes its checksum and the trailer, so
    /// that the reader meets absurd values past the checksum.
    func withFooter(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var b = Self.sample
        let t = b.count - 32
        let off = Int(b[t..<t + 8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let len = Int(b[off + 8..<off + 16].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var payload = Array(b[off + 16..<off + 16 + len])
        edit(&payload)
        let block = Block.frame(.footer, payload)
        b.replaceSubrange(off..<b.count, with: block + Trailer(footerOffset: off, footerSize: block.count).bytes())
        return b
    }

    @Test func absurdCountsInFooter() {
        // Event count (after the record size) set to 2^60.
        let e1 = readAll(withFooter { p in p.replaceSubrange(4..<12, with: [0, 0, 0, 0, 0, 0, 0, 0x10]) })
        #expect(e1 != nil)
        // Index offset pointing past the end.
        let e2 = readAll(withFooter { p in p.replaceSubrange(16..<24, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) })
        #expect(e2 != nil)
        // Record size far larger than the payload.
        let e3 = readAll(withFooter { p in p.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0x7F]) })
        #expect(e3?.message.contains("impossible") == true)
        // Field count of 4 billion: must be refused before allocating.
        let e4 = readAll(withFooter { p in p.replaceSubrange(36..<40, with: [0xFF, 0xFF, 0xFF, 0xFF]) })
        #expect(e4 != nil)
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = SeededRandom(seed: 77)
        for len in [1, 15, 16, 47, 48, 100, 1000] {
            for _ in 0..<20 {
                var g = Layout.headerMagic + [1, 0, 0, 0, 0, 0, 0, 0]
                g += (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                g += Layout.trailerMagic
                #expect(readAll(g) != nil)
            }
        }
    }

    /// Cutting the file anywhere keeps every cluster written before the cut: a longer prefix never
    /// recovers fewer clusters, and the whole file recovers them all.
    @Test func recoveryWalkKeepsEveryClusterBeforeTheCut() throws {
        let b = Self.sample
        let all = try b.withUnsafeBytes { try Recovery.walk($0) }
        #expect(all.clusters.count > 1 && all.stopReason == nil)
        var last = 0
        for n in 0...b.count {
            let prefix = Array(b[0..<n])
            guard let scan = prefix.withUnsafeBytes({ try? Recovery.walk($0) }) else { continue }  // cut inside header or schema
            #expect(scan.clusters.count >= last, "prefix of \(n) bytes")
            #expect(scan.clusters == Array(all.clusters.prefix(scan.clusters.count)), "prefix of \(n) bytes")
            last = scan.clusters.count
        }
        #expect(last == all.clusters.count)
    }
}

@Suite struct SizeLimitTests {
    /// A cluster whose pages claim more decoded bytes than a cluster may hold (here: two const
    /// pages of 2^28 - 1 float32 values each, 8 stored bytes in all) is refused before anything
    /// is allocated.
    @Test func clusterClaimingTooManyValuesIsRefused() throws {
        let schema = try Schema([Field(id: 1, name: "e", kind: .scalar(.float32))])
        let n = Layout.maxPageValues - 1
        let page = { (offset: Int) in
            PageInfo(offset: offset, count: n, encoding: .constant, codec: 0, storedSize: 4, encodedSize: 4, stats: .empty, checksum: 0)
        }
        let cluster = ClusterInfo(index: 0, firstEvent: 0, eventCount: 2 * n, pagesOffset: 100, pagesLength: 8,
                                  columns: [ColumnChunkInfo(column: 0, elementCount: 2 * n, stats: .empty, pages: [page(100), page(104)])])
        do {
            try cluster.validate(schema: schema, fileSize: 1000)
            Issue.record("a cluster of \(2 * n * 4) decoded bytes was accepted")
        } catch {
            #expect(error.code == .corrupt)
            #expect(error.message.contains("more than the \(Layout.maxClusterBytes) a cluster may hold"))
        }
        // One such page alone (1 GiB decoded) is refused too.
        let one = ClusterInfo(index: 0, firstEvent: 0, eventCount: n, pagesOffset: 100, pagesLength: 4,
                              columns: [ColumnChunkInfo(column: 0, elementCount: n, stats: .empty, pages: [page(100)])])
        #expect(throws: EVCError.self) { try one.validate(schema: schema, fileSize: 1000) }
    }

    @Test func writerRefusesSizesBeyondTheFormat() throws {
        let schema = try Schema([Field(id: 1, name: "e", kind: .scalar(.float32))])
        var options = WriterOptions()
        options.pageBytes = Layout.maxPageBytes * 2
        #expect(throws: EVCError.self) { try EVCWriter(path: TestFiles.path("x.evc"), schema: schema, options: options) }
        options = WriterOptions()
        options.clusterBytes = Layout.maxClusterBytes + 1
        #expect(throws: EVCError.self) { try EVCWriter(path: TestFiles.path("y.evc"), schema: schema, options: options) }
    }
}
