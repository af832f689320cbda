import ArgumentParser
import Darkscan

struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Turn an interrupted EVC file into a valid one holding every complete cluster.",
        discussion: """
            A writer that dies leaves NAME.evc.partial. recover keeps every cluster whose block and \
            pages are whole and pass their checksums, drops what follows the last one, writes a new \
            index and footer in place, and renames NAME.evc.partial to NAME.evc. It says what was \
            kept and what was lost. A file that is already complete is left alone.

            Examples:
              darkscan recover run4242.evc.partial
              darkscan recover --json run4242.evc.partial
            """
    )

    @Argument(help: "The interrupted file.")
    var file: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let r: Recovery.Report
        do { r = try Recovery.recover(path: file) } catch { throw Terminal.fail(error) }
        if json {
            var o: [String: Any] = ["path": r.path, "output": r.outputPath, "already_complete": r.alreadyComplete,
                                    "clusters_kept": r.clustersKept, "events_kept": r.eventsKept, "bytes_dropped": r.bytesDropped]
            if let l = r.eventsLost { o["events_lost_in_open_cluster"] = l }
            if let s = r.stopReason { o["stopped_at"] = s }
            Terminal.printJSON(o)
            return
        }
        if r.alreadyComplete {
            print("\(r.path): already complete; nothing to do")
            return
        }
        print("\(r.outputPath): recovered \(Terminal.count(r.eventsKept)) events in \(r.clustersKept) cluster\(r.clustersKept == 1 ? "" : "s")")
        if r.bytesDropped > 0 {
            let lost = r.eventsLost.map { ", \(Terminal.count($0)) events of the open cluster" } ?? ""
            print("  lost: \(Terminal.bytes(r.bytesDropped)) after the last complete cluster\(lost)")
        }
        if let s = r.stopReason { print("  stopped at: \(s)") }
    }
}
