
extension Merge {
    /// The metadata of a merged file: producer, the input paths, the provenance of every input
    /// (JSON: path, events, bytes and all its metadata), the runs, and for skims of one query
    /// (with the same aliases, weight, spill list and friends) the query and their cut flows
    /// added up — the cut flow one skim over all their inputs would have.
    public static func metadata(_ plan: Plan) -> [(String, String)] {
        let files = plan.files
        var out: [(String, String)] = [("producer", "darkscan merge"), ("inputs", files.map(\.path).joined(separator: "\n"))]
        let runs = Array(Set(files.compactMap { $0.metadata("run") }.flatMap { $0.split(separator: ",").map(String.init) })).sorted()
        if !runs.isEmpty { out.append(("run", runs.joined(separator: ","))) }
        let provenance: JSON = .array(files.map { f in
            .object([("bytes", .int(f.fileSize)), ("events", .int(f.eventCount)),
                     ("metadata", .array(f.metadata.map { .array([.string($0.key), .string($0.value)]) })), ("path", .string(f.path))])
        })
        out.append(("provenance", JSONWriter.compact(provenance)))
        if !plan.inputsWithoutExposure.isEmpty && plan.exposure != nil {
            out.append(("exposure_unknown_inputs", plan.inputsWithoutExposure.joined(separator: "\n")))
        }
        if plan.sharedSpills > 0 {
            out.append(("exposure_shared_spills", "\(plan.sharedSpills) spills have identical rows in several inputs: each counted once"))
        }
        out += cutFlows(files)
        return out
    }

    /// What makes two skims' cut flows addable: the same selection of events.
    static func selection(_ f: EVCFile) -> [String] {
        ["query", "weight", "spill_list", "friend"].map { k in f.metadata.filter { $0.key == k }.map(\.value).joined(separator: "\n") }
            + [f.metadata.filter { $0.key == "define" }.map(\.value).joined(separator: "\n")]
    }

    static func cutFlows(_ files: [EVCFile]) -> [(String, String)] {
        let flows = files.map { $0.metadata("cut_flow_json").flatMap(CutFlow.init(storedJSON:)) }
        guard flows.contains(where: { $0 != nil }) else { return [] }
        guard !flows.contains(where: { $0 == nil }) else {
            return [("cut_flow_note", "not added: some inputs are not skims (they have no cut_flow_json)")]
        }
        let key = selection(files[0])
        guard files.allSatisfy({ selection($0) == key }) else {
            return [("cut_flow_note", "not added: the inputs are skims of different queries, spill lists or friends (their own are in provenance)")]
        }
        var sum = flows[0]!
        for f in flows.dropFirst() {
            guard let s = sum.adding(f!) else { return [("cut_flow_note", "not added: the inputs' cut flows have different cuts")] }
            sum = s
        }
        var out: [(String, String)] = [("query", files[0].metadata("query") ?? "")]
        for d in files[0].metadata.filter({ $0.key == "define" }) { out.append(("define", d.value)) }
        for k in ["weight", "spill_list_file", "spill_list", "friend"] { if let v = files[0].metadata(k) { out.append((k, v)) } }
        out.append(("cut_flow", sum.table()))
        out.append(("cut_flow_json", sum.cutFlowJSON))
        out.append(("events_read", String(sum.total)))
        let without = files.compactMap { $0.metadata("events_without_exposure").flatMap(Int.init) }
        if without.count == files.count { out.append(("events_without_exposure", String(without.reduce(0, +)))) }
        return out
    }
}
