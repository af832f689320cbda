import Foundation
import Testing
@testable import Histograms

/// The worked example at the end of Formats/HIST.md: this histogram encodes to exactly the
/// bytes of Fixtures/example.json, and those bytes decode back to it.
@Suite struct ExampleFileTests {
    static func example() -> Histogram {
        var h = Histogram(name: "hcal_e", axes: [Axis(.regular(bins: 2, lower: 0, upper: 10), name: "hcal_e", unit: "GeV")], weighted: false,
                          metadata: ["darkscan.query": .string("veto == 0"), "darkscan.stage": .string("veto == 0"), "darkscan.stage_index": .int(1),
                                     "darkscan.spec": .string("hcal_e: 2 bins 0 GeV .. 10 GeV"), "darkscan.events": .int(6), "darkscan.datasets": .string("run.evc")])
        for x in [-0.2, 0, 4.9, 5, 12, .nan] { h.fill(x) }
        return h
    }

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/example.json")

    @Test func encodesToTheFixtureBytes() throws {
        let bytes = try String(contentsOf: Self.fixture, encoding: .utf8)
        #expect(UHI.encode([Self.example()]) == bytes)
        #expect(try UHI.decode(Array(bytes.utf8)) == [Self.example()])
    }
}
