import EventFormat
import Histograms

/// The cut flow as a skim stores it (metadata `cut_flow_json`) and as `darkscan merge` adds it
/// up: the events (and weights) of each line, nothing that depends on how the scan ran. Keys in
/// sorted order, one line; a sum of weights that is not finite is stored as null.
extension CutFlow {
    public var cutFlowJSON: String {
        func doubles(_ xs: [Double]) -> JSON { .array(xs.map(double)) }
        func double(_ x: Double) -> JSON { x.isFinite ? .double(x) : .null }
        func ints(_ xs: [Int]) -> JSON { .array(xs.map { .int($0) }) }
        var o: [(String, JSON)] = [("events", ints(lines.map(\.events)))]
        if let nMinusOne { o.append(("n_minus_1", ints(nMinusOne))) }
        o.append(("names", .array(lines.map { .string($0.name) })))
        if weighted {
            o += [("sum_w", doubles(lines.map(\.sumW))), ("sum_w2", doubles(lines.map(\.sumW2)))]
        }
        o.append(("total", .int(total)))
        if weighted { o += [("total_sum_w", double(totalSumW)), ("total_sum_w2", double(totalSumW2))] }
        return JSONWriter.compact(.object(o))
    }

    /// Reads a stored cut flow back; nil when the text is not one.
    public init?(storedJSON text: String) {
        guard let o = try? JSON.parse(text), let total = o["total"]?.int,
              let names = o["names"]?.array?.compactMap(\.string), let events = o["events"]?.array?.compactMap(\.int),
              names.count == events.count, names.count == o["names"]?.array?.count else {
            return nil
        }
        func doubles(_ key: String) -> [Double]? {
            o[key]?.array?.map { $0.double ?? .nan }
        }
        let sumW = doubles("sum_w"), sumW2 = doubles("sum_w2")
        let weighted = sumW != nil && sumW2 != nil && sumW!.count == names.count && sumW2!.count == names.count
        let nm1 = o["n_minus_1"]?.array?.compactMap(\.int)
        self.init(names: names, weighted: weighted, nMinusOne: nm1 != nil && nm1!.count == names.count)
        self.total = total
        for i in lines.indices {
            lines[i].events = events[i]
            if weighted {
                lines[i].sumW = sumW![i]
                lines[i].sumW2 = sumW2![i]
            }
        }
        if weighted {
            totalSumW = number(o["total_sum_w"]) ?? 0
            totalSumW2 = number(o["total_sum_w2"]) ?? 0
        }
        if let nm1, nm1.count == names.count { nMinusOne = nm1 }
    }

    /// The cut flow of two scans of disjoint events with the same cuts (nil when the cuts differ).
    public func adding(_ o: CutFlow) -> CutFlow? {
        guard lines.map(\.name) == o.lines.map(\.name), weighted == o.weighted, (nMinusOne == nil) == (o.nMinusOne == nil) else { return nil }
        var sum = self
        sum.add(o)
        return sum
    }
}

/// A stored sum: a number, or null for one that was not finite.
private func number(_ v: JSON?) -> Double? {
    v?.isNull == true ? .nan : v?.double
}
