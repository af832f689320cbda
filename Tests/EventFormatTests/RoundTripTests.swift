import Foundation
import Testing
@testable import EventFormat

@Suite struct RoundTripTests {
    static let codecs: [Codec] = [.none, .lz4, .zstd(level: 1)]

    /// Writes `batches` with `options`, reads everything back, compares bitwise.
    func roundTrip(_ schema: Schema, _ batches: [EventBatch], _ options: WriterOptions, seed: UInt64) throws {
        let path = TestFiles.path("rt.evc")
        defer { unlink(path) }
        let w = try EVCWriter(path: path, schema: schema, options: options, metadata: [("run", "4242")])
        for b in batches { try w.write(b) }
        try w.close()
        let f = try EVCFile(path: path)
        #expect(f.schema == schema, "seed \(seed)")
        #expect(f.eventCount == batches.reduce(0) { $0 + $1.eventCount }, "seed \(seed)")
        #expect(f.metadata("run") == "4242")
        #expect(f.verify().ok, "seed \(seed)")
        // Concatenate what was written, then compare with what comes back in batches of 7.
        var expected = EventBatch(schema: schema)
        for b in batches { try append(&expected, b) }
        var got = EventBatch(schema: schema)
        try f.batches(batchSize: 7).forEach { try append(&got, $0) }
        for c in schema.columns {
            #expect(RandomData.same(expected.columns[c.index]!, got.columns[c.index]!), "seed \(seed), column \(c.path)")
        }
    }

    /// Appends batch `b` to `acc`, turning batch-relative offsets into accumulated ones.
    func append(_ acc: inout EventBatch, _ b: EventBatch) throws {
        for c in b.schema.columns {
            let src = b.columns[c.index]!, dst = acc.columns[c.index]!
            if c.role == .offsets {
                let base = dst.count == 0 ? 0 : dst.buffer(UInt64.self)[dst.count - 1]
                for v in src.buffer(UInt64.self) { dst.append(v + base) }
            } else {
                dst.append(src, range: 0..<src.count)
            }
        }
        acc.eventCount += b.eventCount
    }

    @Test(arguments: 0..<40)
    func randomSchemasAndData(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &* 7919)
        let schema = try RandomData.schema(&rng)
        var options = WriterOptions()
        options.codec = Self.codecs[seed % 3]
        // Tiny pages and clusters so that every boundary is crossed.
        options.pageBytes = [64, 256, 4096][seed % 3]
        options.clusterBytes = [1, 500, 1 << 20][(seed / 3) % 3]
        options.checkpointEvery = seed % 4
        let sizes = [[0], [1], [3, 0, 17], [200], [1000, 1]][seed % 5]
        let batches = sizes.map { RandomData.batch(schema, events: $0, &rng) }
        try roundTrip(schema, batches, options, seed: UInt64(seed))
    }

    @Test(arguments: Encoding.allCases)
    func everyForcedEncoding(encoding: Encoding) throws {
        var rng = SeededRandom(seed: UInt64(encoding.rawValue) + 99)
        var fields: [Field] = []
        for (i, t) in ScalarType.allCases.enumerated() {
            fields.append(Field(id: UInt32(i + 1), name: "c\(i)", kind: .scalar(t)))
        }
        let schema = try Schema(fields)
        var options = WriterOptions()
        options.encoding = encoding
        options.pageBytes = 512
        for style in 0..<2 {
            var b = EventBatch(schema: schema)
            for c in schema.columns { for _ in 0..<777 { RandomData.append(b.columns[c.index]!, c.type, &rng, style: style) } }
            b.eventCount = 777
            try roundTrip(schema, [b], options, seed: UInt64(style))
        }
    }

    @Test func zeroEventsFileIsValid() throws {
        let schema = try Schema([Field(id: 1, name: "e", kind: .scalar(.float32), unit: Unit("GeV"))])
        let path = TestFiles.path("empty.evc")
        defer { unlink(path) }
        let w = try EVCWriter(path: path, schema: schema)
        try w.close()
        let f = try EVCFile(path: path)
        #expect(f.eventCount == 0)
        #expect(f.clusterCount == 0)
        #expect(try f.clusters().isEmpty)
        #expect(f.verify().ok)
    }

    @Test func interruptedWriteLeavesNoCompleteFile() throws {
        let schema = try Schema([Field(id: 1, name: "e", kind: .scalar(.float32))])
        let path = TestFiles.path("never.evc")
        defer { unlink(path + ".partial") }
        do {
            let w = try EVCWriter(path: path, schema: schema)
            var b = EventBatch(schema: schema)
            b.columns[0]!.append(contentsOf: [Float(1), 2, 3])
            try b.commitEvents(3)
            try w.write(b)
            // not closed: the writer goes away as if the process died
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(throws: EVCError.self) { try EVCFile(path: path + ".partial") }
    }
}
