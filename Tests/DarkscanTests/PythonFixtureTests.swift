import Darkscan
import Foundation
import Testing

/// Tests/Python/fixtures/kinds.evc, which the Python tests read: every scalar type, a 2-d array,
/// a bool array, a list and a record list, with edge values (NaN, ±inf, -0, integer limits),
/// 300 events in clusters of 100. It is ArrowExportTests.everyKind(events: 300) rewritten in
/// clusters of 100; this test checks that it still is, and rewrites it when
/// DARKSCAN_WRITE_FIXTURES=1.
@Suite struct PythonFixtureTests {
    static let fixture = PythonEnv.root.appendingPathComponent("Tests/Python/fixtures/kinds.evc").path

    static func make() throws -> String {
        let source = try EVCFile(path: try ArrowExportTests.everyKind(events: 300))
        var options = WriterOptions()
        options.clusterEvents = 100
        let path = CLI.scratch("kinds-fixture.evc")
        let w = try EVCWriter(path: path, schema: source.schema, options: options, metadata: source.metadata.map { ($0.key, $0.value) })
        try source.batches(batchSize: 100).forEach { try w.write($0) }
        try w.close()
        return path
    }

    @Test func fixtureHoldsTheEveryKindEvents() throws {
        let fresh = try Self.make()
        if ProcessInfo.processInfo.environment["DARKSCAN_WRITE_FIXTURES"] == "1" {
            try? FileManager.default.removeItem(atPath: Self.fixture)
            try FileManager.default.copyItem(atPath: fresh, toPath: Self.fixture)
        }
        let want = try CLI.run(["cat", fresh, "--format", "json", "--limit", "1000"])
        let got = try CLI.run(["cat", Self.fixture, "--format", "json", "--limit", "1000"])
        #expect(got.status == 0, "\(got.stderr)")
        #expect(got.stdout == want.stdout)
        #expect(try EVCFile(path: Self.fixture).clusterCount == 3)
    }
}
