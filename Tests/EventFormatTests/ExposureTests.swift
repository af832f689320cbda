import Foundation
import Testing
@testable import EventFormat

/// The exposure table (Formats/EVC.md, section 8.1): written, read, merged, carried through
/// checkpoints and recovery, and refused when damaged.
@Suite struct ExposureTests {
    static let schema = try! Schema([
        Field(id: 1, name: "run", kind: .scalar(.uint32)),
        Field(id: 2, name: "spill", kind: .scalar(.uint16)),
        Field(id: 3, name: "e", kind: .scalar(.float32), unit: Unit("GeV")),
    ])

    static func row(_ run: UInt32, _ spill: UInt32, eot: UInt64 = 1000) -> SpillExposure {
        SpillExposure(run: run, spill: spill, eot: eot, triggersAccepted: eot / 1000, triggersOffered: eot / 900, lengthMicroseconds: 4_800_000)
    }

    static func batch(_ n: Int, run: UInt32 = 1) -> EventBatch {
        var b = EventBatch(schema: schema, capacity: n)
        for i in 0..<n {
            b.column("run")!.append(run)
            b.column("spill")!.append(UInt16(i / 10 + 1))
            b.column("e")!.append(Float(i))
        }
        b.eventCount = n
        return b
    }

    func write(_ path: String, rows: [SpillExposure]?, events: Int = 30, options: WriterOptions = WriterOptions()) throws {
        let w = try EVCWriter(path: path, schema: Self.schema, options: options, exposure: try rows.map { try Exposure(rows: $0) })
        try w.write(Self.batch(events))
        try w.close()
    }

    @Test func roundTripAndVersion() throws {
        let path = TestFiles.path("expo.evc")
        let rows = [Self.row(2, 1), Self.row(1, 3), Self.row(1, 1, eot: 5)]
        try write(path, rows: rows)
        let f = try EVCFile(path: path)
        #expect(f.version.minor == 1)
        let e = try #require(try f.exposure())
        #expect(e.rows.map(\.key) == [SpillKey(run: 1, spill: 1), SpillKey(run: 1, spill: 3), SpillKey(run: 2, spill: 1)])
        #expect(e.totals.eot == 2005)
        #expect(e.totals.runs == 2)
        #expect(f.verify().ok)
        // Without a table the file stays a 1.0 file.
        let plain = TestFiles.path("plain.evc")
        try write(plain, rows: nil)
        let g = try EVCFile(path: plain)
        #expect(g.version.minor == 0)
        #expect(try g.exposure() == nil)
        // An empty table is a table: no counted spill.
        let empty = TestFiles.path("empty.evc")
        try write(empty, rows: [])
        #expect(try EVCFile(path: empty).exposure()?.isEmpty == true)
    }

    @Test func mergeAcceptsIdenticalRowsOnly() throws {
        var a = try Exposure(rows: [Self.row(1, 1), Self.row(1, 2)])
        try a.merge(try Exposure(rows: [Self.row(1, 2), Self.row(1, 3)]))
        #expect(a.count == 3)
        #expect(throws: ExposureConflict.self) { try a.merge(try Exposure(rows: [Self.row(1, 3, eot: 7)])) }
        #expect(throws: ExposureConflict.self) { try Exposure(rows: [Self.row(1, 1), Self.row(1, 1, eot: 9)]) }
        let named = Result { try Exposure.merged([("a.evc", a), ("b.evc", try Exposure(rows: [Self.row(1, 1, eot: 2)]))]) }
        guard case .failure(let e) = named else { Issue.record("conflict not found"); return }
        #expect("\(e)".contains("a.evc") && "\(e)".contains("b.evc") && "\(e)".contains("run 1 spill 1"))
        #expect(a.covers(run: 1, spills: 1, 3))
        #expect(!a.covers(run: 1, spills: 1, 4))
        #expect(!a.covers(run: 2, spills: 1, 1))
    }

    @Test func qualityFromScalers() {
        #expect(SpillExposure.fromScalers(run: 1, spill: 1, eot: 10, triggersAccepted: 1, triggersOffered: 2, lengthMicroseconds: 5).quality == 0)
        #expect(SpillExposure.fromScalers(run: 1, spill: 1, eot: nil, triggersAccepted: 1, triggersOffered: 2, lengthMicroseconds: 5).quality
                == SpillExposure.Quality.scalersIncomplete | SpillExposure.Quality.scalersInconsistent)
        #expect(SpillExposure.fromScalers(run: 1, spill: 1, eot: 10, triggersAccepted: 3, triggersOffered: 2, lengthMicroseconds: 5).quality == SpillExposure.Quality.scalersInconsistent)
    }

    /// Bytes of a file whose exposure table was `edit`ed (payload re-checksummed when `fix`).
    func damaged(_ edit: (inout [UInt8]) -> Void, fix: Bool) throws -> String {
        let path = TestFiles.path("bad-expo.evc")
        try write(path, rows: [Self.row(1, 1), Self.row(1, 2)])
        let f = try EVCFile(path: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let off = f.footer.exposureOffset, size = f.footer.exposureSize
        var payload = Array(bytes[off + 16..<off + size - 8])
        edit(&payload)
        if fix {
            let block = Block.frame(.exposure, payload)
            bytes.replaceSubrange(off..<off + size, with: block)
        } else {
            bytes.replaceSubrange(off + 16..<off + size - 8, with: payload)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func damagedTableIsAnErrorNamingIt() throws {
        // A flipped byte: the checksum catches it; events stay readable.
        let flipped = try damaged({ $0[20] ^= 1 }, fix: false)
        let f = try EVCFile(path: flipped)
        #expect(throws: EVCError.self) { try f.exposure() }
        do { _ = try f.exposure() } catch { #expect(error.code == .checksumMismatch && "\(error)".contains(flipped) && "\(error)".contains("exposure")) }
        #expect(try f.readEvents(cluster: 0).eventCount == 30)
        #expect(!f.verify().ok)
        // Rows out of order (the second row's spill set to 0), checksum fixed: still refused.
        let unordered = try damaged({ p in p[12 + 48 + 8] = 0 }, fix: true)
        do { _ = try EVCFile(path: unordered).exposure(); Issue.record("accepted rows out of order") } catch {
            #expect(error.code == .corrupt && error.message.contains("increasing"))
        }
        // A row count larger than the bytes can hold.
        let counted = try damaged({ p in p[8] = 0xFF; p[9] = 0xFF }, fix: true)
        #expect(throws: EVCError.self) { try EVCFile(path: counted).exposure() }
        // Reserved bits set.
        let reserved = try damaged({ p in p[4] = 1 }, fix: true)
        #expect(throws: EVCError.self) { try EVCFile(path: reserved).exposure() }
    }

    @Test func hostileTablesNeverCrash() throws {
        var rng = SeededRandom(seed: 14)
        var refused = 0, read = 0
        for _ in 0..<300 {
            let fix = rng.next() % 2 == 0
            let path = try damaged({ p in
                for _ in 0..<1 + Int(rng.next() % 4) { p[Int(rng.next() % UInt64(p.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            }, fix: fix)
            defer { unlink(path) }
            do {
                let e = try EVCFile(path: path).exposure()
                // Damage the checksum was resealed over (or a write of the byte already there) may
                // still read: then the table is consistent (totals are the sums of its rows, one
                // row per spill).
                if let e {
                    #expect(e.totals.eot == e.rows.reduce(0) { $0 &+ $1.eot } && e.totals.spills == e.rows.count)
                    #expect(Set(e.rows.map { SpillKey(run: $0.run, spill: $0.spill) }).count == e.rows.count)
                }
                read += 1
            } catch {
                #expect(error.path == path && !error.message.isEmpty)
                refused += 1
            }
        }
        #expect(refused > 0 && refused + read == 300)
    }

    @Test func checkpointsAndRecoveryKeepTheTable() throws {
        let path = TestFiles.path("ckpt.evc")
        var options = WriterOptions()
        options.clusterEvents = 10
        options.checkpointEvery = 1
        let w = try EVCWriter(path: path, schema: Self.schema, options: options, exposure: Exposure())
        try w.addExposure([Self.row(1, 1)])
        try w.write(Self.batch(10))  // cluster 0 + checkpoint with spill 1
        try w.addExposure([Self.row(1, 2)])
        try w.write(Self.batch(10))  // cluster 1 + checkpoint with spills 1, 2
        try w.addExposure([Self.row(1, 3)])  // not checkpointed: lost with the process
        #expect(throws: EVCError.self) { try w.addExposure([Self.row(1, 2, eot: 3)]) }
        let r = try Recovery.recover(path: w.partialPath)
        #expect(r.clustersKept == 2)
        let f = try EVCFile(path: path)
        #expect(f.version.minor == 1)
        #expect(try f.exposure()?.rows.map(\.spill) == [1, 2])
        #expect(f.verify().ok)
        // Appending keeps the table and adds to it.
        let a = try EVCWriter(appendingTo: path, options: options)
        try a.addExposure([Self.row(1, 3)])
        try a.write(Self.batch(5))
        try a.close()
        let g = try EVCFile(path: path)
        #expect(try g.exposure()?.rows.map(\.spill) == [1, 2, 3])
        #expect(g.eventCount == 25)
        #expect(g.verify().ok)
    }

    @Test func recoveryOfA10FileWithoutTable() throws {
        let path = TestFiles.path("ckpt10.evc")
        var options = WriterOptions()
        options.clusterEvents = 10
        let w = try EVCWriter(path: path, schema: Self.schema, options: options)
        try w.write(Self.batch(20))
        _ = try Recovery.recover(path: w.partialPath)
        let f = try EVCFile(path: path)
        #expect(f.version.minor == 0)
        #expect(try f.exposure() == nil)
        #expect(throws: EVCError.self) { try EVCWriter(appendingTo: path).addExposure([Self.row(1, 1)]) }
    }
}
