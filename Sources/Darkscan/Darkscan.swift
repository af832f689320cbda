// The embeddable Darkscan library: open EVC files and datasets (EventFormat), check queries
// (Query) and run them (Engine). `import Darkscan` brings all three.
@_exported import Engine
@_exported import EventFormat
@_exported import Export
@_exported import Histograms
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

    public init() {}

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
    /// Checks `query` (with `options.defines` and `options.weight`) against this dataset's schema.
    /// Throws `QueryError`, whose `rendered()` points at the exact place.
    public func check(_ query: String, options: QueryOptions = QueryOptions()) throws(QueryError) -> CheckedQuery {
        var checker = Checker(schema: schema)
        for d in options.defines { try checker.define(d) }
        return try checker.check(query: query, weight: options.weight, histograms: options.histograms)
    }

    /// The cut flow of `query` over every event.
    public func count(_ query: String, options: QueryOptions = QueryOptions(), progress: ((Int) -> Void)? = nil) throws -> CutFlow {
        let q = try check(query, options: options)
        var flow = try Scan(dataset: self, query: q, options: options.scanOptions()).count(progress: progress)
        try annotateHistograms(&flow, options: options)
        return flow
    }

    /// Writes the events passing every cut of `query` to `path` (all fields, or `select`), with
    /// the query, its cut flow and the input files in the output's metadata.
    /// `metadata` is added to the output's (a distributed job names its job and partition).
    @discardableResult
    public func skim(_ query: String, to path: String, select: [String]? = nil, options: QueryOptions = QueryOptions(),
                     writerOptions: WriterOptions = WriterOptions(), metadata extra: [(String, String)] = [],
                     progress: ((Int) -> Void)? = nil) throws -> CutFlow {
        let q = try check(query, options: options)
        let out = try projection(select)
        var metadata: [(String, String)] = [("producer", "darkscan skim"), ("query", query)] + extra
        for d in options.defines { metadata.append(("define", d)) }
        if let w = options.weight { metadata.append(("weight", w)) }
        let runs = Array(Set(files.compactMap { $0.metadata("run") })).sorted()
        if !runs.isEmpty { metadata.append(("run", runs.joined(separator: ","))) }
        metadata.append(("inputs", files.map(\.path).joined(separator: "\n")))
        let writer = try EVCWriter(path: path, schema: out, options: writerOptions, metadata: metadata)
        do {
            var flow = try Scan(dataset: self, query: q, options: options.scanOptions()).skim(to: writer, progress: progress)
            try annotateHistograms(&flow, options: options)
            writer.setMetadata("cut_flow", flow.table())
            if !flow.histograms.isEmpty { writer.setMetadata("histograms", UHI.encode(flow.histograms)) }
            writer.setMetadata("events_read", String(flow.total))
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
        let q = try check(query, options: options)
        let out = try projection(fields)
        var failure: Error? = nil
        var flow: CutFlow
        do {
            flow = try Scan(dataset: self, query: q, options: options.scanOptions()).forEachSelected(output: out) { (b) throws(EVCError) in
                do { try body(b) } catch {
                    failure = error
                    throw EVCError(.badArgument, "stopped by the caller")
                }
            }
        } catch {
            throw failure ?? error
        }
        try annotateHistograms(&flow, options: options)
        return flow
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
        let out = try projection(fields)
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
