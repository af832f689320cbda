import Foundation

/// The cut flow as a skim stores it (metadata `cut_flow_json`) and as `darkscan merge` adds it
/// up: the events (and weights) of each line, nothing that depends on how the scan ran.
extension CutFlow {
    public var cutFlowJSON: String {
        var o: [String: Any] = ["total": total, "names": lines.map(\.name), "events": lines.map(\.events)]
        if weighted {
            o["total_sum_w"] = totalSumW
            o["total_sum_w2"] = totalSumW2
            o["sum_w"] = lines.map(\.sumW)
            o["sum_w2"] = lines.map(\.sumW2)
        }
        if let nMinusOne { o["n_minus_1"] = nMinusOne }
        // Safe: only numbers, strings and arrays of them.
        let data = try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads a stored cut flow back; nil when the text is not one.
    public init?(storedJSON text: String) {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let total = o["total"] as? Int, let names = o["names"] as? [String], let events = o["events"] as? [Int], names.count == events.count else {
            return nil
        }
        let sumW = o["sum_w"] as? [Double], sumW2 = o["sum_w2"] as? [Double]
        let weighted = sumW != nil && sumW2 != nil && sumW!.count == names.count && sumW2!.count == names.count
        let nm1 = o["n_minus_1"] as? [Int]
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
            totalSumW = o["total_sum_w"] as? Double ?? 0
            totalSumW2 = o["total_sum_w2"] as? Double ?? 0
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
