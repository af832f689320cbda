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

            Each equipment is decoded as the channel map says its S-Link source carries \
            (MSADC, APV, STRAW, TCS, RUNINFO, SCALERS; Formats/RAW.md sections 3 and 10), \
            whatever its equipment type, id or format byte say: those are cross-checked and \
            disagreements reported. The summary lists per detector the channels seen and their \
            occupancy, and warns, naming file, byte, source and detector, about sources the map \
            does not know or gives two kinds of payload, MSADC channels it does not know, a \
            mapped source silent for a whole file, and a detector that delivered nothing in more \
            than --max-missing of a file's events.

            Bad events (truncated, bad CRC, impossible sizes, wrong markers, event numbers that \
            disagree, payloads that do not decode as the map says, garbage between events) are \
            skipped with a warning naming the file, the byte and the reason, and counted; reading \
            resumes at the next valid event. --strict stops at the first bad event or warning of \
            data left out (cross-checks excepted) and writes nothing. The output appears only \
            when complete; an interrupted conversion leaves OUT.partial, which --resume continues \
            without converting its clusters again.

            Exit codes: 0 done (also with bad events skipped or warnings: see the summary, or \
            --fail-on-bad); 1 unreadable input, a bad map or calibration, or a bad event or \
            warning of data left out under --strict; 64 bad usage.

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
    @Flag(help: "Stop at the first bad event or warning of data left out; write nothing.") var strict = false
    @Option(help: "Share of a file's physics events in which a detector may deliver nothing before it is a warning.")
    var maxMissing: Double = 0.01
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
        guard maxMissing >= 0 && maxMissing <= 1 else { throw ValidationError("--max-missing must be in [0, 1]") }
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
        options.missingLimit = maxMissing
        options.keepWaveforms = keepWaveforms
        options.resume = resume
        options.threads = threads
        options.writer.codec = Codec(parsing: codec)!
        options.writer.threads = threads
        let converter = Converter(inputs: inputs, output: output, options: options)
        let bar = ProgressBar("convert", total: 1, unit: "B")
        var shown = 0
        // The first 20 bad events and warnings each go to stderr as found; the summary counts all.
        func show(_ line: String) {
            shown += 1
            if shown <= 20 {
                bar.finish()
                Terminal.error("warning: " + line)
            } else if shown == 21 {
                bar.finish()
                Terminal.error("warning: further bad events and warnings are counted in the summary only")
            }
        }
        let report = try bar.run {
            try converter.run(progress: { done, total in bar.update(done, of: total) }, warn: { show($0.description) },
                              caution: { show($0.description) })
        }
        if json {
            Terminal.printJSON(Self.json(report))
        } else {
            Terminal.note(Self.summary(report, output: output))
        }
        if failOnBad && report.badEvents > 0 { throw ExitCode(1) }
    }

    static func json(_ report: ConvertReport) -> [String: Any] {
        var scalers: [String: Any] = [:]
        for (id, v) in report.scalers { scalers[id.metadataKey] = v }
        var unknown: [String: Int] = [:]
        for (source, n) in report.notes.unknownSources { unknown[String(source)] = n }
        let notes: [[String: Any]] = report.notes.entries.map { e in
            ["code": e.note.kind.rawValue, "source": e.note.source, "found": e.note.found, "expected": e.note.expected, "count": e.count,
             "first_file": report.inputs[e.file], "first_offset": e.offset, "message": e.note.message, "loses_data": e.note.kind.losesData]
        }
        let warnings: [[String: Any]] = report.warnings.map { w in
            ["code": w.code, "file": w.file, "offset": w.offset as Any? ?? NSNull(), "line": w.line as Any? ?? NSNull(),
             "source": w.source as Any? ?? NSNull(), "detector": w.detector as Any? ?? NSNull(), "message": w.message, "loses_data": w.losesData]
        }
        let detectors: [[String: Any]] = report.detectors.map { d in
            ["name": d.name, "sources": d.sources, "channels": d.channels, "seen": d.seen, "occupancy": d.occupancy, "events": d.events,
             "events_missing": d.eventsMissing]
        }
        let mb = Double(report.bytesRead) / 1e6
        return [
            "inputs": report.inputs, "output": report.output, "bytes_read": report.bytesRead, "physics_events": report.physicsEvents,
            "other_events": report.otherEvents, "events_written": report.eventsWritten, "bad_events": report.badEvents,
            "bad_by_reason": report.badByReason, "spills": report.spills, "scalers": scalers, "seconds": report.seconds,
            "mb_per_s": mb / max(report.seconds, 1e-9), "resumed_after_events": report.resumedAfterEvents as Any? ?? NSNull(),
            "problems": report.problems.map(\.description), "detectors": detectors, "warnings": warnings, "warning_counts": report.warningCounts,
            "source_notes": notes, "unknown_sources": unknown,
        ]
    }

    static func summary(_ report: ConvertReport, output: String) -> String {
        let mb = Double(report.bytesRead) / 1e6
        var lines = [String(format: "%@: %@ events written from %@ physics events (%@ other) in %.1f MB of raw data, %.2f s, %.0f MB/s",
                            output, Terminal.count(report.eventsWritten), Terminal.count(report.physicsEvents), Terminal.count(report.otherEvents),
                            mb, report.seconds, mb / max(report.seconds, 1e-9))]
        if let r = report.resumedAfterEvents { lines.append("  resumed after \(Terminal.count(r)) events already converted (the detector table covers the rest)") }
        lines.append("  spills: \(report.spills), EOT: \(Terminal.count(Int(report.scalers[.beam] ?? 0))), triggers: \(Terminal.count(Int(report.scalers[.triggersAccepted] ?? 0)))")
        if !report.detectors.isEmpty {
            let rows = report.detectors.map { d in
                [d.name, d.sources.map(String.init).joined(separator: ","), "\(d.seen)/\(d.channels)",
                 String(format: d.occupancy >= 0.01 ? "%.1f%%" : "%.3f%%", 100 * d.occupancy), Terminal.count(d.eventsMissing)]
            }
            let table = Terminal.table(["detector", "sources", "channels seen", "occupancy", "events missing"], rows)
            lines += table.split(separator: "\n").map { "  " + $0 }
        }
        if report.badEvents == 0 {
            lines.append("  bad events: none")
        } else {
            lines.append("  bad events: \(report.badEvents) skipped (" + report.badByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
        }
        let counts = report.warningCounts
        if counts.isEmpty {
            lines.append("  warnings: none")
        } else {
            lines.append("  warnings: " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            for e in report.notes.entries { lines.append("    \(e.note.message): \(Terminal.count(e.count))x, first at \(report.inputs[e.file]): byte \(e.offset)") }
            for w in report.warnings where SourceNote.Kind(rawValue: w.code) == nil { lines.append("    " + w.description) }
        }
        return lines.joined(separator: "\n")
    }
}

