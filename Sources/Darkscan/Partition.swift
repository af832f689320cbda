#if canImport(Glibc)
import Glibc
#endif

/// A unit of distributed work (Formats/DISTRIBUTED.md): the events of whole clusters
/// `clusters` of one file, `firstEvent ..< endEvent` counted from the file's start.
public struct Partition: Sendable, Equatable {
    public var id: Int
    /// Index of the file in the plan's inputs.
    public var input: Int
    public var file: String
    /// The file as planned; nil for a partition given as FILE:START:END (not checked).
    public var identity: FileIdentity?
    public var firstEvent: Int
    public var endEvent: Int
    public var clusters: Range<Int>

    public init(id: Int, input: Int, file: String, identity: FileIdentity?, firstEvent: Int, endEvent: Int, clusters: Range<Int>) {
        self.id = id
        self.input = input
        self.file = file
        self.identity = identity
        self.firstEvent = firstEvent
        self.endEvent = endEvent
        self.clusters = clusters
    }

    public var events: Int { endEvent - firstEvent }

    /// The plan entry (Formats/DISTRIBUTED.md section 2), as `darkscan plan --json` prints it and
    /// `--partition` reads it.
    public var planEntry: [String: Any] {
        var o: [String: Any] = ["id": id, "input": input, "file": file, "first_event": firstEvent, "end_event": endEvent,
                                "first_cluster": clusters.lowerBound, "end_cluster": clusters.upperBound]
        if let identity { o["identity"] = identity.json }
        return o
    }

    /// "partition 3 (/data/run1.evc events 0..<100000)", for messages.
    public var label: String { "partition \(id) (\(file) events \(firstEvent)..<\(endEvent))" }

    /// Cuts a file's clusters (their event counts, in order) into `k = max(1, ceil(events / eventsPerTask))` ranges as even as
    /// cluster boundaries allow: range j ends at the cluster boundary nearest to `events × j / k`
    /// (the earlier one on a tie), never empty. A file with no events gives one empty range.
    public static func split(_ clusters: [Int], eventsPerTask: Int) -> [Range<Int>] {
        let total = clusters.reduce(0, +)
        let per = max(1, eventsPerTask)
        let k = max(1, total / per + (total % per == 0 ? 0 : 1))  // ceil, without overflow for any per
        // Compared as events × k against total × j, exactly (128 bits: the products may pass 2^63).
        func scaled(_ events: Int) -> Int128 { Int128(events) * Int128(k) }
        func target(_ j: Int) -> Int128 { Int128(total) * Int128(j) }
        var out: [Range<Int>] = []
        var start = 0, before = 0, j = 1
        for (i, c) in clusters.enumerated() {
            let after = before + c
            if j <= k && scaled(after) >= target(j) {
                if i > start && target(j) - scaled(before) < scaled(after) - target(j) {
                    out.append(start..<i)
                    start = i
                    j += 1
                }
                if j <= k && scaled(after) >= target(j) {
                    out.append(start..<(i + 1))
                    start = i + 1
                    while j <= k && scaled(after) >= target(j) { j += 1 }
                }
            }
            before = after
        }
        if start < clusters.count { out.append(start..<clusters.count) }
        return out.isEmpty ? [0..<0] : out
    }

    /// Resolves `FILE:START:END` (split at the last two colons) against the footer of FILE.
    /// START and END must be cluster boundaries; the error lists the nearest ones.
    public static func parse(_ spec: String, id: Int) throws(PartitionSpecError) -> (file: String, events: Range<Int>) {
        let pieces = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard pieces.count >= 3, let start = Int(pieces[pieces.count - 2]), let end = Int(pieces[pieces.count - 1]), start >= 0, end >= start else {
            throw PartitionSpecError("--partition must be FILE:START:END with 0 <= START <= END (events of FILE), or a plan entry in JSON; got '\(spec)'")
        }
        let file = pieces[0..<(pieces.count - 2)].joined(separator: ":")
        guard !file.isEmpty else { throw PartitionSpecError("--partition '\(spec)' names no file") }
        return (file, start..<end)
    }

    /// The clusters of `file` that hold exactly `events`; throws when a bound is not a cluster
    /// boundary or lies past the file's end.
    public static func clusters(of file: EVCFile, events: Range<Int>) throws(PartitionSpecError) -> Range<Int> {
        var boundaries = [0]
        for c in file.clusterSummaries { boundaries.append(c.firstEvent + c.eventCount) }
        func index(_ e: Int) throws(PartitionSpecError) -> Int {
            if let i = boundaries.firstIndex(of: e) { return i }
            guard e <= file.eventCount else {
                throw PartitionSpecError("event \(e) lies past the end of \(file.path) (\(file.eventCount) events)")
            }
            let below = boundaries.last { $0 < e } ?? 0, above = boundaries.first { $0 > e } ?? file.eventCount
            throw PartitionSpecError("event \(e) is not a cluster boundary of \(file.path): the nearest are \(below) and \(above) (partitions hold whole clusters; `darkscan plan` lists them)")
        }
        let a = try index(events.lowerBound), b = try index(events.upperBound)
        return a..<max(a, b)
    }
}

public struct PartitionSpecError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

extension FileIdentity {
    /// {size, mtime_ns, footer_checksum} as plans and partition results write it.
    public var json: [String: Any] { ["size": size, "mtime_ns": mtimeNanoseconds, "footer_checksum": footerChecksumHex] }
}

/// Partitions of a dataset read from footers only (`darkscan plan`).
public struct Plan: Sendable {
    public struct Input: Sendable {
        public var path: String
        public var identity: FileIdentity
        public var events: Int
        public var clusters: Int
    }

    public var eventsPerTask: Int
    public var inputs: [Input]
    public var partitions: [Partition]
    public var events: Int { inputs.reduce(0) { $0 + $1.events } }

    /// Plans `paths` (files, globs, directories, manifests): each file is opened for its footer
    /// and identity and closed again, so any number of files can be planned. Paths become
    /// absolute; every file must have the first one's schema.
    public init(paths: [String], eventsPerTask: Int) throws(EVCError) {
        guard eventsPerTask >= 1 else { throw EVCError(.badArgument, "events per task must be at least 1") }
        self.eventsPerTask = eventsPerTask
        inputs = []
        partitions = []
        var schema: (Schema, String)? = nil
        for p in try EVCDataset.expand(paths) {
            let path = Self.absolute(p)
            let identity = try FileIdentity(path: path)
            let file = try EVCFile(path: path)
            if let (s, first) = schema, let diff = s.firstDifference(from: file.schema) {
                throw EVCError(.schemaMismatch, "schema differs from \(first): \(diff)", path: path)
            }
            if schema == nil { schema = (file.schema, path) }
            // The identity read before opening must still hold: a file replaced between the two
            // reads would pair one file's footer with another's identity.
            guard (try? FileIdentity(path: path)) == identity else {
                throw EVCError(.io, "changed while it was being planned", path: path)
            }
            let input = inputs.count
            inputs.append(Input(path: path, identity: identity, events: file.eventCount, clusters: file.clusterCount))
            let summaries = file.clusterSummaries
            for r in Partition.split(summaries.map(\.eventCount), eventsPerTask: eventsPerTask) {
                let first = r.isEmpty ? 0 : summaries[r.lowerBound].firstEvent
                let end = r.isEmpty ? 0 : summaries[r.upperBound - 1].firstEvent + summaries[r.upperBound - 1].eventCount
                partitions.append(Partition(id: partitions.count, input: input, file: path, identity: identity,
                                            firstEvent: first, endEvent: end, clusters: r))
            }
        }
    }

    /// `path` made absolute against the working directory, with `.` and `..` taken out
    /// lexically (symbolic links are kept: they may differ between nodes). URLs are left as
    /// they are.
    public static func absolute(_ path: String) -> String {
        if path.contains("://") { return path }
        var full = path
        if !path.hasPrefix("/") {
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            guard getcwd(&buf, buf.count) != nil else { return path }
            full = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + path
        }
        var parts: [Substring] = []
        for c in full.split(separator: "/") where c != "." {
            if c == ".." { _ = parts.popLast() } else { parts.append(c) }
        }
        return "/" + parts.joined(separator: "/")
    }
}
