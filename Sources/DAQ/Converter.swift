import Dispatch
import EventFormat

/// Converts raw DATE files into one EVC file (Formats/RAW.md): reads each input in chunks of
/// whole events, decodes and reconstructs physics events in parallel (one part of a chunk per
/// worker, results kept in file order), sums spill scalers into the metadata, and writes
/// through `EVCWriter` (`OUT.partial`, renamed when complete). Memory is bounded by the chunk
/// size and one open cluster, whatever the input size.
public final class Converter {
    public let inputs: [String]
    public let output: String
    public let options: ConvertOptions
    public let schema: Schema

    private struct RunContext: Sendable {
        var table: ChannelTable
        var calibration: Calibration
        /// Known once a physics event of the run needs it (the start-of-run event comes first).
        var beamEnergy: Double?
    }

    private var runs: [UInt32: RunContext] = [:]
    private var beamEnergyByRun: [UInt32: Double] = [:]
    private var report: ConvertReport
    /// What the detectors delivered in the file being read, and over the whole conversion; the
    /// map of the first run seen in each.
    private var fileTally = DetectorTally(), totalTally = DetectorTally()
    private var fileTable: ChannelTable?, totalTable: ChannelTable?
    /// Scalers and problems before this (file, offset) are counted already (resume).
    private var countedThrough = (file: 0, offset: 0)
    /// Exposure rows from the end-of-burst events (nil when resuming into a 1.0 file).
    private var exposure: ExposureCollector? = ExposureCollector()

    public init(inputs: [String], output: String, options: ConvertOptions = ConvertOptions()) {
        self.inputs = inputs
        self.output = output
        self.options = options
        self.schema = NA64Schema.make(converted: true, waveforms: options.keepWaveforms)
        self.report = ConvertReport(inputs: inputs, output: output)
    }

    /// Runs the conversion. `progress` gets the raw bytes done so far; `warn` each bad event and
    /// `caution` each warning as it is found. Throws `DAQError` (bad input or a warning of data
    /// left out under --strict, bad map or calibration, missing beam energy) or `EVCError`
    /// (output); the output is then left as `.partial` only when clusters were written and the
    /// failure was not a bad input.
    public func run(progress: (Int, Int) -> Void = { _, _ in }, warn: (ConvertProblem) -> Void = { _ in },
                    caution: (ConvertWarning) -> Void = { _ in }) throws -> ConvertReport {
        let started = DispatchTime.now()
        var sizes: [Int] = []
        for path in inputs {
            let reader = try RawFileReader(path: path)
            sizes.append(reader.fileSize)
        }
        report.bytesTotal = sizes.reduce(0, +)
        guard let (evcWriter, start) = try openWriter() else {
            // The interrupted conversion had written everything: recovery finished it.
            report.bytesRead = report.bytesTotal
            return report
        }
        let writer = WriteQueue(evcWriter)
        var done = start.file < sizes.count ? sizes[..<start.file].reduce(0, +) + start.offset : report.bytesTotal
        report.bytesRead = done
        do {
            for fileIndex in start.file..<inputs.count {
                let path = inputs[fileIndex]
                let reader = try RawFileReader(path: path, offset: fileIndex == start.file ? start.offset : 0, chunkSize: options.chunkBytes)
                var last = fileIndex == start.file ? start.offset : 0
                var found = 0
                var firstProblem: BadRegion?
                while let chunk = try reader.nextChunk() {
                    found += chunk.events.count
                    if firstProblem == nil { firstProblem = chunk.bad.first }
                    if found == 0 && chunk.end >= reader.fileSize { break }
                    try convert(chunk, fileIndex: fileIndex, writer: writer, warn: warn, caution: caution)
                    done += chunk.end - last
                    last = chunk.end
                    report.bytesRead = done
                    progress(done, report.bytesTotal)
                }
                // A file without a single event is the wrong file, not a damaged one.
                if found == 0 && (fileIndex != start.file || start.offset == 0) {
                    guard reader.fileSize > 0 else { throw DAQError(.notDATE, "the file is empty", path: path) }
                    throw DAQError(.notDATE, "no DATE event in its \(reader.fileSize) bytes" + (firstProblem.map { " (at byte \($0.offset): \($0.reason))" } ?? ""), path: path)
                }
                try finishFile(fileIndex, caution: caution)
            }
            if let totalTable { report.detectors = totalTally.summaries(table: totalTable) }
            try writer.close(metadata: progressMetadata(through: (inputs.count, 0)) + [("converted", "complete")])
        } catch let e as DAQError where e.code != .io {
            // Bad input under --strict, or a bad map/calibration/beam energy: nothing is kept.
            writer.abort()
            throw e
        } catch {
            // The written clusters stay in OUT.partial, for --resume.
            writer.drain()
            throw error
        }
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return report
    }

    /// Opens the output: new, or (with `resume`) the interrupted one recovered and reopened.
    /// Returns where reading starts.
    private func openWriter() throws -> (EVCWriter, (file: Int, offset: Int))? {
        let partial = output + ".partial"
        var metadata: [(String, String)] = [("producer", "darkscan convert"), ("inputs", inputs.joined(separator: "\n")),
                                            ("map", options.map.path), ("calibration", options.calibration.path)]
        if let e = options.beamEnergy { metadata.append(("beam_energy_gev", String(e))) }
        guard options.resume else {
            if FileSystem.exists(partial) {
                throw DAQError(.badArgument, "'\(partial)' is left from an interrupted conversion: --resume continues it, or remove it", path: output)
            }
            return (try EVCWriter(path: output, schema: schema, options: options.writer, metadata: metadata, exposure: Exposure()), (0, 0))
        }
        let recovered = FileSystem.exists(partial)
        if recovered {
            _ = try Recovery.recover(path: partial)
        } else if !FileSystem.exists(output) {
            return (try EVCWriter(path: output, schema: schema, options: options.writer, metadata: metadata, exposure: Exposure()), (0, 0))
        }
        let existing = try EVCFile(path: output)
        guard existing.schema == schema else {
            throw DAQError(.badArgument, "\(output) was written with other columns (--keep-waveforms differs?); cannot resume into it", path: output)
        }
        guard existing.metadata("inputs") == inputs.joined(separator: "\n") else {
            throw DAQError(.badArgument, "\(output) was converted from other inputs; resume with the same list of raw files", path: output)
        }
        report.resumedAfterEvents = existing.eventCount
        report.eventsWritten = existing.eventCount
        restoreCounters(existing)
        exposure = try existing.exposure().map { ExposureCollector(table: $0) }
        if existing.metadata("converted") == "complete" {
            guard recovered else { throw DAQError(.badArgument, "\(output) is complete already; nothing to resume", path: output) }
            return nil
        }
        var start = (file: 0, offset: 0)
        if existing.eventCount > 0, let ci = existing.clusterIndex(ofEvent: existing.eventCount - 1) {
            let fields = try existing.fieldIndices(["raw_file", "raw_offset"])
            let last = try existing.readEvents(cluster: ci, events: existing.clusterSummaries[ci].eventCount - 1..<existing.clusterSummaries[ci].eventCount, fields: fields)
            let file = Int(last.column("raw_file")!.buffer(UInt16.self)[0])
            let offset = Int(last.column("raw_offset")!.buffer(UInt64.self)[0])
            guard file < inputs.count else { throw DAQError(.badArgument, "\(output) refers to raw file \(file), beyond the inputs", path: output) }
            // Continue after that event: its size is the first word of its header.
            let reader = try RawFileReader(path: inputs[file], offset: offset, chunkSize: 1 << 16)
            guard let chunk = try reader.nextChunk(), let first = chunk.events.first, first.fileOffset == offset else {
                throw DAQError(.badArgument, "the last converted event (byte \(offset)) is no longer readable; was the raw file changed?", path: inputs[file])
            }
            start = (file, offset + first.size)
        }
        return (try EVCWriter(appendingTo: output, options: options.writer), start)
    }

    /// Counters saved with each checkpoint, valid up to the position they name.
    private func progressMetadata(through: (file: Int, offset: Int)) -> [(String, String)] {
        var m = [("convert_through", "\(through.file) \(through.offset)"), ("spills", String(report.spills))]
        for id in ScalerID.allCases { m.append((id.metadataKey, String(report.scalers[id] ?? 0))) }
        m.append(("bad_events", String(report.badEvents)))
        for (reason, n) in report.badByReason.sorted(by: { $0.key < $1.key }) { m.append(("bad_events." + reason, String(n))) }
        return m
    }

    private func restoreCounters(_ file: EVCFile) {
        let through = (file.metadata("convert_through") ?? "0 0").split(separator: " ").compactMap { Int($0) }
        if through.count == 2 { countedThrough = (through[0], through[1]) }
        report.spills = Int(file.metadata("spills") ?? "") ?? 0
        for id in ScalerID.allCases { report.scalers[id] = UInt64(file.metadata(id.metadataKey) ?? "") ?? 0 }
        for (k, v) in file.metadata where k.hasPrefix("beam_energy_gev.run") {
            if let run = UInt32(k.dropFirst("beam_energy_gev.run".count)), let e = Double(v) { beamEnergyByRun[run] = e }
        }
        for (k, v) in file.metadata where k.hasPrefix("bad_events.") {
            report.badByReason[String(k.dropFirst("bad_events.".count))] = Int(v) ?? 0
        }
    }

    private func counted(_ file: Int, _ offset: Int) -> Bool {
        file < countedThrough.file || (file == countedThrough.file && offset < countedThrough.offset)
    }

    private func problem(_ p: ConvertProblem, fileIndex: Int, warn: (ConvertProblem) -> Void) throws(DAQError) {
        if options.strict { throw DAQError(p.code, p.reason, path: p.file, offset: p.offset) }
        guard !counted(fileIndex, p.offset) else { return }
        report.badByReason[p.code.rawValue, default: 0] += 1
        if report.problems.count < ConvertReport.keptProblems { report.problems.append(p) }
        warn(p)
    }

    /// Reports a warning; under --strict one of data left out stops the conversion.
    private func warning(_ w: ConvertWarning, caution: (ConvertWarning) -> Void) throws(DAQError) {
        if options.strict && w.losesData { throw DAQError(.missingData, w.message, path: w.file, offset: w.offset, line: w.line) }
        report.warnings.append(w)
        caution(w)
    }

    /// Adds the source notes of a chunk (in file order) to the report; each new one is a warning.
    private func noteAll(_ tally: SourceNoteTally, caution: (ConvertWarning) -> Void) throws(DAQError) {
        for e in report.notes.merge(tally) {
            let kind = e.note.kind
            try warning(ConvertWarning(code: kind.rawValue, file: inputs[e.file], offset: e.offset, source: e.note.source,
                                       detector: detectorNames(source: e.note.source, table: fileTable), message: e.note.message,
                                       losesData: kind.losesData), caution: caution)
        }
    }

    /// The detectors a source feeds in `table`, for warnings: `ECAL`, `HCAL+VETO`, `MM`.
    private func detectorNames(source: Int, table: ChannelTable?) -> String? {
        guard let table, let kind = table.kind(ofSource: source) else { return nil }
        switch kind {
        case .msadc:
            var names: [String] = []
            for cell in 0..<Cells.count where table.addresses[cell]?.sourceID == source {
                let g = Cells.group(of: cell).rawValue
                if !names.contains(g) { names.append(g) }
            }
            return names.joined(separator: "+")
        default:
            return DetectorTally.trackerKinds.first { $0.0 == kind }?.1 ?? kind.mapName
        }
    }

    /// At the end of a file: a mapped source that delivered nothing in it, and a detector that
    /// delivered nothing in more than `missingLimit` of its physics events, are warnings.
    private func finishFile(_ fileIndex: Int, caution: (ConvertWarning) -> Void) throws(DAQError) {
        defer {
            totalTally.merge(fileTally)
            fileTally = DetectorTally()
            fileTable = nil
        }
        guard let table = fileTable, fileTally.events > 0 else { return }
        let path = inputs[fileIndex], events = fileTally.events
        let silent = fileTally.silentSources(table: table)
        for source in silent {
            let kind = table.kind(ofSource: source)!.mapName, names = detectorNames(source: source, table: table) ?? kind
            try warning(ConvertWarning(code: "silent-source", file: path, source: source, detector: names,
                                       message: "source \(source) (\(kind): \(names)) delivered no data in the file's \(events) physics events",
                                       losesData: true), caution: caution)
        }
        for d in fileTally.summaries(table: table) where Double(d.eventsMissing) > options.missingLimit * Double(events) {
            // A detector whose every source is silent was named just above.
            guard !d.sources.allSatisfy(silent.contains) else { continue }
            let share = Double(Int((1000 * Double(d.eventsMissing) / Double(events)).rounded())) / 10
            let sources: String = d.sources.map { String($0) }.joined(separator: ", ")
            let message = "\(d.name) (source \(sources)) delivered nothing in \(d.eventsMissing) of the file's \(events) physics events"
                + " (\(share)%, limit \(options.missingLimit * 100)%)"
            try warning(ConvertWarning(code: "missing-detector", file: path, source: d.sources.first, detector: d.name, message: message,
                                       losesData: true), caution: caution)
        }
    }

    /// Converts the events of one chunk.
    private func convert(_ chunk: RawFileReader.Chunk, fileIndex: Int, writer: WriteQueue, warn: (ConvertProblem) -> Void,
                         caution: (ConvertWarning) -> Void) throws {
        let path = inputs[fileIndex]
        var problems = chunk.bad.map { ConvertProblem(file: path, offset: $0.offset, length: $0.length, code: $0.code, reason: $0.reason) }
        var notes = SourceNoteTally()
        // Run-level events in order: start of run (beam energy), end of burst (scalers).
        var physics: [RawEventRef] = []
        physics.reserveCapacity(chunk.events.count)
        var scratch = DecodedEvent()
        var metadata: [(String, String)] = []
        for ref in chunk.events {
            let type = RawFileReader.word(chunk.bytes, ref.bufferOffset + 16)
            let run = RawFileReader.word(chunk.bytes, ref.bufferOffset + 20)
            let context = try self.context(run: run, caution: caution)
            if fileTable == nil { fileTable = context.table }
            if totalTable == nil { totalTable = context.table }
            if type == DATE.EventType.physics.rawValue {
                physics.append(ref)
                if context.beamEnergy == nil { try resolveBeamEnergy(run: run, at: ref, path: path) }
                continue
            }
            report.otherEvents += 1
            guard type == DATE.EventType.startOfRun.rawValue || type == DATE.EventType.endOfBurst.rawValue else { continue }
            do throws(DAQError) {
                try EventDecoder.decode(chunk.bytes, at: ref.bufferOffset, fileOffset: ref.fileOffset, table: context.table, into: &scratch)
            } catch {
                problems.append(ConvertProblem(file: path, offset: ref.fileOffset, length: ref.size, code: error.code, reason: error.message))
                continue
            }
            for (note, offset) in scratch.notes { notes.add(note, file: fileIndex, offset: offset) }
            if scratch.header.type == .startOfRun, let e = scratch.runInfo["beam_energy_gev"].flatMap(Double.init) {
                beamEnergyByRun[run] = e
                metadata.append(("beam_energy_gev.run\(run)", String(e)))
                for (k, v) in scratch.runInfo.sorted(by: { $0.key < $1.key }) { metadata.append(("run_info." + k, v)) }
            }
            if scratch.header.type == .endOfBurst && !counted(fileIndex, ref.fileOffset) { endOfBurst(scratch, path: path, offset: ref.fileOffset, metadata: &metadata) }
        }
        report.physicsEvents += physics.count

        // Physics events: parts decoded in parallel, written in order.
        let parts = max(1, min(options.threads * 2, (physics.count + 255) / 256))
        let results = PartResults(parts)
        let contexts = runs
        let schema = schema, keepWaveforms = options.keepWaveforms
        nonisolated(unsafe) let bytes = chunk.bytes
        let refs = physics
        let decodePart: @Sendable (Int) -> Void = { k in
            let range = k * refs.count / parts..<(k + 1) * refs.count / parts
            var batch = EventBatch(schema: schema, capacity: range.count)
            let columns = NA64Columns(batch)
            var ev = DecodedEvent()
            var reco: Reconstructor? = nil
            var recoRun: UInt32? = nil
            var part = PartResult()
            var n = 0
            for ref in refs[range] {
                let run = RawFileReader.word(bytes, ref.bufferOffset + 20)
                let context = contexts[run]!
                do throws(DAQError) {
                    try EventDecoder.decode(bytes, at: ref.bufferOffset, fileOffset: ref.fileOffset, table: context.table, into: &ev)
                } catch {
                    part.bad.append(ConvertProblem(file: path, offset: ref.fileOffset, length: ref.size, code: error.code,
                                                   reason: "event \(RawFileReader.word(bytes, ref.bufferOffset + 24)): " + error.message))
                    continue
                }
                for (note, offset) in ev.notes { part.notes.add(note, file: fileIndex, offset: offset) }
                part.tally.add(ev, table: context.table)
                if recoRun != run {
                    reco = Reconstructor(calibration: context.calibration, beamEnergy: context.beamEnergy!)
                    recoRun = run
                }
                reco!.append(ev, to: columns, rawFile: fileIndex, rawOffset: ref.fileOffset)
                if keepWaveforms, let w = batch.column("waveforms") { Self.appendWaveforms(ev, to: w) }
                n += 1
            }
            batch.noteAppendedEvents(n)
            part.batch = batch
            results.set(k, part)
        }
        // One thread means one: the pool would otherwise use every core.
        if options.threads <= 1 {
            for k in 0..<parts { decodePart(k) }
        } else {
            DispatchQueue.concurrentPerform(iterations: parts, execute: decodePart)
        }
        for part in results.parts {
            problems += part!.bad
            notes.merge(part!.notes)
            fileTally.merge(part!.tally)
        }
        problems.sort { $0.offset < $1.offset }
        // Under --strict the first in file order stops: a bad event, or a note of data left out.
        let firstLoss = notes.entries.filter(\.note.kind.losesData).map(\.offset).min() ?? Int.max
        for p in problems where p.offset < firstLoss { try problem(p, fileIndex: fileIndex, warn: warn) }
        try noteAll(notes, caution: caution)
        for p in problems where p.offset >= firstLoss { try problem(p, fileIndex: fileIndex, warn: warn) }
        let batches = results.parts.map { $0!.batch! }
        report.eventsWritten += batches.reduce(0) { $0 + $1.eventCount }
        try writer.submit(metadata: metadata + progressMetadata(through: (fileIndex, chunk.end)), batches: batches, exposure: exposure?.take())
    }

    /// The scalers of one spill, from its end-of-burst event (`ev.header` has run and spill):
    /// summed into the report.
    /// A spill's scalers: counted, and its exposure row (Formats/EVC.md 8.2). A spill's end of
    /// burst seen twice with other scalers keeps its first row, flagged, and names the clash.
    private func endOfBurst(_ ev: DecodedEvent, path: String, offset: Int, metadata: inout [(String, String)]) {
        if let reason = exposure?.add(SpillExposure(endOfBurst: ev)) { metadata.append(("exposure_conflict", "\(path): byte \(offset): " + reason)) }
        report.spills += 1
        for s in ev.scalers { if let id = ScalerID(rawValue: s.id) { report.scalers[id, default: 0] += s.value } }
    }

    /// The map and calibration of `run` (resolved once per run); a map conflict is a warning.
    private func context(run: UInt32, caution: (ConvertWarning) -> Void) throws(DAQError) -> RunContext {
        if let c = runs[run] { return c }
        let table = try options.map.table(run: run)
        let calibration = try options.calibration.calibration(run: run, map: table)
        runs[run] = RunContext(table: table, calibration: calibration, beamEnergy: nil)
        for c in table.conflicts {
            try warning(ConvertWarning(code: SourceNote.Kind.conflictingSource.rawValue, file: c.path, line: c.lines.last, source: c.source,
                                       message: c.message + " (run \(run))", losesData: true), caution: caution)
        }
        return runs[run]!
    }

    /// The beam energy of `run`: the option, else the start-of-run event's.
    private func resolveBeamEnergy(run: UInt32, at ref: RawEventRef, path: String) throws(DAQError) {
        guard let beam = options.beamEnergy ?? beamEnergyByRun[run] else {
            throw DAQError(.badArgument, "no beam energy for run \(run): the file has no start-of-run event with one; give --beam-energy", path: path, offset: ref.fileOffset)
        }
        runs[run]!.beamEnergy = beam
    }

    static func appendWaveforms(_ ev: DecodedEvent, to column: ColumnBuffer) {
        for cell in 0..<Cells.count {
            let n = min(ev.sampleCount[cell], NA64Schema.waveformSamples)
            for k in 0..<NA64Schema.waveformSamples { column.append(k < n ? ev.samples[ev.sampleStart[cell] + k] : UInt16(0)) }
        }
    }

    /// The writer on its own serial queue, so that the next chunk is read and decoded while
    /// this one is compressed and written; at most two chunks wait.
    final class WriteQueue: @unchecked Sendable {
        // Safe: `writer` and `error` are touched only on `queue`, or after waiting for it.
        private let writer: EVCWriter
        private let queue = DispatchQueue(label: "darkscan.convert.write")
        private let pending = DispatchGroup()
        private let room = DispatchSemaphore(value: 2)
        private var error: Error?

        init(_ writer: EVCWriter) { self.writer = writer }

        func submit(metadata: [(String, String)], batches: [EventBatch], exposure: Exposure? = nil) throws {
            room.wait()
            if let error {
                pending.wait()
                // Give the slot back: libdispatch traps when a semaphore is freed below its
                // initial value.
                room.signal()
                throw error
            }
            queue.async(group: pending) {
                defer { self.room.signal() }
                guard self.error == nil else { return }
                do {
                    for (k, v) in metadata { self.writer.setMetadata(k, v) }
                    if let exposure { try self.writer.setExposure(exposure) }
                    for b in batches { try self.writer.write(b) }
                } catch {
                    self.error = error
                }
            }
        }

        func close(metadata: [(String, String)]) throws {
            pending.wait()
            if let error { throw error }
            for (k, v) in metadata { writer.setMetadata(k, v) }
            try writer.close()
        }

        func abort() {
            pending.wait()
            writer.abort()
        }

        func drain() { pending.wait() }
    }

    /// What one worker made of its part of a chunk.
    struct PartResult {
        var batch: EventBatch?
        var bad: [ConvertProblem] = []
        var notes = SourceNoteTally()
        var tally = DetectorTally()
    }

    final class PartResults: @unchecked Sendable {
        // Safe: each concurrent iteration writes only its own slot.
        var parts: [PartResult?]
        init(_ n: Int) { parts = Array(repeating: nil, count: n) }
        func set(_ k: Int, _ p: PartResult) { parts[k] = p }
    }
}
