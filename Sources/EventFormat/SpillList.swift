/// A bad line of a good-spill list: `file:line: what is wrong`.
public struct SpillListError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public var description: String { file + (line.map { ":\($0)" } ?? "") + ": " + message }
}

/// A good-spill list (Formats/SPILLS.md): per run, the spills fit for analysis, as ranges.
public struct SpillList: Sendable, Equatable {
    /// Where it was read from, for messages and metadata.
    public var name: String
    /// Per run, increasing disjoint non-adjacent inclusive spill ranges.
    public private(set) var runs: [UInt32: [ClosedRange<UInt32>]]

    /// Parses the text of a list; `name` (the file) goes into errors.
    public init(text: String, name: String) throws(SpillListError) {
        self.name = name
        var byRun: [UInt32: [ClosedRange<UInt32>]] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = i + 1
            func fail(_ m: String) -> SpillListError { SpillListError(file: name, line: line, message: m) }
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" }
            guard let first = fields.first else { continue }
            guard let runs = Self.range(first) else {
                throw fail("expected a run number or range (R or R1-R2), found '\(first)'")
            }
            guard runs.lowerBound <= runs.upperBound else { throw fail("run range \(first) runs backwards") }
            guard fields.count > 1 else { throw fail("run \(first) lists no spills (give spill numbers, ranges S1-S2, or *)") }
            var spills: [ClosedRange<UInt32>] = []
            for f in fields.dropFirst() {
                if f == "*" {
                    spills.append(0...UInt32.max)
                    continue
                }
                guard let r = Self.range(f) else { throw fail("expected a spill number, a range S1-S2 or *, found '\(f)'") }
                guard r.lowerBound <= r.upperBound else { throw fail("spill range \(f) runs backwards") }
                spills.append(r.lowerBound...r.upperBound)
            }
            guard UInt64(runs.upperBound) - UInt64(runs.lowerBound) < 1_000_000 else {
                throw fail("run range \(first) spans more than a million runs")
            }
            for run in runs.lowerBound...runs.upperBound { byRun[run, default: []] += spills }
        }
        guard !byRun.isEmpty else { throw SpillListError(file: name, line: nil, message: "the list names no spill (only comments or blank lines)") }
        self.runs = byRun.mapValues(Self.normalize)
    }

    /// A run number or range `A-B`, as written (not yet checked for order); nil if malformed.
    static func range(_ s: Substring) -> (lowerBound: UInt32, upperBound: UInt32)? {
        let parts = s.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        func number(_ p: Substring) -> UInt32? {
            guard !p.isEmpty, p.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return UInt32(p)
        }
        guard let a = number(parts[0]) else { return nil }
        guard parts.count == 2 else { return (a, a) }
        guard let b = number(parts[1]) else { return nil }
        return (a, b)
    }

    /// Sorted, with overlapping and adjacent ranges merged.
    static func normalize(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, UInt64(r.lowerBound) <= UInt64(last.upperBound) + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    public func contains(run: UInt32, spill: UInt32) -> Bool {
        guard let ranges = runs[run] else { return false }
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < spill { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].contains(spill)
    }

    public func contains(_ key: SpillKey) -> Bool { contains(run: key.run, spill: key.spill) }

    /// The list in canonical form (Formats/SPILLS.md): one line per run, increasing.
    public var canonical: String {
        runs.keys.sorted().map { run in
            let spills = runs[run]!.map { r -> String in
                if r == 0...UInt32.max { return "*" }
                return r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound)-\(r.upperBound)"
            }
            return "\(run) " + spills.joined(separator: " ")
        }.joined(separator: "\n")
    }
}
