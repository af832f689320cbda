import Foundation
import Testing
@testable import EventFormat

/// The writer keeps a compressed page only when the codec saves enough of it
/// (WriterOptions.minimumSaving): lz4 must save an eighth, zstd anything; a float page lz4
/// cannot shrink enough is stored as plain values with codec none, and reads back the same.
@Suite struct WriterPolicyTests {
    static let schema = try! Schema([
        Field(id: 1, name: "noisy", kind: .scalar(.float32)),
        Field(id: 2, name: "half", kind: .scalar(.float32)),
        Field(id: 3, name: "smooth", kind: .scalar(.float32)),
    ])

    /// Random bits but for half of the top byte (lz4 saves next to nothing on their split bytes,
    /// zstd codes the top byte's entropy), a fixed top byte over random low bits (lz4 saves
    /// about a quarter), a few distinct values (most).
    static func file(_ options: WriterOptions, _ name: String) throws -> (EVCFile, EventBatch) {
        var rng = SeededRandom(seed: 3)
        var b = EventBatch(schema: schema)
        for i in 0..<50_000 {
            b.column("noisy")!.append(Float(bitPattern: 0x4000_0000 | UInt32(truncatingIfNeeded: rng.next()) & 0x0FFF_FFFF))
            b.column("half")!.append(Float(bitPattern: 0x4200_0000 | UInt32(truncatingIfNeeded: rng.next()) & 0x00FF_FFFF))
            b.column("smooth")!.append(Float(i % 7))
        }
        try b.commitEvents(50_000)
        let path = TestFiles.path("policy-\(name).evc")
        var o = options
        o.pageBytes = 64 * 1024
        let w = try EVCWriter(path: path, schema: schema, options: o)
        try w.write(b)
        try w.close()
        return (try EVCFile(path: path), b)
    }

    static func pages(_ f: EVCFile, _ column: Int) throws -> [PageInfo] { try f.clusters().flatMap { $0.columns[column].pages } }

    static func values(_ f: EVCFile, _ name: String) throws -> [UInt32] {
        var out: [UInt32] = []
        try f.batches(batchSize: 7000).forEach { out += $0.column(name)!.buffer(Float.self).map(\.bitPattern) }
        return out
    }

    @Test func lz4KeepsOnlyPagesItShrinksByAnEighth() throws {
        let (f, b) = try Self.file(WriterOptions(), "lz4")
        #expect(try Self.pages(f, 0).allSatisfy { $0.codec == Codec.none.id && $0.encoding == .plain })
        #expect(try Self.pages(f, 1).allSatisfy { $0.codec == Codec.lz4.id })
        #expect(try Self.pages(f, 2).allSatisfy { $0.codec == Codec.lz4.id })
        for p in try (0..<3).flatMap({ try Self.pages(f, $0) }) where p.codec == Codec.lz4.id {
            #expect(p.storedSize * 8 <= p.encodedSize * 7)
        }
        for (i, name) in ["noisy", "half", "smooth"].enumerated() {
            #expect(try Self.values(f, name) == b.columns[i]!.buffer(Float.self).map(\.bitPattern), "\(name)")
        }
    }

    @Test func aForcedSplitStaysSplit() throws {
        var options = WriterOptions()
        options.encoding = .byteSplit
        let (f, b) = try Self.file(options, "forced")
        #expect(try Self.pages(f, 0).allSatisfy { $0.codec == Codec.none.id && $0.encoding == .byteSplit })
        #expect(try Self.values(f, "noisy") == b.columns[0]!.buffer(Float.self).map(\.bitPattern))
    }

    @Test func anySavingKeepsCompressedPages() throws {
        var options = WriterOptions()
        options.minimumSaving = 0
        let (lz4, _) = try Self.file(options, "lz4-any")
        // Pages lz4 shrinks at all stay compressed; it cannot shrink the noisy ones.
        #expect(try Self.pages(lz4, 1).allSatisfy { $0.codec == Codec.lz4.id })
        options.minimumSaving = nil
        options.codec = .zstd(level: 3)
        let (zstd, _) = try Self.file(options, "zstd")
        // zstd saves less than an eighth on the noisy pages, and keeps them compressed.
        #expect(try Self.pages(zstd, 0).allSatisfy { $0.codec != Codec.none.id && $0.storedSize * 8 > $0.encodedSize * 7 })
    }
}
