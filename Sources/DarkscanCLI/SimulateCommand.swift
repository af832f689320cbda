import ArgumentParser
import Darkscan
import Foundation
import Simulation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Generate NA64-like events at the reconstructed level into an EVC file.",
        discussion: """
            Events follow ../shared/NA64.md: 1% beam spread, ECAL resolution 10%/sqrt(E) (+) 3% with
            a low tail, preshower and central-cell shower sharing, hadrons sharing energy between
            ECAL and HCAL, muons as MIPs, pile-up, SRD for electrons, Micromegas hits, and A'
            signal events at --signal-rate. The output is the same for a seed whatever the number
            of threads. (Raw DATE output, for the converter, is not written by this build.)

            Examples:
              darkscan simulate --run 4242 --events 1000000 -o run4242.evc
              darkscan simulate --run 4243 --events 100000 --signal-rate 1e-3 --seed 7 -o signal.evc
            """
    )

    enum Format: String, ExpressibleByArgument { case evc }

    @Option(name: .customLong("run"), help: "Run number.") var runNumber: UInt32 = 4242
    @Option(help: "Number of events.") var events: Int = 100_000
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Beam particle: e-, e+, mu or pi.") var beam: String = "e-"
    @Option(help: "Beam energy in GeV.") var energy: Double = 100
    @Option(help: "Fraction of events that are A' signal.") var signalRate: Double = 0
    @Option(help: "Output format (evc: reconstructed events).") var format: Format = .evc
    @Option(help: "Codec: none, lz4, zstd or zstd-N.") var codec: String = "lz4"
    @Option(help: "Threads (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .shortAndLong, help: "Output EVC file.") var output: String

    func validate() throws {
        guard events >= 0 else { throw ValidationError("--events must be 0 or more") }
        guard RecoSimulator.Beam(rawValue: beam) != nil else { throw ValidationError("--beam must be one of e-, e+, mu, pi") }
        guard energy > 0 && energy < 1000 else { throw ValidationError("--energy must be in (0, 1000) GeV") }
        guard signalRate >= 0 && signalRate <= 1 else { throw ValidationError("--signal-rate must be in [0, 1]") }
        guard Codec(parsing: codec) != nil else { throw ValidationError("--codec must be none, lz4, zstd or zstd-N") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let sim = RecoSimulator(run: runNumber, seed: seed, beam: RecoSimulator.Beam(rawValue: beam)!, energy: energy, signalRate: signalRate)
        var options = WriterOptions()
        options.codec = Codec(parsing: codec)!
        options.threads = threads
        let bar = ProgressBar("simulate", total: events, unit: "events")
        do {
            let writer = try EVCWriter(path: output, schema: NA64Schema.make(), options: options, metadata: [
                ("run", String(runNumber)), ("producer", "darkscan simulate"), ("beam", "\(beam) \(energy) GeV"),
                ("seed", String(seed)), ("signal_rate", String(signalRate)),
            ])
            try sim.write(events: events, to: writer, threads: threads) { bar.update($0) }
            try writer.close()
            bar.finish()
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            Terminal.note(String(format: "%@: %@ events, %@, %.2f s (%@ events/s)", output, Terminal.count(events), Terminal.bytes(size),
                                 bar.seconds, Terminal.count(Int(Double(events) / max(bar.seconds, 1e-9)))))
        } catch {
            bar.finish()
            throw Terminal.fail(error)
        }
    }
}
