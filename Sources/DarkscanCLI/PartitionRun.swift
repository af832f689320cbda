import ArgumentParser
import Darkscan
import Foundation

/// Runs `count`, `hist` or `skim` on one partition (`--partition`) and prints the partition result
/// (Formats/DISTRIBUTED.md, section 3). The only file opened is the partition's; a skim's part
/// file is written through a private temporary and renamed, so retries and duplicate runs
/// replace it with the same bytes.
enum PartitionRun {
    /// `count` or `hist` (the same scan; a hist result carries its histograms).
    static func count(_ spec: PartitionOptions, query: String, options: QueryOptions, kind: String = "count") throws {
        let (p, file) = try spec.resolve()
        let ds = try dataset(file, query: query, options: options, partition: p)
        watchParent(removing: [])
        let start = Date()
        let flow = try scan(p) { try ds.count(query, options: restricted(options, p)) }
        try recheck(p)
        Terminal.printCompactJSON(result(kind, spec, p, flow, output: nil, seconds: Date().timeIntervalSince(start)))
    }

    static func skim(_ spec: PartitionOptions, query: String, options: QueryOptions, select: [String]?, codec: Codec, directory: String) throws {
        let (p, file) = try spec.resolve()
        let ds = try dataset(file, query: query, options: options, partition: p)
        let name = String(format: "part-%07d.evc", p.id)
        let tmpDir = directory + "/.tmp"
        do { try FileManager.default.createDirectory(atPath: tmpDir, withIntermediateDirectories: true) } catch {
            Terminal.error("\(p.label): cannot make \(tmpDir): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let tmp = "\(tmpDir)/\(name).\(host).\(getpid())"
        watchParent(removing: [tmp, tmp + ".partial"])
        var writer = WriterOptions()
        writer.codec = codec
        writer.threads = options.threads
        var metadata = [("partition", "\(p.id) \(p.file) \(p.firstEvent)..<\(p.endEvent)")]
        if let job = spec.job { metadata.insert(("job", job), at: 0) }
        let start = Date()
        let flow = try scan(p) {
            try ds.skim(query, to: tmp, select: select, options: restricted(options, p), writerOptions: writer, metadata: metadata)
        }
        let output: [String: Any]
        do {
            let identity = try FileIdentity(path: tmp)
            let checksum = try FileIdentity.contentChecksum(path: tmp)
            try FileSystemOps.rename(tmp, to: directory + "/" + name)
            output = ["path": name, "events": flow.selected, "bytes": identity.size, "checksum": FileIdentity.hex(checksum),
                      "footer_checksum": identity.footerChecksumHex]
        } catch {
            unlink(tmp)
            Terminal.error("\(p.label): \(error)")
            throw ExitCode(1)
        }
        try recheck(p)
        Terminal.printCompactJSON(result("skim", spec, p, flow, output: output, seconds: Date().timeIntervalSince(start)))
    }

    /// The one-file dataset of the partition, with the query checked (exit 2 on an error).
    static func dataset(_ file: EVCFile, query: String, options: QueryOptions, partition p: Partition) throws -> EVCDataset {
        let ds: EVCDataset
        do { ds = try EVCDataset(files: [file]) } catch { throw Terminal.fail(error) }
        try QueryOptionGroup.check(ds, query, options: options)
        return ds
    }

    static func restricted(_ options: QueryOptions, _ p: Partition) -> QueryOptions {
        var o = options
        o.clusters = p.clusters
        return o
    }

    /// Runs the scan; a failure names the partition (exit 1).
    static func scan(_ p: Partition, _ body: () throws -> CutFlow) throws -> CutFlow {
        let flow: CutFlow
        do { flow = try body() } catch {
            Terminal.error("\(p.label): \(error)")
            throw ExitCode(1)
        }
        guard flow.total == p.events else {
            Terminal.error("\(p.label): scanned \(flow.total) events instead of \(p.events)")
            throw ExitCode(1)
        }
        return flow
    }

    /// A planned file must still be the planned one after the scan.
    static func recheck(_ p: Partition) throws {
        guard let planned = p.identity else { return }
        let now = try? FileIdentity(path: p.file)
        if let now, let d = planned.difference(to: now) {
            Terminal.error("\(p.label): the file changed during the scan: \(d)")
            throw ExitCode(1)
        } else if now == nil {
            Terminal.error("\(p.label): the file disappeared during the scan")
            throw ExitCode(1)
        }
    }

    static func result(_ kind: String, _ spec: PartitionOptions, _ p: Partition, _ flow: CutFlow, output: [String: Any]?,
                       seconds: Double) -> [String: Any] {
        var part: [String: Any] = ["id": p.id, "file": p.file, "first_event": p.firstEvent, "end_event": p.endEvent]
        if let i = p.identity { part["identity"] = i.json }
        var o: [String: Any] = ["format": "darkscan-partition-result", "version": 1, "kind": kind, "partition": part,
                                "events_processed": flow.total, "cut_flow": flow.json, "seconds": seconds]
        if let job = spec.job { o["job"] = job }
        if let output { o["output"] = output }
        if !flow.histograms.isEmpty { o["histograms"] = HistogramOutput.json(flow.histograms) }
        if let e = flow.exposure { o["exposure"] = exposure(e) }
        return o
    }

    /// The exposure of the partition's file (Formats/DISTRIBUTED.md, section 3): every spill of
    /// its table the query's spill selection keeps, as rows the driver unites by (run, spill),
    /// and the events of the file without a row.
    static func exposure(_ e: ExposureReport) -> [String: Any] {
        let t = e.totals
        return ["eot": t.eot, "spills": t.spills,
                "rows": e.table.rows.map { r -> [String: Any] in
                    ["run": r.run, "spill": r.spill, "eot": r.eot, "triggers_accepted": r.triggersAccepted,
                     "triggers_offered": r.triggersOffered, "length_us": r.lengthMicroseconds, "quality": r.quality]
                },
                "events_without_exposure": e.eventsWithout, "files_without_exposure": e.filesWithout]
    }

    /// When the process that started this one dies (a killed Dask worker), this one removes its
    /// temporaries and exits with 75 instead of finishing work nobody will collect.
    static func watchParent(removing paths: [String]) {
        let parent = getppid()
        Thread.detachNewThread {
            while true {
                usleep(500_000)
                if getppid() != parent {
                    for p in paths { unlink(p) }
                    _exit(75)
                }
            }
        }
    }
}

enum FileSystemOps {
    static func rename(_ from: String, to: String) throws {
        guard Foundation.rename(from, to) == 0 else {
            throw EVCError(.io, "cannot rename to \(to): \(String(cString: strerror(errno)))", path: from)
        }
    }
}
