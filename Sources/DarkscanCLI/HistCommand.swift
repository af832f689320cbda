import ArgumentParser
import Darkscan
import Foundation
import Plot

struct HistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hist",
        abstract: "Fill histograms over a dataset (saved as UHI JSON), or add histogram files.",
        subcommands: [HistFillCommand.self, HistMergeCommand.self],
        defaultSubcommand: HistFillCommand.self
    )
}

struct HistFillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fill",
        abstract: "Fill histograms over a dataset in one pass with the cut flow (the default of 'darkscan hist').",
        discussion: """
            Each --hist is 'expr: binning', or 'x vs y: binning, binning' for 2D, with units that \
            convert like those of cuts, an optional 'name =' in front and '@all', '@N' or '@ cut \
            name' at the end for the stage of the cut flow it is filled at (default: after the \
            last cut). Formats/QUERY.md, section 9, has the grammar; Formats/HIST.md the file \
            format (UHI JSON, schema 1: read by hist, boost-histogram, uproot and 'uhi'). \
            Without -o the histograms are drawn in the terminal.

            Examples:
              darkscan hist run.evc --hist "ecal_e: 150 bins 0 GeV .. 150 GeV"
              darkscan hist run.evc --where "veto == 0" --hist "ecal_e vs hcal_e: 150 bins 0 GeV .. 150 GeV, 60 bins 0 GeV .. 60 GeV" -o eh.json --plot plots/
              darkscan hist 'runs/*.evc' --where "srd: srd_e_sum > 1 MeV, veto == 0" --hist "ecal_e: 100 bins 0 .. 150 @all" --hists more.txt -o h.json
              darkscan hist run.evc --preset ecal-hcal -o na64.json --plot plots/   # the NA64 E_ECAL–E_HCAL picture
              darkscan hist merge a.json b.json -o sum.json
              darkscan hist 'runs/*.evc' --spills good-spills.txt --where "veto == 0" --hist "ecal_e: 150 bins 0 GeV .. 150 GeV" -o good.json
              darkscan hist run4242.evc --friend cdr01001-004242.truth.evc --where "truth.kind == 3" --hist "truth.ecal_true_e: 100 bins 0 GeV .. 100 GeV"
              darkscan hist 'runs/*.evc' --where "veto == 0" --hist "ecal_e: 150 bins 0 GeV .. 150 GeV" --cluster local:2 -o h.json

            After the histograms come the exposure of the events read, as count prints it (the \
            EOT of the spills the data's exposure tables list; with --spills or cuts on run and \
            spill alone, of the spills they select; and the events without an exposure row: \
            each histogram's darkscan.eot when there are none), and a line per --friend.

            Exit codes: 0 success; 1 damaged or unreadable input, or an output that cannot be \
            written; 2 an error in the query or a histogram spec; 64 bad usage; 69 no cluster \
            or driver to run on.
            """
    )

    enum Preset: String, ExpressibleByArgument { case ecalHcal = "ecal-hcal" }

    @Argument(help: "EVC files, globs, directories or job manifests (read as one dataset).")
    var files: [String] = []

    @Option(name: .customLong("where"), help: "Cuts, comma-separated (default: none, every event).")
    var query: String = ""

    @Option(name: .customLong("define"), help: "An alias 'name = expr' (repeatable).")
    var defines: [String] = []

    @Option(help: "A file of aliases, one 'name = expr' per line (# starts a comment).")
    var aliases: String?

    @Option(help: "A per-event weight expression: histograms hold Σw and Σw².")
    var weight: String?

    @OptionGroup var join: JoinOptionGroup

    @OptionGroup var histograms: HistogramOptionGroup

    @Option(help: "Fill a preset's histograms: ecal-hcal (the NA64 E_ECAL–E_HCAL picture).")
    var preset: Preset?

    @Option(name: .customLong("beam-energy"), help: "Beam energy in GeV for the ecal-hcal zones (default: the data's beam_energy_gev, else 100).")
    var beamEnergy: Double?

    @Option(name: .shortAndLong, help: "Output file (UHI JSON).")
    var output: String?

    @Option(help: "Also draw each histogram into this folder.")
    var plot: String?

    @Option(help: "Picture format with --plot: png, svg or pdf.")
    var format: PlotFormat = .png

    @Option(help: "Threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Skip page checksum verification.")
    var noVerify = false

    @Flag(help: "Print the cut flow and the histograms as JSON.")
    var json = false

    @OptionGroup(title: "One partition of a distributed job") var part: PartitionOptions

    @OptionGroup(title: "On a cluster") var distributed: ClusterOptions

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let beamEnergy, !(beamEnergy > 0 && beamEnergy.isFinite) { throw ValidationError("--beam-energy must be a positive number of GeV") }
        try ClusterLaunch.validate(files: files, partition: part, cluster: distributed)
    }

    func run() throws {
        var options = try QueryOptionGroup.options(threads: threads, noVerify: noVerify, aliases: aliases, defines: defines, base: join.options())
        options.weight = weight
        if part.active {
            options.histograms = try histograms.all()
            guard !options.histograms.isEmpty else { throw ValidationError("give at least one --hist (or --hists FILE)") }
            return try PartitionRun.count(part, query: query, options: options, kind: "hist")
        }
        let ds: EVCDataset
        do { ds = try EVCDataset(paths: files) } catch { throw Terminal.fail(error) }
        var e0: Double? = nil
        if preset == .ecalHcal {
            e0 = beamEnergy ?? ds.files.compactMap { $0.metadata("beam_energy_gev").flatMap(Double.init) }.first ?? 100
            options.histograms += ECalHCal.specs(beamEnergy: e0!)
        }
        options.histograms += try histograms.all()
        guard !options.histograms.isEmpty else { throw ValidationError("give at least one --hist (or --hists FILE, or --preset)") }
        if distributed.active {
            try QueryOptionGroup.check(ds, query, options: options)
            // The driver adds the partitions' histograms and writes them (-o), draws them (--plot,
            // or in the terminal without -o) with this binary's `plot`.
            var args = try ClusterLaunch.queryArguments(query, noVerify: noVerify, join: join, options)
            if let output { args += ["--hist-output", output] }
            if let plot { args += ["--plot", plot, "--format", format.rawValue] }
            if let e0 { args += ["--beam-energy", String(e0), "--preset", "ecal-hcal"] }
            if let d = distributed.jobDir { args += ["-o", d] }
            if json { args.append("--json") }
            try ClusterLaunch.run(kind: "hist", cluster: distributed, arguments: args, files: files)
        }
        try QueryOptionGroup.check(ds, query, options: options)
        let bar = ProgressBar("hist", total: ds.eventCount, unit: "events")
        var flow = try bar.run { try ds.count(query, options: options) { bar.update($0) } }
        if let e0 { for i in flow.histograms.indices { flow.histograms[i].metadata[ECalHCal.beamKey] = .double(e0) } }
        let seconds = bar.seconds
        HistogramOutput.warn(flow.histograms)
        if let output {
            do { try HistogramFile.write(flow.histograms, to: output) } catch { throw Terminal.fail(error) }
        }
        if let plot { try HistogramOutput.draw(flow.histograms, into: plot, format: format.image, options: PlotOptions(), preset: preset != nil) }
        if json {
            var o = flow.json
            o["query"] = query
            o["files"] = ds.files.map(\.path)
            o["seconds"] = seconds
            o["histograms"] = HistogramOutput.json(flow.histograms)
            if let output { o["output"] = output }
            Terminal.printJSON(o)
            return
        }
        if output == nil && plot == nil {
            if !flow.lines.isEmpty { print(flow.table()) }
            HistogramOutput.printAll(flow.histograms)
        }
        JoinOptionGroup.notes(flow)
        Terminal.note(String(format: "%d histogram%@ of %@ events, %.2f s, %@ events/s%@", flow.histograms.count, flow.histograms.count == 1 ? "" : "s",
                             Terminal.count(flow.total), seconds, Terminal.count(Int(Double(flow.total) / max(seconds, 1e-9))), output.map { " -> \($0)" } ?? ""))
    }
}

struct HistMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Add histogram files: the same histograms (by name, axes and query) from different datasets or jobs.",
        discussion: """
            Every input must hold the same histogram names with identical axes and storage, \
            filled by the same query; the first difference is named. Events read and EOT are \
            summed (EOT only when every input records it), dataset lists joined.

            Examples:
              darkscan hist merge run4241.json run4242.json -o both.json
              darkscan hist merge 'parts/*.json' -o all.json

            Exit codes: 0 success; 1 unreadable, malformed or incompatible input, or an output \
            that cannot be written; 64 bad usage.
            """
    )

    @Argument(help: "UHI JSON files (globs allowed).")
    var files: [String]

    @Option(name: .shortAndLong, help: "Output file (UHI JSON).")
    var output: String

    func run() throws {
        let paths = files.flatMap { HistogramOutput.expand($0) }
        guard !paths.isEmpty else { throw ValidationError("no input files") }
        do {
            var inputs: [[Histogram]] = []
            for p in paths { inputs.append(try HistogramFile.read(p)) }
            let sum = try HistogramFile.merge(inputs, names: paths)
            try HistogramFile.write(sum, to: output)
            Terminal.note("\(output): \(sum.count) histogram\(sum.count == 1 ? "" : "s") from \(paths.count) file\(paths.count == 1 ? "" : "s")")
        } catch {
            throw Terminal.fail(error)
        }
    }
}

enum PlotFormat: String, ExpressibleByArgument, CaseIterable {
    case png, svg, pdf
    var image: ImageFormat { ImageFormat(rawValue: rawValue)! }
}
