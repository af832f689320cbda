import Darkscan
import Foundation
import Testing

/// The example selections of the three NA64 programmes (Formats/selections), counted with the
/// command line on raw runs simulated with injected signal and converted: each selects the
/// injected signal and nothing else, at its programme's efficiency.
@Suite struct SelectionTests {
    static let selections = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Formats/selections").standardized.path

    /// All values of column `name` of an EVC file, as doubles.
    static func values(_ path: String, _ name: String) throws -> [Double] {
        var out: [Double] = []
        try EVCDataset(paths: [path]).batches(fields: [name]).forEach { batch in
            let c = batch.values(name)!
            for i in 0..<batch.eventCount { out.append(c.double(at: i)) }
        }
        return out
    }

    /// Simulates `events` raw events of `beam`, converts them, counts `file`'s cut flow and
    /// skims its `selection`: (selected, injected signal, selected that are signal, all events).
    func run(_ file: String, beam: [String], events: Int, rate: Double, seed: Int) throws -> (selected: Int, injected: Int, signalSelected: Int) {
        let raw = CLI.scratch("cdr01001-00\(5100 + seed).dat"), out = CLI.scratch("\(seed).evc"), skim = CLI.scratch("\(seed)-selected.evc")
        let sim = try CLI.run(["simulate", "--run", String(5100 + seed), "--events", String(events), "--seed", String(seed), "--signal-rate", String(rate), "-o", raw] + beam)
        #expect(sim.status == 0, "\(sim.stderr)")
        let conv = try CLI.run(["convert", raw, "-o", out])
        #expect(conv.status == 0 && conv.stderr.contains("warnings: none"), "\(conv.stderr)")
        let aliases = Self.selections + "/" + file
        let text = try String(contentsOfFile: aliases, encoding: .utf8)
        let cuts = try #require(text.split(separator: "\n").first { $0.hasPrefix("# where: ") }).dropFirst("# where: ".count)
        let count = try CLI.run(["count", out, "--aliases", aliases, "--where", String(cuts), "--json"])
        #expect(count.status == 0, "\(count.stderr)")
        let flow = try JSONSerialization.jsonObject(with: Data(count.stdout.utf8)) as! [String: Any]
        let lines = try #require(flow["cuts"] as? [[String: Any]])
        #expect(lines.count == cuts.split(separator: ",").count)
        let skimmed = try CLI.run(["skim", out, "--aliases", aliases, "--where", "selection", "-o", skim])
        #expect(skimmed.status == 0, "\(skimmed.stderr)")
        let selected = try Self.values(skim, "event")
        #expect(lines.last?["events"] as? Int == selected.count, "\(lines.last ?? [:])")
        let truth = String(raw.dropLast(4)) + ".truth.evc"
        let kinds = Dictionary(uniqueKeysWithValues: zip(try Self.values(truth, "event"), try Self.values(truth, "kind")))
        let injected = kinds.values.filter { $0 == 3 }.count
        return (selected.count, injected, selected.filter { kinds[$0] == 3 }.count)
    }

    /// Checks a programme: the injected signal near events × rate, every selected event an
    /// injected one, and the share of them selected in `efficiency`.
    func check(_ r: (selected: Int, injected: Int, signalSelected: Int), events: Int, rate: Double, efficiency: ClosedRange<Double>,
               sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = Double(events) * rate
        #expect(abs(Double(r.injected) - expected) < 4 * expected.squareRoot(), "\(r.injected) injected for \(expected)", sourceLocation: sourceLocation)
        #expect(r.signalSelected == r.selected, "\(r.selected - r.signalSelected) background events selected", sourceLocation: sourceLocation)
        let e = Double(r.signalSelected) / Double(r.injected)
        #expect(efficiency.contains(e), "signal efficiency \(e)", sourceLocation: sourceLocation)
    }

    @Test func na64eSelectsTheAPrime() throws {
        check(try run("NA64e.aliases", beam: ["--mass", "16.7"], events: 2000, rate: 0.05, seed: 1), events: 2000, rate: 0.05, efficiency: 0.45...0.75)
    }

    @Test func na64muSelectsTheZPrime() throws {
        check(try run("NA64mu.aliases", beam: ["--beam", "mu", "--energy", "160", "--mass", "50"], events: 2000, rate: 0.05, seed: 2),
              events: 2000, rate: 0.05, efficiency: 0.25...0.6)
    }

    @Test func na64hSelectsTheEtaToInvisible() throws {
        check(try run("NA64h.aliases", beam: ["--beam", "pi", "--energy", "50"], events: 2000, rate: 0.05, seed: 3), events: 2000, rate: 0.05,
              efficiency: 0.8...1)
    }
}
