import ArgumentParser
import DAQ
import Darkscan
import Foundation
import Simulation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Generate NA64-like events: raw DAQ files (with a truth file) or reconstructed EVC.",
        discussion: """
            Physics after ../shared/NA64.md: 1% beam spread; ECAL showers shared across preshower \
            and main cells with resolution 10%/sqrt(E) (+) 3% and a low tail; SRD photons for \
            electrons and positrons; hadrons sharing energy between ECAL and HCAL; muons as MIPs \
            with rare hard losses; dimuon pairs; pile-up of beam particles, each at its own time. \
            --signal-rate injects the programme's invisible signal: with --beam e- or e+ (NA64e) \
            an A' with the energy spectrum of --mass, emitted at a depth drawn from the \
            electron's bremsstrahlung; with --beam mu (NA64mu, --energy 160) a Z' taking \
            momentum from the outgoing muon, which the downstream spectrometer measures \
            (track_p_out); with --beam pi (NA64h, --energy 50) an eta/eta' decaying invisibly \
            after a charge exchange in the ECAL, the beam energy vanishing. The truth file's \
            kind 3 marks it. Formats/selections has each programme's selection. The output is \
            the same for a seed whatever the number of threads.

            --format raw (the default for a .dat name) writes a DATE raw file as the NA64 DAQ \
            does (Formats/RAW.md): spills, scalers, every MSADC channel of the channel map \
            digitized with pedestals, noise, pulse shapes and saturation, Micromegas and straw \
            hits, a CRC32C per event. The truth of each event (kind, true energies) goes to \
            NAME.truth.evc beside it. `darkscan convert` reconstructs the raw file.

            --format evc (the default for other names) writes reconstructed-level events \
            straight to EVC, fast, for benchmarks; --profile summary keeps only the scalar \
            columns (run, event, ecal_e, hcal_e, veto, srd_e_sum, track_p, missing_energy, ...).

            Examples:
              darkscan simulate --run 4242 --events 100000 -o cdr01001-004242.dat
              darkscan simulate --run 4243 --events 100000 --signal-rate 1e-3 --mass 16.7 -o cdr01001-004243.dat
              darkscan simulate --run 4244 --events 10000000 --format evc -o run4244.evc
              darkscan simulate --run 4246 --events 1000000000 --profile summary -o bench.evc
              darkscan simulate --beam mu --energy 160 --events 100000 --signal-rate 1e-3 --mass 50 -o cdr01001-004245.dat
              darkscan simulate --beam pi --energy 50 --events 100000 --signal-rate 1e-3 -o cdr01001-004246.dat
            """
    )

    enum Format: String, ExpressibleByArgument { case raw, evc }

    @Option(name: .customLong("run"), help: "Run number.") var runNumber: UInt32 = 4242
    @Option(help: "Number of physics events.") var events: Int = 100_000
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Beam particle: e-, e+, mu or pi.") var beam: String = "e-"
    @Option(help: "Beam energy in GeV.") var energy: Double = 100
    @Option(help: "Fraction of events that are the programme's signal (A', Z' or eta to invisible).") var signalRate: Double = 0
    @Option(help: "A' or Z' mass in MeV (sets its energy spectrum).") var mass: Double = 10
    @Option(help: "Output format: raw (DATE) or evc (reconstructed). Default: from the output name.") var format: Format?
    @Option(help: "EVC profile: full (every column) or summary (the scalar columns only, ~10x smaller, for large benchmarks).")
    var profile: RecoSimulator.Profile = .full
    @Option(help: "EVC only: write the run's events from this one on (a multiple of \(RecoSimulator.blockSize)), the same events a whole run has there.")
    var firstEvent: Int = 0
    @Option(help: "Channel map the raw file follows (default: the simulated detector's).") var map: String?
    @Option(help: "Calibration the raw file follows (default: the simulated detector's).") var calib: String?
    @Option(help: "Truth file for raw output (default: NAME.truth.evc).") var truth: String?
    @Option(help: "EVC codec: none, lz4, zstd or zstd-N.") var codec: String = "lz4"
    @Option(help: "EVC only: close clusters at this many events (default: at 64 MiB of values), e.g. for small test files with many clusters.")
    var clusterEvents: Int?
    @Option(help: "Threads (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .shortAndLong, help: "Output file (.dat: raw, .evc: reconstructed).") var output: String

    var resolvedFormat: Format { format ?? (output.hasSuffix(".evc") ? .evc : .raw) }

    func validate() throws {
        guard events >= 0 else { throw ValidationError("--events must be 0 or more") }
        guard PhysicsGenerator.Beam(rawValue: beam) != nil else { throw ValidationError("--beam must be one of e-, e+, mu, pi") }
        guard energy > 0 && energy < 1000 else { throw ValidationError("--energy must be in (0, 1000) GeV") }
        guard signalRate >= 0 && signalRate <= 1 else { throw ValidationError("--signal-rate must be in [0, 1]") }
        guard mass > 0 && mass < 1000 else { throw ValidationError("--mass must be in (0, 1000) MeV") }
        guard Codec(parsing: codec) != nil else { throw ValidationError("--codec must be none, lz4, zstd or zstd-N") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let c = clusterEvents, c < 1 || resolvedFormat == .raw { throw ValidationError("--cluster-events must be at least 1 and applies to EVC output only") }
        if resolvedFormat == .evc && (map != nil || calib != nil || truth != nil) {
            throw ValidationError("--map, --calib and --truth apply to raw output only")
        }
        if resolvedFormat == .raw && profile != .full { throw ValidationError("--profile applies to EVC output only") }
        guard firstEvent >= 0 && firstEvent % RecoSimulator.blockSize == 0 else {
            throw ValidationError("--first-event must be a multiple of \(RecoSimulator.blockSize)")
        }
        if resolvedFormat == .raw && firstEvent != 0 { throw ValidationError("--first-event applies to EVC output only") }
    }

    func run() throws {
        var options = WriterOptions()
        options.codec = Codec(parsing: codec)!
        options.threads = threads
        if let clusterEvents { options.clusterEvents = clusterEvents }
        let physics = PhysicsGenerator.Beam(rawValue: beam)!
        let metadata = [("run", String(runNumber)), ("producer", "darkscan simulate"), ("beam", "\(beam) \(energy) GeV"),
                        ("seed", String(seed)), ("signal_rate", String(signalRate)), ("mass_mev", String(mass))]
        let bar = ProgressBar("simulate", total: events, unit: "events")
        var written: [String] = [output]
        try bar.run {
            switch resolvedFormat {
            case .evc:
                let sim = RecoSimulator(run: runNumber, seed: seed, beam: physics, energy: energy, signalRate: signalRate, massMeV: mass,
                                        profile: profile)
                let writer = try EVCWriter(path: output, schema: sim.schema, options: options, metadata: metadata + [("profile", profile.rawValue)],
                                           exposure: sim.exposure(events: events, firstEvent: firstEvent))
                do {
                    try sim.write(events: events, firstEvent: firstEvent, to: writer, threads: threads) { bar.update($0) }
                    try writer.close()
                } catch {
                    // A failed simulation (a full disk) leaves no partial file behind: run it again.
                    writer.abort()
                    throw error
                }
            case .raw:
                let generator = PhysicsGenerator(beam: physics, energy: energy, signalRate: signalRate, massMeV: mass, pileUp: .window)
                let sim = try RawSimulator(run: runNumber, seed: seed, physics: generator, map: try ConvertCommand.loadMap(map),
                                           calibration: try ConvertCommand.loadCalibration(calib))
                let truthPath = truth ?? Self.truthPath(for: output)
                try sim.write(events: events, to: output, truthPath: truthPath, threads: threads, metadata: metadata) { bar.update($0) }
                written.append(truthPath)
            }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        Terminal.note(String(format: "%@: %@ events, %@, %.2f s (%@ events/s, %.0f MB/s)", written.joined(separator: " + "), Terminal.count(events),
                             Terminal.bytes(size), bar.seconds, Terminal.count(Int(Double(events) / max(bar.seconds, 1e-9))),
                             Double(size) / 1e6 / max(bar.seconds, 1e-9)))
    }

    /// `cdr01001-004242.dat` -> `cdr01001-004242.truth.evc`.
    static func truthPath(for output: String) -> String {
        (output.hasSuffix(".dat") ? String(output.dropLast(4)) : output) + ".truth.evc"
    }
}

extension RecoSimulator.Profile: ExpressibleByArgument {}
