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
              darkscan skim root://127.0.0.1//data/run4242.evc --where "veto == 0" --limit 100000 -o first.evc
              darkscan skim run.evc --where "veto == 0" --hist "ecal_e vs hcal_e: 150 bins 0 GeV .. 150 GeV, 60 bins 0 GeV .. 60 GeV @all" -o quiet.evc
              darkscan plot quiet.evc -o plots/     # the histograms kept in its metadata
              darkscan skim 'runs/*.evc' --spills good-spills.txt --where "missing energy > 50 GeV" -o good.evc
              darkscan skim run4242.evc --friend cdr01001-004242.truth.evc --where "ecal_e < 50 GeV" --select '*,truth.*' -o box-truth.evc

            The skim keeps the exposure of every spill it read (all spills of the inputs' \
            exposure tables, or those --spills and cuts on run and spill select), whether or \
            not any of its events survived: counting the skim gives the EOT its events were \
            selected from. --select may name friends' fields (truth.kind), * for all of the \
            data's fields and PREFIX.* for all of a friend's.

            On a cluster, -o names a directory: one part file per partition and manifest.json, \
            which every darkscan command reads as one dataset (README, "On a cluster"):
              darkscan skim 'runs/*.evc' --where "missing energy > 50 GeV, veto == 0" -o candidates.d --cluster local:2
              darkscan skim runs/ --where "veto == 0" -o vetoed.d --cluster tcp://scheduler.example:8786
              darkscan skim runs/ --where "veto == 0" -o vetoed.d --cluster htcondor --jobs 20 --cores 1 --memory 2GB --resume
              darkscan count candidates.d --where "ecal_e < 50 GeV"

            Exit codes: 0 success; 1 damaged or unreadable input, or an output that cannot be \
            written (on a cluster: partitions missing); 2 an error in the query; 64 bad usage; 69 \
            no cluster or driver to run on.
            """
    )

    @Argument(help: "EVC files, globs, directories or job manifests (read as one dataset).")
    var files: [String] = []

    @OptionGroup var query: QueryOptionGroup

    @OptionGroup var histograms: HistogramOptionGroup

    @Option(name: .customLong("select"), help: "Fields to write, comma-separated (default: all).")
    var select: String?

    @Option(help: "Codec of the output: none, lz4, zstd or zstd-N.")
    var codec: String = "lz4"

    @Option(name: .shortAndLong, help: "Output EVC file (with --cluster or --partition: the job directory).")
    var output: String

    @Flag(name: .customLong("per-eot"), help: "Add a column of events per 1e9 electrons on target.")
    var perEOT = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @OptionGroup(title: "One partition of a distributed job") var part: PartitionOptions

    @OptionGroup(title: "On a cluster") var distributed: ClusterOptions

    func validate() throws {
        guard Codec(parsing: codec) != nil else { throw ValidationError("--codec must be none, lz4, zstd or zstd-N") }
        try ClusterLaunch.validate(files: files, partition: part, cluster: distributed, quickLook: query.limit != nil || query.sample != nil)
        if distributed.jobDir != nil { throw ValidationError("a skim's job directory is -o; --job-dir is for count") }
    }

    func run() throws {
        var options = try query.options()
        options.histograms = try histograms.all()
        let fields = select.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if part.active {
            return try PartitionRun.skim(part, query: query.query, options: options, select: fields, codec: Codec(parsing: codec)!,
                                         directory: output)
        }
        if distributed.active {
            var args = try ClusterLaunch.queryArguments(query, options) + ["--codec", codec, "-o", output]
            if let select { args += ["--select", select] }
            if json { args.append("--json") }
            try ClusterLaunch.run(kind: "skim", cluster: distributed, arguments: args, files: files)
        }
        let ds = try QueryOptionGroup.open(files, query: query.query, options: options)
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
            if !flow.histograms.isEmpty { o["histograms"] = HistogramOutput.json(flow.histograms) }
            HistogramOutput.warn(flow.histograms)
            Terminal.printJSON(o)
            return
        }
        print(flow.table(perEOT: perEOT))
        HistogramOutput.warn(flow.histograms)
        if !flow.histograms.isEmpty {
            Terminal.note("\(flow.histograms.count) histogram\(flow.histograms.count == 1 ? "" : "s") (\(flow.histograms.map(\.name).joined(separator: ", "))) kept in the metadata of \(output): darkscan plot \(output)")
        }
        JoinOptionGroup.notes(flow)
        Terminal.note(String(format: "%@: %@ of %@ events written, %.2f s, %@ events/s", output, Terminal.count(flow.selected),
                             Terminal.count(flow.total), seconds, Terminal.count(Int(Double(flow.total) / max(seconds, 1e-9)))))
    }
}
