import ArgumentParser
import Darkscan
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge EVC files into one by copying their compressed pages (the hadd of Darkscan).",
        discussion: """
            Pages are copied as they are — no decoding, no recompression — and each one's \
            checksum is verified on the way; clusters are numbered anew. The inputs' exposure \
            tables are merged (a spill in two inputs must have identical rows), skims of one \
            query have their cut flows added, and the metadata keeps the provenance of every \
            input (darkscan info OUT). The output is written as OUT.partial and renamed when \
            complete: a failed merge leaves nothing that reads as complete.

            Inputs must have the same schema; the first difference is named. --fill-missing \
            unites their fields instead: an input lacking a field gets NaN for floating-point \
            values, 0 for integers, false for booleans, empty lists for lists (Formats/EVC.md \
            8.2), said in the metadata (filled_missing).

            Examples:
              darkscan merge skims/*.evc -o all.evc
              darkscan merge run4242.evc run4243.evc -o runs.evc --json
              darkscan merge old-schema.evc new-schema.evc --fill-missing -o both.evc

            Exit codes: 0 success; 1 damaged, unreadable or unmergeable input (schemas differ, \
            exposure rows disagree, the output would pass the format's limits), or an output \
            that cannot be written; 64 bad usage.
            """
    )

    @Argument(help: "EVC files, globs or directories, merged in the order given.")
    var files: [String]

    @Option(name: .shortAndLong, help: "Output EVC file.")
    var output: String

    @Flag(help: "Add fields some inputs lack, with the documented defaults.")
    var fillMissing = false

    @Flag(help: "Do not sync the output to disk when closing: faster for scratch files; it still appears only when complete, but a power failure may lose it.")
    var noSync = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func run() throws {
        let plan: Merge.Plan
        do { plan = try Merge.plan(files, output: output, fillMissing: fillMissing) } catch { throw Terminal.fail(error) }
        let bar = ProgressBar("merge", total: plan.inputBytes, unit: "B")
        var options = WriterOptions()
        options.sync = !noSync
        let report = try bar.run { try Merge.run(plan, to: output, metadata: Merge.metadata(plan), options: options) { bar.update($0, of: $1) } }
        let seconds = bar.seconds
        let rate = Double(report.bytesRead) / max(seconds, 1e-9)
        let merged = try? EVCFile(path: output)
        if json {
            var o: [String: Any] = ["output": output, "inputs": plan.files.map(\.path), "events": report.events, "clusters": report.clusters,
                                    "pages": report.pages, "bytes_read": report.bytesRead, "bytes_written": report.bytesWritten,
                                    "seconds": seconds, "bytes_per_second": rate,
                                    "filled_missing": plan.filled.map { ["field": $0.field, "inputs": $0.inputs] as [String: Any] }]
            o["exposure"] = plan.exposure.map(\.totals.json) ?? NSNull()
            o["exposure_shared_spills"] = plan.sharedSpills
            o["cut_flow_added"] = merged?.metadata("cut_flow_json") != nil
            Terminal.printJSON(o)
            return
        }
        Terminal.note(String(format: "%@: %@ events from %d file%@, %@ of pages copied in %.2f s (%.2f GB/s)", output, Terminal.count(report.events),
                             plan.files.count, plan.files.count == 1 ? "" : "s", Terminal.bytes(report.bytesRead), seconds, rate / 1e9))
        Terminal.note("exposure: " + InfoCommand.exposureText(plan.exposure))
        if !plan.inputsWithoutExposure.isEmpty && plan.exposure != nil {
            Terminal.note("warning: \(plan.inputsWithoutExposure.count) input\(plan.inputsWithoutExposure.count == 1 ? " has" : "s have") no exposure table; their events have none")
        }
        if plan.sharedSpills > 0 {
            Terminal.note("warning: \(plan.sharedSpills) spill\(plan.sharedSpills == 1 ? " is" : "s are") in several inputs with identical exposure rows (the same spill read twice?): counted once, but their events may be in the output twice")
        }
        for f in plan.filled { Terminal.note("filled \(f.field) for \(f.inputs.count) input\(f.inputs.count == 1 ? "" : "s")") }
        if let note = merged?.metadata("cut_flow_note") { Terminal.note("cut flow \(note)") } else if merged?.metadata("cut_flow_json") != nil {
            Terminal.note("cut flows added: the query's cut flow over all the inputs' events is in the metadata")
        }
    }
}
