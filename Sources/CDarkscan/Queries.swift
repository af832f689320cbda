// The exported query functions: check, count (the cut flow as a struct and as JSON), skim, scan.
import CDarkscanABI
import Darkscan

#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// The query text, or nil for "every event" (NULL or only blanks).
func queryText(_ p: UnsafePointer<CChar>?) throws(CFailure) -> String? {
    guard let p else { return nil }
    let q = try requiredString(p, "query")
    return q.allSatisfy(\.isWhitespace) ? nil : q
}

@c public func darkscan_check(_ dataset: OpaquePointer?, _ query: UnsafePointer<CChar>?, _ columns: UnsafePointer<UnsafePointer<CChar>?>?, _ nColumns: Int,
                              _ options: UnsafePointer<darkscan_query_options>?, _ error: UnsafeMutablePointer<darkscan_error>?) -> Int32 {
    exported(error) {
        let h = try Handles.dataset(dataset)
        let (o, _) = try h.queryOptions(options)
        let names = try stringArray(columns, nColumns, "columns")
        _ = try ArrowLayout.order(try h.dataset.projection(names), names)
        if let q = try queryText(query) { _ = try h.dataset.check(q, options: o) }
    }
}

@c public func darkscan_count(_ dataset: OpaquePointer?, _ query: UnsafePointer<CChar>?, _ options: UnsafePointer<darkscan_query_options>?,
                              _ out: UnsafeMutablePointer<UnsafeMutablePointer<darkscan_cut_flow>?>?, _ error: UnsafeMutablePointer<darkscan_error>?) -> Int32 {
    exported(error) {
        let h = try Handles.dataset(dataset)
        guard let out else { throw CFailure.argument("out is NULL") }
        let (o, _) = try h.queryOptions(options)
        let q = try queryText(query) ?? ""
        let start = DispatchTime.now().uptimeNanoseconds
        let flow = try h.dataset.count(q, options: o)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        out.pointee = CutFlowBox.make(flow, query: q, dataset: h.dataset, seconds: seconds, extra: [:])
    }
}

@c public func darkscan_skim(_ dataset: OpaquePointer?, _ query: UnsafePointer<CChar>?, _ path: UnsafePointer<CChar>?,
                             _ columns: UnsafePointer<UnsafePointer<CChar>?>?, _ nColumns: Int, _ options: UnsafePointer<darkscan_query_options>?,
                             _ out: UnsafeMutablePointer<UnsafeMutablePointer<darkscan_cut_flow>?>?, _ error: UnsafeMutablePointer<darkscan_error>?) -> Int32 {
    exported(error) {
        let h = try Handles.dataset(dataset)
        let (o, extras) = try h.queryOptions(options)
        let q = try queryText(query) ?? ""
        let target = try requiredString(path, "path")
        guard !target.isEmpty else { throw CFailure.argument("path is empty") }
        let start = DispatchTime.now().uptimeNanoseconds
        let flow = try h.dataset.skim(q, to: target, select: try stringArray(columns, nColumns, "columns"), options: o, writerOptions: extras.writer)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let out {
            out.pointee = CutFlowBox.make(flow, query: q, dataset: h.dataset, seconds: seconds, extra: ["output": target, "events_written": flow.selected])
        }
    }
}

@c public func darkscan_cut_flow_free(_ flow: UnsafeMutablePointer<UnsafeMutablePointer<darkscan_cut_flow>?>?) {
    guard let flow, let f = flow.pointee else { return }
    if let p = f.pointee.private_data { Unmanaged<CutFlowBox>.fromOpaque(p).release() }
    flow.pointee = nil
}

@c public func darkscan_scan(_ dataset: OpaquePointer?, _ query: UnsafePointer<CChar>?, _ columns: UnsafePointer<UnsafePointer<CChar>?>?, _ nColumns: Int,
                             _ options: UnsafePointer<darkscan_query_options>?, _ out: UnsafeMutablePointer<ArrowArrayStream>?,
                             _ error: UnsafeMutablePointer<darkscan_error>?) -> Int32 {
    exported(error) {
        let h = try Handles.dataset(dataset)
        guard let out else { throw CFailure.argument("out is NULL") }
        let (o, extras) = try h.queryOptions(options)
        let stream = try ScanStream(dataset: h.dataset, query: try queryText(query), fields: try stringArray(columns, nColumns, "columns"),
                                    options: o, batchEvents: extras.batchEvents)
        stream.export(into: out)
    }
}

@c public func darkscan_live_batches() -> Int64 { Int64(LiveBatches.count) }

@c public func darkscan_owns_address(_ address: UnsafeRawPointer?) -> Int32 {
    guard let address else { return 0 }
    return LiveBatches.owns(UInt(bitPattern: address)) ? 1 : 0
}

/// A darkscan_cut_flow and everything it points to, freed together.
final class CutFlowBox {
    let flow: UnsafeMutablePointer<darkscan_cut_flow>
    let cuts: UnsafeMutablePointer<darkscan_cut>
    let strings: [UnsafeMutablePointer<CChar>]

    init(flow: UnsafeMutablePointer<darkscan_cut_flow>, cuts: UnsafeMutablePointer<darkscan_cut>, strings: [UnsafeMutablePointer<CChar>]) {
        self.flow = flow
        self.cuts = cuts
        self.strings = strings
    }

    deinit {
        for s in strings { free(s) }
        free(cuts)
        free(flow)
    }

    /// The struct of `flow`, with its table and the JSON `darkscan count --json` prints.
    static func make(_ flow: CutFlow, query: String, dataset: EVCDataset, seconds: Double, extra: [String: Any]) -> UnsafeMutablePointer<darkscan_cut_flow> {
        var o = flow.json
        o["query"] = query
        o["files"] = dataset.files.map(\.path)
        o["seconds"] = seconds
        o["events_per_second"] = Double(flow.total) / max(seconds, 1e-9)
        for (k, v) in extra { o[k] = v }
        if !flow.histograms.isEmpty { o["histograms"] = JSON.object(flow.histograms.map { ($0.name, UHI.encode($0)) }) }
        let json = mallocString(jsonText(o)), table = mallocString(flow.table())
        var strings = [json, table]
        let cuts = darkscan_malloc(max(1, flow.lines.count) * MemoryLayout<darkscan_cut>.stride)!.assumingMemoryBound(to: darkscan_cut.self)
        for (i, l) in flow.lines.enumerated() {
            let name = mallocString(l.name)
            strings.append(name)
            cuts[i] = darkscan_cut(name: UnsafePointer(name), events: Int64(l.events), efficiency: flow.efficiency(i), cumulative: flow.cumulative(i),
                                   sum_w: l.sumW, sum_w2: l.sumW2, n_minus_1: flow.nMinusOne.map { Int64($0[i]) } ?? -1)
        }
        let c = darkscan_malloc(MemoryLayout<darkscan_cut_flow>.size)!.assumingMemoryBound(to: darkscan_cut_flow.self)
        let box = CutFlowBox(flow: c, cuts: cuts, strings: strings)
        c.pointee = darkscan_cut_flow(total: Int64(flow.total), selected: Int64(flow.selected), total_sum_w: flow.totalSumW, total_sum_w2: flow.totalSumW2,
                                      weighted: flow.weighted ? 1 : 0, has_n_minus_1: flow.nMinusOne == nil ? 0 : 1, n_cuts: flow.lines.count,
                                      cuts: UnsafePointer(cuts), clusters_read: Int64(flow.clustersRead), clusters_skipped: Int64(flow.clustersSkipped),
                                      batches_decided_by_pages: Int64(flow.batchesDecidedByPages), seconds: seconds, table: UnsafePointer(table),
                                      json: UnsafePointer(json), private_data: Unmanaged.passRetained(box).toOpaque())
        return c
    }
}
