extension EVCDataset {
    /// Puts what the dataset and the options say into the metadata of the scan's histograms
    /// (Formats/HIST.md, section 5): the files, their runs, events read, the EOT when every file
    /// records it, the aliases and the weight. Throws when sums of weights overflowed.
    func annotateHistograms(_ flow: inout CutFlow, options: QueryOptions) throws(HistogramError) {
        guard !flow.histograms.isEmpty else { return }
        for h in flow.histograms { try h.checkFinite() }
        var meta: [String: Histogram.Value] = [
            "darkscan.datasets": .string(files.map(\.path).joined(separator: "\n")),
            "darkscan.events": .int(Int64(flow.total)),
        ]
        let runs = Set(files.compactMap { $0.metadata("run") }).sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
        if !runs.isEmpty { meta["darkscan.runs"] = .string(runs.joined(separator: ",")) }
        // The EOT of the spills read (the exposure tables, Formats/EVC.md 8.2) when every event
        // has a row; else the files' `eot` metadata when every file has it; else none.
        if let e = flow.exposure, e.filesWithout.isEmpty, e.eventsWithout == 0, e.totals.eot <= UInt64(Int64.max) {
            meta["darkscan.eot"] = .int(Int64(e.totals.eot))
        } else if flow.exposure == nil || flow.exposure!.filesWithout.count == files.count {
            let eots = files.compactMap { $0.metadata("eot").flatMap { Int64($0) } }
            if eots.count == files.count { meta["darkscan.eot"] = .int(eots.reduce(0, &+)) }
        }
        if !options.defines.isEmpty { meta["darkscan.defines"] = .string(options.defines.joined(separator: "\n")) }
        if let w = options.weight { meta["darkscan.weight"] = .string(w) }
        for i in flow.histograms.indices { flow.histograms[i].metadata.merge(meta) { $1 } }
    }
}
