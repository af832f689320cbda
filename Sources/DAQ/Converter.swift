import Dispatch
import EventFormat

/// How `Converter` reads and writes.
public struct ConvertOptions: Sendable {
    public var map = ChannelMap.defaultMap()
    public var calibration = CalibrationFile.defaultFile()
    /// Beam energy for `missing_energy`, GeV; nil takes it from the start-of-run event.
    public var beamEnergy: Double? = nil
    /// Stop at the first bad event instead of skipping it.
    public var strict = false
    public var keepWaveforms = false
    /// Continue an interrupted conversion of the same inputs into the same output.
    public var resume = false
    public var threads = WriterOptions().threads
    public var writer = WriterOptions()
    /// Raw bytes read and decoded at a time.
    public var chunkBytes = 16 << 20

    public init() {}
}

/// A bad event or a run of garbage that was skipped.
public struct ConvertProblem: Sendable, CustomStringConvertible {
    public var file: String
    public var offset: Int
    public var length: Int
    public var code: DAQError.Code
    public var reason: String

    public var description: String {
        "\(file): byte \(offset): \(reason)" + (length > 0 ? " (\(length) bytes skipped)" : "")
    }
}

/// What a conversion read, wrote and skipped.
public struct ConvertReport: Sendable {
    public var inputs: [String]
    public var output: String
    public var bytesRead = 0
    public var bytesTotal = 0
    public var physicsEvents = 0
    public var otherEvents = 0
    public var eventsWritten = 0
    public var badByReason: [String: Int] = [:]
    /// The first `ConvertReport.keptProblems` problems, in file order.
    public var problems: [ConvertProblem] = []
    public var scalers: [ScalerID: UInt64] = [:]
    public var spills = 0
    /// Events already in the output when a resumed conversion started.
    public var resumedAfterEvents: Int?
    public var seconds = 0.0
    public static let keptProblems = 1000

    public var badEvents: Int { badByReason.values.reduce(0, +) }
}

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
        var beamEnergy: Double
    }

    private var runs: [UInt32: RunContext] = [:]
    private var beamEnergyByRun: [UInt32: Double] = [:]
    private var report: ConvertReport
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

    /// Runs the conversion. `progress` gets the raw bytes done so far; `warn` each problem as it
    /// is found. Throws `DAQError` (bad input under --strict, bad map or calibration, missing
    /// beam energy) or `EVCError` (output); the output is then left as `.partial` only when
    /// clusters were written and the failure was not a bad input.
    public func run(progress: (Int, Int) -> Void = { _, _ in }, warn: (ConvertProblem) -> Void = { _ in }) throws -> ConvertReport {
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
                    try convert(chunk, fileIndex: fileIndex, writer: writer, warn: warn)
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
            }
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

    /// Converts the events of one chunk.
    private func convert(_ chunk: RawFileReader.Chunk, fileIndex: Int, writer: WriteQueue, warn: (ConvertProblem) -> Void) throws {
        let path = inputs[fileIndex]
        var problems = chunk.bad.map { ConvertProblem(file: path, offset: $0.offset, length: $0.length, code: $0.code, reason: $0.reason) }
        // Run-level events in order: start of run (beam energy), end of burst (scalers).
        var physics: [RawEventRef] = []
        physics.reserveCapacity(chunk.events.count)
        var scratch = DecodedEvent()
        var metadata: [(String, String)] = []
        for ref in chunk.events {
            let type = RawFileReader.word(chunk.bytes, ref.bufferOffset + 16)
            let run = RawFileReader.word(chunk.bytes, ref.bufferOffset + 20)
            if type == DATE.EventType.physics.rawValue {
                physics.append(ref)
                if runs[run] == nil { try prepare(run: run, at: ref, path: path) }
                continue
            }
            report.otherEvents += 1
            guard type == DATE.EventType.startOfRun.rawValue || type == DATE.EventType.endOfBurst.rawValue else { continue }
            do throws(DAQError) {
                try EventDecoder.decode(chunk.bytes, at: ref.bufferOffset, fileOffset: ref.fileOffset, table: nil, into: &scratch)
            } catch {
                problems.append(ConvertProblem(file: path, offset: ref.fileOffset, length: ref.size, code: error.code, reason: error.message))
                continue
            }
            if scratch.header.type == .startOfRun, let e = scratch.runInfo["beam_energy_gev"].flatMap(Double.init) {
                beamEnergyByRun[run] = e
                metadata.append(("beam_energy_gev.run\(run)", String(e)))
                for (k, v) in scratch.runInfo.sorted(by: { $0.key < $1.key }) { metadata.append(("run_info." + k, v)) }
            }
            if scratch.header.type == .endOfBurst && !counted(fileIndex, ref.fileOffset) {
                // A spill's end of burst seen twice with other scalers: the row is flagged.
                if let reason = exposure?.add(SpillExposure(endOfBurst: scratch)) { metadata.append(("exposure_conflict", "\(path): byte \(ref.fileOffset): " + reason)) }
                report.spills += 1
                for s in scratch.scalers { if let id = ScalerID(rawValue: s.id) { report.scalers[id, default: 0] += s.value } }
            }
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
            var bad: [ConvertProblem] = []
            var n = 0
            for ref in refs[range] {
                let run = RawFileReader.word(bytes, ref.bufferOffset + 20)
                let context = contexts[run]!
                do throws(DAQError) {
                    try EventDecoder.decode(bytes, at: ref.bufferOffset, fileOffset: ref.fileOffset, table: context.table, into: &ev)
                } catch {
                    bad.append(ConvertProblem(file: path, offset: ref.fileOffset, length: ref.size, code: error.code,
                                              reason: "event \(RawFileReader.word(bytes, ref.bufferOffset + 24)): " + error.message))
                    continue
                }
                if recoRun != run {
                    reco = Reconstructor(calibration: context.calibration, beamEnergy: context.beamEnergy)
                    recoRun = run
                }
                reco!.append(ev, to: columns, rawFile: fileIndex, rawOffset: ref.fileOffset)
                if keepWaveforms, let w = batch.column("waveforms") { Self.appendWaveforms(ev, to: w) }
                n += 1
            }
            batch.noteAppendedEvents(n)
            results.set(k, batch, bad)
        }
        // One thread means one: the pool would otherwise use every core.
        if options.threads <= 1 {
            for k in 0..<parts { decodePart(k) }
        } else {
            DispatchQueue.concurrentPerform(iterations: parts, execute: decodePart)
        }
        for k in 0..<parts { problems += results.bad[k] }
        problems.sort { $0.offset < $1.offset }
        for p in problems { try problem(p, fileIndex: fileIndex, warn: warn) }
        let batches = results.batches.map { $0! }
        report.eventsWritten += batches.reduce(0) { $0 + $1.eventCount }
        try writer.submit(metadata: metadata + progressMetadata(through: (fileIndex, chunk.end)), batches: batches, exposure: exposure?.take())
    }

    /// Resolves the map, calibration and beam energy of `run` (once per run).
    private func prepare(run: UInt32, at ref: RawEventRef, path: String) throws(DAQError) {
        guard let beam = options.beamEnergy ?? beamEnergyByRun[run] else {
            throw DAQError(.badArgument, "no beam energy for run \(run): the file has no start-of-run event with one; give --beam-energy", path: path, offset: ref.fileOffset)
        }
        let table = try options.map.table(run: run)
        let calibration = try options.calibration.calibration(run: run, map: table)
        runs[run] = RunContext(table: table, calibration: calibration, beamEnergy: beam)
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

    final class PartResults: @unchecked Sendable {
        // Safe: each concurrent iteration writes only its own slots.
        var batches: [EventBatch?]
        var bad: [[ConvertProblem]]
        init(_ n: Int) {
            batches = Array(repeating: nil, count: n)
            bad = Array(repeating: [], count: n)
        }
        func set(_ k: Int, _ b: EventBatch, _ p: [ConvertProblem]) {
            batches[k] = b
            bad[k] = p
        }
    }
}
