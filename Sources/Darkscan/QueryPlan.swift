/// What a query call assembles before scanning: the fields derived beside the dataset's (the
/// good-spill flag, friends), the query checked against the extended schema with the cuts they
/// add in front of it, and the exposure of the events the query reads.
struct QueryPlan {
    let derived: [DerivedColumns]
    let schema: Schema
    let query: CheckedQuery

    /// Opens the friends and builds the derived fields of `options` for `dataset`.
    static func derived(_ dataset: EVCDataset, _ options: QueryOptions) throws(EVCError) -> [DerivedColumns] {
        var out: [DerivedColumns] = []
        // Ids past every id of the dataset's schema.
        var nextID = (dataset.schema.fields.flatMap { f -> [UInt32] in
            if case .recordList(let m) = f.kind { return [f.id] + m.map(\.id) }
            return [f.id]
        }.max() ?? 0) + 1
        if let spills = options.spills {
            out.append(try DerivedColumns.spillFlag(spills, schema: dataset.schema, id: nextID))
            nextID += 1
        }
        var prefixes = Set<String>()
        for friend in options.friends {
            guard prefixes.insert(friend.prefix).inserted else {
                throw EVCError(.badArgument, "two friends take the prefix '\(friend.prefix)'; give one another as FILE:prefix")
            }
            let ds = try EVCDataset(paths: friend.paths)
            let d = try DerivedColumns.friend(ds, prefix: friend.prefix, missing: options.friendMissing, main: dataset.schema, firstID: nextID,
                                              verify: options.verifyChecksums, threads: options.threads)
            nextID += UInt32(d.fields.count)
            out.append(d)
        }
        return out
    }

    /// Checks `text` against the extended schema and puts the derived cuts first: "in spill
    /// list", then "friend P has the event" for each friend whose missing events are skipped.
    static func make(_ dataset: EVCDataset, _ text: String, _ options: QueryOptions) throws -> QueryPlan {
        let derived = try derived(dataset, options)
        let schema = try Scan.schema(of: dataset, derived: derived)
        var checker = Checker(schema: schema)
        for d in options.defines { try checker.define(d) }
        var query = try checker.check(query: text, weight: options.weight, histograms: options.histograms)
        var front: [Cut] = []
        func flag(_ name: String) -> Expr {
            let c = schema.columns.first { schema.fields[$0.fieldIndex].name == name }!
            return .scalar(column: c.index, type: .bool)
        }
        if options.spills != nil { front.append(Cut(name: "in spill list", expr: flag("in_spill_list"), range: SourceRange(0, 0))) }
        for d in derived {
            if let name = d.matchedFlag { front.append(Cut(name: "friend \(name.split(separator: "#")[0]) has the event", expr: flag(name), range: SourceRange(0, 0))) }
        }
        query.cuts = front + query.cuts
        // Histogram stages count the user's cuts; the derived cuts stand before them (stage 0,
        // every event read, stays first).
        for i in query.histograms.indices where query.histograms[i].stage > 0 { query.histograms[i].stage += front.count }
        return QueryPlan(derived: derived, schema: schema, query: query)
    }

    func scan(_ dataset: EVCDataset, _ options: QueryOptions) throws(EVCError) -> Scan {
        try Scan(dataset: dataset, query: query, options: options.scanOptions(), derived: derived)
    }

    /// The exposure of the events read (skipped when the caller does not want it).
    func exposure(_ dataset: EVCDataset, _ options: QueryOptions) throws(EVCError) -> ExposureReport? {
        guard options.wantsExposure else { return nil }
        return try ExposureReport.make(dataset: dataset, query: query, schema: schema, spills: options.spills, threads: options.threads)
    }

    /// Adds what the scan found beside the cut flow: the exposure and each friend's report.
    func annotate(_ flow: inout CutFlow, exposure: ExposureReport?) {
        flow.exposure = exposure
        flow.joins = derived.compactMap(\.joinReport)
    }

    /// Output fields: all of the dataset's (nil), or the names given, where `*` stands for every
    /// field of the dataset and `P.*` for every joined field of friend P.
    func projection(_ dataset: EVCDataset, _ names: [String]?) throws(EVCError) -> Schema {
        guard let names else { return dataset.schema }
        var wanted: [String] = []
        for n in names {
            if n == "*" {
                wanted += dataset.schema.fields.map(\.name)
            } else if n.hasSuffix(".*") {
                let p = String(n.dropLast(2)) + "."
                let matches = derived.flatMap(\.fields).map(\.name).filter { $0.hasPrefix(p) && !$0.contains("#") }
                guard !matches.isEmpty else { throw EVCError(.badArgument, "no friend fields match '\(n)'") }
                wanted += matches
            } else {
                guard schema.field(named: n) != nil else {
                    throw EVCError(.badArgument, "no field '\(n)' (fields: \(schema.fields.map(\.name).filter { !$0.contains("#") }.joined(separator: ", ")))")
                }
                wanted.append(n)
            }
        }
        let set = Set(wanted)
        return try Schema(schema.fields.filter { set.contains($0.name) })
    }
}
