import ArgumentParser
import Darkscan
import Foundation

struct CountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "Run cuts over a dataset and print the cut flow.",
        discussion: """
            Each comma-separated cut is a line of the cut flow, named by its own text or by \
            'name: expr'. Units convert (50000 MeV = 50 GeV); names may be written with spaces \
            for underscores (missing energy = missing_energy). Formats/QUERY.md has the language.

            Examples:
              darkscan count run4242.evc --where "missing energy > 50 GeV, veto == 0"
              darkscan count 'runs/*.evc' --where "signal: ecal_e < 50 GeV, hcal_e < 1 GeV, veto == 0" --n-minus-1
              darkscan count data/ --define "ps = ecal_pre_e" --where "ps > 0.5 GeV, missing energy > 50 GeV" --json
              darkscan count run.evc --where "srd_e_sum < 80 MeV" --weight "1 / track_chi2"
              darkscan count run.evc --where "veto == 0" --hist "ecal_e: 150 bins 0 GeV .. 150 GeV @all"
              darkscan count 'root://eospublic.cern.ch//eos/na64/run*.evc' --where "veto == 0"
              darkscan count data/ --where "missing energy > 50 GeV" --sample 0.01 --seed 7
              darkscan count 'runs/*.evc' --spills good-spills.txt --where "missing energy > 50 GeV" --per-eot
              darkscan count run4242.evc --friend cdr01001-004242.truth.evc --where "truth.kind == 3, ecal_e < 50 GeV"

            The exposure of the events read is printed after the cut flow: the EOT of every \
            spill the data's exposure tables list (Formats/EVC.md 8.2), or, with --spills or \
            cuts on run and spill alone, of the spills they select; events whose spill has no \
            exposure row are counted and named, never normalised. --json gives the totals; \
            --exposure-rows adds the row of every spill read (EOT, triggers, length, quality).

            Files may be root://host//path URLs (XRootD; a directory/ or a * pattern is listed \
            on the server). --limit N reads only the first N events; --sample F reads a \
            fraction F of the clusters, whole ones chosen by a hash of --seed, the file's \
            position and the cluster: the same files and seed give the same sample.

            On a cluster (README, "On a cluster"; Formats/DISTRIBUTED.md):
              darkscan count 'runs/*.evc' --where "missing energy > 50 GeV" --cluster local:2
              darkscan count runs/ --where "veto == 0" --cluster slurm --jobs 4 --cores 8 --memory 16GB --job-dir count.d
              darkscan count --partition runs/run1.evc:0:250000 --where "veto == 0"

            Exit codes: 0 success; 1 damaged or unreadable input (on a cluster: partitions \
            missing); 2 an error in the query; 64 bad usage; 69 no cluster or driver to run on.
            """
    )

    @Argument(help: "EVC files, globs, directories or job manifests (read as one dataset).")
    var files: [String] = []

    @OptionGroup var query: QueryOptionGroup

    @OptionGroup var histograms: HistogramOptionGroup

    @Option(help: "A per-event weight expression: adds Σw and Σw² per cut.")
    var weight: String?

    @Flag(name: .customLong("n-minus-1"), help: "Also count, for each cut, the events passing all the other cuts.")
    var nMinusOne = false

    @Flag(name: .customLong("per-eot"), help: "Add a column of events per 1e9 electrons on target.")
    var perEOT = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(name: .customLong("exposure-rows"), help: "With --json: also the exposure row (EOT, triggers, length, quality) of every spill read.")
    var exposureRows = false

    @OptionGroup(title: "One partition of a distributed job") var part: PartitionOptions

    @OptionGroup(title: "On a cluster") var distributed: ClusterOptions

    func validate() throws {
        if exposureRows && !json { throw ValidationError("--exposure-rows goes with --json") }
        if exposureRows && (distributed.active || part.active) { throw ValidationError("--exposure-rows is not available with --cluster or --partition (the job's manifest holds the rows)") }
        try ClusterLaunch.validate(files: files, partition: part, cluster: distributed, quickLook: query.limit != nil || query.sample != nil)
    }

    func run() throws {
        var options = try query.options()
        options.weight = weight
        options.nMinusOne = nMinusOne
        options.histograms = try histograms.all()
        if part.active { return try PartitionRun.count(part, query: query.query, options: options) }
        if distributed.active {
            var args = try ClusterLaunch.queryArguments(query, options)
            if nMinusOne { args.append("--n-minus-1") }
            if let d = distributed.jobDir { args += ["-o", d] }
            if json { args.append("--json") }
            try ClusterLaunch.run(kind: "count", cluster: distributed, arguments: args, files: files)
        }
        let ds = try QueryOptionGroup.open(files, query: query.query, options: options)
        let bar = ProgressBar("count", total: ds.eventCount, unit: "events")
        let flow = try bar.run { try ds.count(query.query, options: options) { bar.update($0) } }
        let seconds = bar.seconds
        if json {
            var o = flow.json
            if exposureRows, let e = flow.exposure { o["exposure"] = e.json(rows: true) }
            o["query"] = query.query
            o["files"] = ds.files.map(\.path)
            o["seconds"] = seconds
            o["peak_rss_bytes"] = Terminal.peakResidentBytes()
            o["events_per_second"] = Double(flow.total) / max(seconds, 1e-9)
            if !flow.histograms.isEmpty { o["histograms"] = HistogramOutput.json(flow.histograms) }
            HistogramOutput.warn(flow.histograms)
            Terminal.printJSON(o)
            return
        }
        print(flow.table(perEOT: perEOT))
        HistogramOutput.printAll(flow.histograms)
        HistogramOutput.warn(flow.histograms)
        JoinOptionGroup.notes(flow)
        Terminal.note(String(format: "%@ events in %@ file%@, %.2f s, %@ events/s; %d of %d clusters decided by statistics alone",
                             Terminal.count(flow.total), Terminal.count(ds.files.count), ds.files.count == 1 ? "" : "s", seconds,
                             Terminal.count(Int(Double(flow.total) / max(seconds, 1e-9))), flow.clustersSkipped,
                             flow.clustersSkipped + flow.clustersRead))
    }
}
