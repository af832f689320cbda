import ArgumentParser
import Darkscan
import Foundation

struct SkimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skim",
        abstract: "Write the events passing the cuts to a new EVC file.",
        discussion: """
            The output holds all fields (or those of --select) of the surviving events, and in \
            its metadata the query, the cut flow and the input files (see 'darkscan info'). \
            The output is written as OUT.partial and renamed when complete.

            Examples:
              darkscan skim run4242.evc --where "missing energy > 50 GeV, veto == 0" -o candidates.evc
              darkscan skim 'runs/*.evc' --where "ecal_e < 50 GeV, hcal_e < 1 GeV" --select run,event,ecal_e,hcal_e -o box.evc
              darkscan skim 'runs/*.evc' --spills good-spills.txt --where "missing energy > 50 GeV" -o good.evc
              darkscan skim run4242.evc --friend cdr01001-004242.truth.evc --where "ecal_e < 50 GeV" --select '*,truth.*' -o box-truth.evc

            The skim keeps the exposure of every spill it read (all spills of the inputs' \
            exposure tables, or those --spills and cuts on run and spill select), whether or \
            not any of its events survived: counting the skim gives the EOT its events were \
            selected from. --select may name friends' fields (truth.kind), * for all of the \
            data's fields and PREFIX.* for all of a friend's.

            Exit codes: 0 success; 1 damaged or unreadable input, or an output that cannot be \
            written; 2 an error in the query; 64 bad usage.
            """
    )

    @Argument(help: "EVC files, globs or directories (read as one dataset).")
    var files: [String]

    @OptionGroup var query: QueryOptionGroup

    @Option(name: .customLong("select"), help: "Fields to write, comma-separated (default: all).")
    var select: String?

    @Option(help: "Codec of the output: none, lz4, zstd or zstd-N.")
    var codec: String = "lz4"

    @Option(name: .shortAndLong, help: "Output EVC file.")
    var output: String

    @Flag(name: .customLong("per-eot"), help: "Add a column of events per 1e9 electrons on target.")
    var perEOT = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard Codec(parsing: codec) != nil else { throw ValidationError("--codec must be none, lz4, zstd or zstd-N") }
    }

    func run() throws {
        let options = try query.options()
        let ds = try QueryOptionGroup.open(files, query: query.query, options: options)
        let fields = select.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        var writerOptions = WriterOptions()
        writerOptions.codec = Codec(parsing: codec)!
        let bar = ProgressBar("skim", total: ds.eventCount, unit: "events")
        let flow = try bar.run { try ds.skim(query.query, to: output, select: fields, options: options, writerOptions: writerOptions) { bar.update($0) } }
        let seconds = bar.seconds
        if json {
            var o = flow.json
            o["query"] = query.query
            o["output"] = output
            o["events_written"] = flow.selected
            o["seconds"] = seconds
            Terminal.printJSON(o)
            return
        }
        print(flow.table(perEOT: perEOT))
        JoinOptionGroup.notes(flow)
        Terminal.note(String(format: "%@: %@ of %@ events written, %.2f s, %@ events/s", output, Terminal.count(flow.selected),
                             Terminal.count(flow.total), seconds, Terminal.count(Int(Double(flow.total) / max(seconds, 1e-9)))))
    }
}
