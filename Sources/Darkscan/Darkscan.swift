// The embeddable Darkscan library: open EVC files and datasets (EventFormat), check queries
// (Query) and run them (Engine). `import Darkscan` brings all three.
@_exported import Engine
@_exported import EventFormat
@_exported import Export
@_exported import Query

#if canImport(Glibc)
import Glibc
#endif

/// What a query call needs besides the cuts.
public struct QueryOptions: Sendable {
    /// `name = expr` aliases, checked in order (later ones may use earlier ones).
    public var defines: [String] = []
    /// A per-event weight: the cut flow then carries Σw and Σw².
    public var weight: String? = nil
    public var nMinusOne = false
    public var threads = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    public var verifyChecksums = true
    /// A quick look: only the first `limit` events, or a `sample` of the clusters (whole ones,
    /// chosen by a seeded hash; see `Sampling`). The cut flow then counts what was read.
    public var limit: Int? = nil
    public var sample: Sampling? = nil

    public init() {}

    func scanOptions() -> ScanOptions {
        var o = ScanOptions(threads: threads)
        o.nMinusOne = nMinusOne
        o.verifyChecksums = verifyChecksums
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
        return try checker.check(query: query, weight: options.weight)
    }

    /// The cut flow of `query` over every event.
    public func count(_ query: String, options: QueryOptions = QueryOptions(), progress: ((Int) -> Void)? = nil) throws -> CutFlow {
        let q = try check(query, options: options)
        return try Scan(dataset: self, query: q, options: options.scanOptions()).count(progress: progress)
    }

    /// Writes the events passing every cut of `query` to `path` (all fields, or `select`), with
    /// the query, its cut flow and the input files in the output's metadata.
    @discardableResult
    public func skim(_ query: String, to path: String, select: [String]? = nil, options: QueryOptions = QueryOptions(),
                     writerOptions: WriterOptions = WriterOptions(), progress: ((Int) -> Void)? = nil) throws -> CutFlow {
        let q = try check(query, options: options)
        let out = try projection(select)
        var metadata: [(String, String)] = [("producer", "darkscan skim"), ("query", query)]
        for d in options.defines { metadata.append(("define", d)) }
        if let w = options.weight { metadata.append(("weight", w)) }
        let runs = Array(Set(files.compactMap { $0.metadata("run") })).sorted()
        if !runs.isEmpty { metadata.append(("run", runs.joined(separator: ","))) }
        metadata.append(("inputs", files.map(\.path).joined(separator: "\n")))
        let writer = try EVCWriter(path: path, schema: out, options: writerOptions, metadata: metadata)
        do {
            let flow = try Scan(dataset: self, query: q, options: options.scanOptions()).skim(to: writer, progress: progress)
            writer.setMetadata("cut_flow", flow.table())
            writer.setMetadata("events_read", String(flow.total))
            try writer.close()
            return flow
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Calls `body` with batches of the events passing every cut, in file order, holding the
    /// fields `fields` (all when nil). Returns the cut flow.
    @discardableResult
    public func forEachSelected(_ query: String, fields: [String]? = nil, options: QueryOptions = QueryOptions(),
                                _ body: (EventBatch) throws -> Void) throws -> CutFlow {
        let q = try check(query, options: options)
        let out = try projection(fields)
        var failure: Error? = nil
        let flow = try Scan(dataset: self, query: q, options: options.scanOptions()).forEachSelected(output: out) { (b) throws(EVCError) in
            guard failure == nil else { return }
            do { try body(b) } catch { failure = error }
        }
        if let failure { throw failure }
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
