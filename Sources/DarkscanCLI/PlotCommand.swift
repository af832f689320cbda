import ArgumentParser
import Darkscan
import Foundation
import Plot

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw saved histograms: PNG, SVG or PDF pictures, or in the terminal.",
        discussion: """
            Reads a UHI JSON file (darkscan hist -o, or any file uhi/hist wrote with the axes \
            and storages darkscan reads) or an EVC skim that keeps histograms in its metadata. \
            Draws the histograms named (default: all), one picture each in the folder given \
            with -o, or in the terminal without -o. 1D pictures show √Σw² error bars and \
            'Events / bin width'; 2D ones a logarithmic viridis colour scale; entries outside \
            the axes are counted in the corner.

            --preset ecal-hcal draws NA64's E_ECAL–E_HCAL picture (signal box, zones I, II and \
            III; Formats/HIST.md) from the histograms 'darkscan hist --preset ecal-hcal' makes; \
            given an EVC dataset instead, it fills them first.

            Examples:
              darkscan plot h.json                              # in the terminal
              darkscan plot h.json ecal_e -o plots/ --format pdf --log
              darkscan plot h.json -o plots/ --overlay --normalize   # the stages of each @all spec on one picture
              darkscan plot na64.json --preset ecal-hcal -o plots/
              darkscan plot run.evc --preset ecal-hcal -o plots/

            Exit codes: 0 success; 1 unreadable or malformed input, or an output that cannot be \
            written; 64 bad usage.
            """
    )

    @Argument(help: "A UHI JSON file, or an EVC file (its histograms; with --preset, its events).")
    var file: String

    @Argument(help: "Histograms to draw, by name (default: all).")
    var names: [String] = []

    @Option(name: .shortAndLong, help: "Folder for the pictures (default: draw in the terminal).")
    var output: String?

    @Option(help: "Picture format: png, svg or pdf.")
    var format: PlotFormat = .png

    @Option(help: "ecal-hcal: the NA64 E_ECAL–E_HCAL picture.")
    var preset: HistFillCommand.Preset?

    @Flag(help: "Logarithmic y axis (1D; in the terminal, logarithmic bars).")
    var log = false

    @Flag(name: .customLong("linear-colors"), help: "Linear colour scale for 2D (default logarithmic).")
    var linearColors = false

    @Flag(help: "Overlay the 1D histograms of one spec (its stages, with @all) on one picture.")
    var overlay = false

    @Flag(help: "Scale to unit area.")
    var normalize = false

    @Flag(name: .customLong("per-bin-width"), help: "Divide each bin by its width (a density).")
    var perBinWidth = false

    @Option(help: "The experiment label, top left (first word bold).")
    var label = "NA64-like simulation"

    @Option(name: .customLong("beam-energy"), help: "Beam energy in GeV when --preset fills from an EVC dataset.")
    var beamEnergy: Double?

    @Option(help: "Threads when --preset fills from an EVC dataset (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var hs = try load()
        if !names.isEmpty {
            for n in names where !hs.contains(where: { $0.name == n }) {
                Terminal.error("\(file): no histogram named '\(n)' (it has: \(hs.map { "'\($0.name)'" }.joined(separator: ", ")))")
                throw ExitCode(1)
            }
            hs = hs.filter { names.contains($0.name) }
        }
        var options = PlotOptions()
        options.log = log
        options.linearColors = linearColors
        options.normalize = normalize
        options.perBinWidth = perBinWidth
        options.label = label
        guard let output else {
            if preset != nil { Terminal.note("darkscan: the ecal-hcal picture needs -o DIR; drawing its histograms in the terminal") }
            HistogramOutput.printAll(hs, log: log)
            return
        }
        try HistogramOutput.draw(hs, into: output, format: format.image, options: options, preset: preset != nil, overlay: overlay)
    }

    /// The histograms of the input: a JSON file, an EVC file's metadata, or (with --preset) the
    /// preset's histograms filled over an EVC dataset.
    func load() throws -> [Histogram] {
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: file)).readData(ofLength: 64)) ?? Data()
        let isJSON = head.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) } == UInt8(ascii: "{")
        if isJSON || head.isEmpty {
            do { return try HistogramFile.read(file) } catch { throw Terminal.fail(error) }
        }
        let f: EVCFile
        do { f = try EVCFile(path: file) } catch {
            Terminal.error("\(file): neither a histogram file (UHI JSON) nor a readable EVC file: \(error)")
            throw ExitCode(1)
        }
        if let text = f.metadata("histograms"), preset == nil || text.contains("\"\(ECalHCal.main)\"") {
            do { return try UHI.decode(Array(text.utf8), path: "\(file) (metadata 'histograms')") } catch { throw Terminal.fail(error) }
        }
        guard preset == .ecalHcal else {
            Terminal.error("\(file): this EVC file keeps no histograms (skim with --hist to keep some, or use darkscan hist)")
            throw ExitCode(1)
        }
        var options = QueryOptions()
        options.threads = threads
        let e0 = beamEnergy ?? f.metadata("beam_energy_gev").flatMap(Double.init) ?? 100
        options.histograms = ECalHCal.specs(beamEnergy: e0)
        let ds: EVCDataset
        do { ds = try EVCDataset(paths: [file]) } catch { throw Terminal.fail(error) }
        let bar = ProgressBar("fill", total: ds.eventCount, unit: "events")
        var flow = try bar.run { try ds.count("", options: options) { bar.update($0) } }
        for i in flow.histograms.indices { flow.histograms[i].metadata[ECalHCal.beamKey] = .double(e0) }
        return flow.histograms
    }
}
