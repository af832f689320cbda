import Foundation
import Testing
@testable import EventFormat

/// The tiny file whose hex dump ends Formats/EVC.md. Writing it again must give the same bytes,
/// and reading the checked-in copy must give the same events.
@Suite struct FixtureTests {
    static let fixture = Bundle.module.path(forResource: "tiny", ofType: "evc", inDirectory: "Fixtures")!

    static func writeTiny(to path: String) throws {
        let schema = try Schema([
            Field(id: 1, name: "ecal_e", kind: .scalar(.float32), unit: Unit("GeV"), description: "ECAL energy"),
            Field(id: 2, name: "veto", kind: .scalar(.uint8)),
        ])
        var options = WriterOptions()
        options.codec = .none
        options.threads = 1
        let w = try EVCWriter(path: path, schema: schema, options: options, metadata: [("run", "1")])
        var b = EventBatch(schema: schema)
        b.column("ecal_e")!.append(contentsOf: [Float(100.5), 42.25, 99.0])
        b.column("veto")!.append(contentsOf: [UInt8(0), 0, 1])
        try b.commitEvents(3)
        try w.write(b)
        try w.close()
    }

    @Test func writerReproducesTheFixtureByteForByte() throws {
        let path = TestFiles.path("tiny.evc")
        defer { unlink(path) }
        try Self.writeTiny(to: path)
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        if let regen = ProcessInfo.processInfo.environment["DARKSCAN_REGENERATE_FIXTURES"] {
            try written.write(to: URL(fileURLWithPath: regen + "/tiny.evc"))
        }
        let expected = try Data(contentsOf: URL(fileURLWithPath: Self.fixture))
        #expect(written == expected)
    }

    @Test func fixtureReadsBack() throws {
        let f = try EVCFile(path: Self.fixture)
        #expect(f.eventCount == 3)
        #expect(f.metadata("run") == "1")
        let b = try f.readEvents(cluster: 0)
        #expect(b.values("ecal_e")!.values(Float.self) == [100.5, 42.25, 99.0])
        #expect(b.values("veto")!.values(UInt8.self) == [0, 0, 1])
        let pages = try f.clusters()[0].columns.map { $0.pages[0] }
        #expect(pages.map(\.encoding) == [Encoding.plain, .plain])
        #expect(f.verify().ok)
    }
}
