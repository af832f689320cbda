// The embeddable Darkscan library: open EVC files and datasets (EventFormat), check queries
// (Query) and run them (Engine). `import Darkscan` brings all three.
@_exported import Engine
@_exported import EventFormat
@_exported import Export
@_exported import Histograms
@_exported import JSON
@_exported import Query

#if canImport(Glibc)
import Glibc
#endif

/// The version of Darkscan (the command, the library and job manifests record it).
public enum DarkscanVersion {
    public static let current = "0.1.0"
}

/// What a query call needs besides the cuts.
public struct QueryOptions: Sendable {
    /// `name = expr` aliases, checked in order (later ones may use earlier ones).
    public var defines: [String] = []
    /// A per-event weight: the cut flow then carries Σw and Σw².
    public var weight: String? = nil
    public var nMinusOne = false
    /// Histograms to fill during the scan, one spec each (Formats/QUERY.md, section 9); they
    /// come back in `CutFlow.histograms`.
    public var histograms: [String] = []
    public var threads = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    public var verifyChecksums = true
    /// Only these clusters of each file: one partition of a distributed job (see `Partition`).
    public var clusters: Range<Int>? = nil
    /// A quick look: only the first `limit` events, or a `sample` of the clusters (whole ones,
    /// chosen by a seeded hash; see `Sampling`). The cut flow then counts what was read.
    public var limit: Int? = nil
    public var sample: Sampling? = nil
    /// A good-spill list (Formats/SPILLS.md): only its spills' events are read (the cut flow's
    /// first line), and the exposure is that of its spills.
    public var spills: SpillList? = nil
    /// Datasets whose fields join the events by (run, event), as `prefix.field`.
    public var friends: [Friend] = []
    /// What to do with events a friend lacks.
    public var friendMissing: FriendMissing = .error
    /// Report the exposure of the events read with the cut flow (`CutFlow.exposure`). A quick
    /// look (`limit`, `sample`) reports none: it reads part of the spills' events.
    public var exposure = true

    public init() {}

    /// Whether the cut flow carries the exposure: asked for, and every event of the dataset (or
    /// of the partition's clusters) read.
    var wantsExposure: Bool { exposure && limit == nil && sample == nil }

    func scanOptions() -> ScanOptions {
        var o = ScanOptions(threads: threads)
        o.nMinusOne = nMinusOne
        o.verifyChecksums = verifyChecksums
        o.clusters = clusters
        o.limit = limit
        o.sample = sample
        return o
    }
}

extension EVCDataset {
    /// Checks `query` (with `options.defines`, `options.weight` and `options.histograms`) against
    /// this dataset's schema, extended by the fields of `options.friends` and the spill list's
    /// flag. Throws `QueryError`, whose `rendered()` points at the exact place, or `EVCError` for
    /// a friend that cannot be opened or joined.
    public func check(_ query: String, options: QueryOptions = QueryOptions()) throws -> CheckedQuery {
        try QueryPlan.make(self, query, options).query
    }

    /// The cut flow of `query` over every event, with the exposure of the events read
    /// (`CutFlow.exposure`), what each friend join found (`CutFlow.joins`) and the histograms.
    public func count(_ query: String, options: QueryOptions = QueryOptions(), progress: ((Int) -> Void)? = nil) throws -> CutFlow {
        let plan = try QueryPlan.make(self, query, options)
        let exposure = try plan.exposure(self, options)
        var flow = try plan.scan(self, options).count(progress: progress)
        plan.annotate(&flow, exposure: exposure)
        try annotateHistograms(&flow, options: options)
        return flow
    }

    /// Writes the events passing every cut of `query` to `path` (all fields, or `select`: names
    /// of the dataset's or friends' fields, `*` for all of the dataset's, `P.*` for all of friend
    /// P's), with the query, spill list, cut flow, histograms and input files in the output's
    /// metadata, and the exposure of every spill the skim read (Formats/EVC.md, section 8.2).
    /// `metadata` is added to the output's (a distributed job names its job and partition).
    @discardableResult
    public func skim(_ query: String, to path: String, select: [String]? = nil, options: QueryOptions = QueryOptions(),
                     writerOptions: WriterOptions = WriterOptions(), metadata extra: [(String, String)] = [],
                     progress: ((Int) -> Void)? = nil) throws -> CutFlow {
        let plan = try QueryPlan.make(self, query, options)
        let out = try plan.projection(self, select)
        let exposure = try plan.exposure(self, options)
        var metadata: [(String, String)] = [("producer", "darkscan skim"), ("query", query)] + extra
        for d in options.defines { metadata.append(("define", d)) }
        if let w = options.weight { metadata.append(("weight", w)) }
        if let s = options.spills {
            metadata.append(("spill_list_file", s.name))
            metadata.append(("spill_list", s.canonical))
        }
        for f in options.friends { metadata.append(("friend", "\(f.paths.joined(separator: ",")):\(f.prefix) (missing events: \(options.friendMissing.rawValue))")) }
        if options.limit != nil || options.sample != nil {
            metadata.append(("quick_look", options.limit.map { "the first \($0) events" } ?? "a sample of \(options.sample!.fraction) of the clusters, seed \(options.sample!.seed)"))
        }
        let runs = Array(Set(files.compactMap { $0.metadata("run") })).sorted()
        if !runs.isEmpty { metadata.append(("run", runs.joined(separator: ","))) }
        metadata.append(("inputs", files.map(\.path).joined(separator: "\n")))
        // Inputs without any exposure table, or a quick look, give a skim without one: its
        // exposure is unknown.
        let table = exposure.flatMap { $0.filesWithout.count == files.count ? nil : $0.table }
        let writer = try EVCWriter(path: path, schema: out, options: writerOptions, metadata: metadata, exposure: table)
        do {
            var flow = try plan.scan(self, options).skim(to: writer, progress: progress)
            plan.annotate(&flow, exposure: exposure)
            try annotateHistograms(&flow, options: options)
            writer.setMetadata("cut_flow", flow.table())
            writer.setMetadata("cut_flow_json", flow.cutFlowJSON)
            if !flow.histograms.isEmpty { writer.setMetadata("histograms", UHI.encode(flow.histograms)) }
            writer.setMetadata("events_read", String(flow.total))
            if let exposure { writer.setMetadata("events_without_exposure", String(exposure.eventsWithout)) }
            try writer.close()
            return flow
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Calls `body` with batches of the events passing every cut, in file order, holding the
    /// fields `fields` (all when nil). Returns the cut flow. The batches are the caller's: the
    /// scan does not reuse their buffers, so they may be kept. An error thrown by `body` stops
    /// the scan (within the clusters being read) and is rethrown.
    @discardableResult
    public func forEachSelected(_ query: String, fields: [String]? = nil, options: QueryOptions = QueryOptions(),
                                _ body: (EventBatch) throws -> Void) throws -> CutFlow {
        let plan = try QueryPlan.make(self, query, options)
        let out = try plan.projection(self, fields)
        let exposure = try plan.exposure(self, options)
        var failure: Error? = nil
        var flow: CutFlow
        do {
            flow = try plan.scan(self, options).forEachSelected(output: out) { (b) throws(EVCError) in
                do { try body(b) } catch {
                    failure = error
                    throw EVCError(.badArgument, "stopped by the caller")
                }
            }
        } catch {
            throw failure ?? error
        }
        plan.annotate(&flow, exposure: exposure)
        try annotateHistograms(&flow, options: options)
        return flow
    }

    /// The schema a query on this dataset with `options` sees: the dataset's fields, then the
    /// friends' (`prefix.field`) and the spill list's flag.
    public func extendedSchema(options: QueryOptions) throws -> Schema {
        try QueryPlan.make(self, "true", options).schema
    }

    /// The schema restricted to `names` (in schema order), or the whole schema.
    public func projection(_ names: [String]?) throws(EVCError) -> Schema {
        guard let names else { return schema }
        let wanted = Set(try files[0].fieldIndices(names))
        return try Schema(schema.fields.enumerated().filter { wanted.contains($0.offset) }.map(\.element))
    }
}

extension EVCDataset {
    /// Writes the dataset (or, with `query`, the events passing it) as an Arrow IPC file with the
    /// fields `fields` (all when nil). Units and descriptions go into field metadata; the query
    /// and its cut flow into schema metadata. Memory stays bounded: one batch at a time.
    @discardableResult
    public func exportArrow(to path: String, query: String? = nil, fields: [String]? = nil, compression: ArrowWriter.Compression = .zstd,
                            options: QueryOptions = QueryOptions(), progress: ((Int) -> Void)? = nil) throws -> CutFlow? {
        // Friends, spill lists and quick looks are read through a query: "true" when none was given.
        let needsScan = !options.friends.isEmpty || options.spills != nil || options.limit != nil || options.sample != nil
        let query = query ?? (needsScan ? "true" : nil)
        let out = try QueryPlan.make(self, query ?? "true", options).projection(self, fields)
        var metadata: [(String, String)] = [("producer", "darkscan export")]
        if let query { metadata.append(("darkscan.query", query)) }
        let runs = Array(Set(files.compactMap { $0.metadata("run") })).sorted()
        if !runs.isEmpty { metadata.append(("run", runs.joined(separator: ","))) }
        metadata.append(("inputs", files.map(\.path).joined(separator: "\n")))
        let writer = try ArrowWriter(path: path, schema: out, compression: compression, metadata: metadata)
        do {
            guard let query else {
                var done = 0
                try batches(fields: fields).forEach { b in
                    try writer.write(b.projected(to: out))
                    done += b.eventCount
                    progress?(done)
                }
                try writer.close()
                return nil
            }
            let flow = try forEachSelected(query, fields: fields, options: options) { try writer.write($0) }
            try writer.close(metadata: [("darkscan.cut_flow", flow.table())])
            return flow
        } catch {
            writer.abort()
            throw error
        }
    }
}
