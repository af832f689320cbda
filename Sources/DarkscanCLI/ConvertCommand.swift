import ArgumentParser
import DAQ
import Darkscan
import Foundation

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Reconstruct raw NA64 DAQ files (DATE/MSADC) into an EVC file.",
        discussion: """
            Decodes every event (Formats/RAW.md), takes pedestals, amplitudes and times from the \
            waveforms, calibrates cells to energies, drops cells out of time against the beam \
            counters, and writes the reconstructed quantities (ecal_e, missing_energy, hcal_e, \
            veto, srd_e, track_p, hit lists, ...; see `darkscan info`) with units. Spill scalers \
            (EOT, triggers) are summed into the output metadata.

            Bad events (truncated, bad CRC, impossible sizes, wrong markers, event numbers that \
            disagree, garbage between events) are skipped with a warning naming the file, the byte \
            and the reason, and counted; reading resumes at the next valid event. --strict stops \
            at the first one and writes nothing. The output appears only when complete; an \
            interrupted conversion leaves OUT.partial, which --resume continues without \
            converting its clusters again.

            Exit codes: 0 done (also with bad events skipped: see the summary, or --fail-on-bad); \
            1 unreadable input, a bad map or calibration, or a bad event under --strict; \
            64 bad usage.

            Examples:
              darkscan convert cdr01001-004242.dat -o run4242.evc
              darkscan convert raw/cdr01*-004242.dat -o run4242.evc --map na64-2018.map --calib run4242.calib
              darkscan convert cdr01001-004242.dat -o run4242.evc --resume
              darkscan convert cdr01001-004242.dat -o run4242.evc --strict --json
            """
    )

    @Argument(help: "Raw DATE files, in order.") var inputs: [String]
    @Option(name: .shortAndLong, help: "Output EVC file.") var output: String
    @Option(help: "Channel map file (default: the simulated detector's, Formats/maps/na64-sim.map).") var map: String?
    @Option(help: "Calibration file (default: Formats/maps/na64-sim.calib).") var calib: String?
    @Option(help: "Beam energy in GeV for missing_energy (default: from the start-of-run event).") var beamEnergy: Double?
    @Flag(help: "Stop at the first bad event; write nothing.") var strict = false
    @Flag(help: "Exit with code 1 when any event was skipped (the output is still written).") var failOnBad = false
    @Flag(help: "Keep the raw MSADC samples of every cell in a 'waveforms' column.") var keepWaveforms = false
    @Flag(help: "Continue an interrupted conversion (OUT.partial) of the same inputs.") var resume = false
    @Option(help: "EVC codec: none, lz4, zstd or zstd-N.") var codec: String = "lz4"
    @Option(help: "Threads that decode and reconstruct (default: all cores); the writer runs beside them.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print the summary as JSON on stdout.") var json = false

    func validate() throws {
        guard Codec(parsing: codec) != nil else { throw ValidationError("--codec must be none, lz4, zstd or zstd-N") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let e = beamEnergy, !(e > 0 && e < 1000) { throw ValidationError("--beam-energy must be in (0, 1000) GeV") }
    }

    static func loadMap(_ path: String?) throws -> ChannelMap {
        guard let path else { return .defaultMap() }
        return try ChannelMap(text: try readText(path), path: path)
    }

    static func loadCalibration(_ path: String?) throws -> CalibrationFile {
        guard let path else { return .defaultFile() }
        return try CalibrationFile(text: try readText(path), path: path)
    }

    static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw DAQError(.io, "cannot read", path: path) }
        return String(decoding: data, as: UTF8.self)
    }

    func run() throws {
        var options = ConvertOptions()
        do {
            options.map = try Self.loadMap(map)
            options.calibration = try Self.loadCalibration(calib)
        } catch {
            throw Terminal.fail(error)
        }
        options.beamEnergy = beamEnergy
        options.strict = strict
        options.keepWaveforms = keepWaveforms
        options.resume = resume
        options.threads = threads
        options.writer.codec = Codec(parsing: codec)!
        options.writer.threads = threads
        let converter = Converter(inputs: inputs, output: output, options: options)
        let bar = ProgressBar("convert", total: 1, unit: "B")
        var shown = 0
        let report = try bar.run {
            try converter.run(progress: { done, total in bar.update(done, of: total) }, warn: { p in
                shown += 1
                if shown <= 20 {
                    bar.finish()
                    Terminal.error("warning: " + p.description)
                } else if shown == 21 {
                    bar.finish()
                    Terminal.error("warning: further bad events are counted in the summary only")
                }
            })
        }
        let mb = Double(report.bytesRead) / 1e6
        if json {
            var scalers: [String: Any] = [:]
            for (id, v) in report.scalers { scalers[id.metadataKey] = v }
            Terminal.printJSON([
                "inputs": report.inputs, "output": report.output, "bytes_read": report.bytesRead, "physics_events": report.physicsEvents,
                "other_events": report.otherEvents, "events_written": report.eventsWritten, "bad_events": report.badEvents,
                "bad_by_reason": report.badByReason, "spills": report.spills, "scalers": scalers, "seconds": report.seconds,
                "mb_per_s": mb / max(report.seconds, 1e-9), "resumed_after_events": report.resumedAfterEvents as Any? ?? NSNull(),
                "problems": report.problems.map(\.description),
            ] as [String: Any])
        } else {
            var lines = [String(format: "%@: %@ events written from %@ physics events (%@ other) in %.1f MB of raw data, %.2f s, %.0f MB/s",
                                output, Terminal.count(report.eventsWritten), Terminal.count(report.physicsEvents), Terminal.count(report.otherEvents),
                                mb, report.seconds, mb / max(report.seconds, 1e-9))]
            if let r = report.resumedAfterEvents { lines.append("  resumed after \(Terminal.count(r)) events already converted") }
            lines.append("  spills: \(report.spills), EOT: \(Terminal.count(Int(report.scalers[.beam] ?? 0))), triggers: \(Terminal.count(Int(report.scalers[.triggersAccepted] ?? 0)))")
            if report.badEvents == 0 {
                lines.append("  bad events: none")
            } else {
                lines.append("  bad events: \(report.badEvents) skipped (" + report.badByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
            }
            Terminal.note(lines.joined(separator: "\n"))
        }
        if failOnBad && report.badEvents > 0 { throw ExitCode(1) }
    }
}
