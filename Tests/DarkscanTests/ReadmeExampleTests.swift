import Darkscan
import Foundation
import Testing

/// The Swift example of README.md, compiled here and run on a simulated file. The test checks
/// that the README shows exactly this code.
@Suite struct ReadmeExampleTests {
    func example(_ path: String) throws -> Int {
        // README-BEGIN
        let run = try EVCDataset(paths: [path])
        print(run.schema.fields.map { "\($0.name) [\($0.unit)]" })
        var selected = 0
        try run.batches(fields: ["ecal_e", "hcal_e", "veto"]).forEach { batch in
            let ecal = batch.values("ecal_e")!.buffer(Float.self)
            let hcal = batch.values("hcal_e")!.buffer(Float.self)
            let veto = batch.values("veto")!.buffer(UInt8.self)
            for i in 0..<batch.eventCount where ecal[i] < 50 && hcal[i] < 1 && veto[i] == 0 { selected += 1 }
        }
        print("\(selected) of \(run.eventCount) events in the signal box")
        // README-END
        return selected
    }

    @Test func readmeShowsThisCode() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        let region = source.components(separatedBy: "// README-BEGIN\n")[1].components(separatedBy: "        // README-END")[0]
        let code = region.split(separator: "\n", omittingEmptySubsequences: false).map { $0.dropFirst(8) }.joined(separator: "\n")
        let shown = code.replacingOccurrences(of: "[path]", with: "[\"run4242.evc\"]")
        #expect(readme.contains("```swift\nimport Darkscan\n\n" + shown + "```"))
    }

    @Test func exampleRunsAndCountsSignalEvents() throws {
        let selected = try example(CLI.sample)
        // 1% injected signal in 3000 events, most of which land in the box; electrons never do.
        #expect(selected > 10 && selected < 60)
    }
}
