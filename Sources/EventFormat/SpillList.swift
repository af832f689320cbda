/// A bad line of a good-spill list: `file:line: what is wrong`.
public struct SpillListError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public var description: String { file + (line.map { ":\($0)" } ?? "") + ": " + message }
}

/// A good-spill list (Formats/SPILLS.md): runs (as disjoint increasing ranges of runs with the
/// same good spills) and their spills, as ranges.
public struct SpillList: Sendable, Equatable {
    /// Where it was read from, for messages and metadata.
    public var name: String
    /// Disjoint, increasing run ranges; each with increasing disjoint non-adjacent spill ranges.
    public private(set) var segments: [(runs: ClosedRange<UInt32>, spills: [ClosedRange<UInt32>])]

    public static func == (a: SpillList, b: SpillList) -> Bool {
        a.name == b.name && a.segments.map(\.runs) == b.segments.map(\.runs) && a.segments.map(\.spills) == b.segments.map(\.spills)
    }

    /// Parses the text of a list; `name` (the file) goes into errors.
    public init(text: String, name: String) throws(SpillListError) {
        self.name = name
        var lines: [(lo: UInt32, hi: UInt32, spills: [ClosedRange<UInt32>])] = []
        // Lines end at \n, \r\n or \r (Swift reads \r\n as one Character, which is neither).
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
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
            lines.append((runs.lowerBound, runs.upperBound, spills))
        }
        guard !lines.isEmpty else { throw SpillListError(file: name, line: nil, message: "the list names no spill (only comments or blank lines)") }
        segments = Self.segments(lines)
    }

    /// Cuts the lines' run ranges where any starts or ends; each piece gets the union of the
    /// spills of the lines covering it; neighbours with the same spills join.
    static func segments(_ lines: [(lo: UInt32, hi: UInt32, spills: [ClosedRange<UInt32>])]) -> [(runs: ClosedRange<UInt32>, spills: [ClosedRange<UInt32>])] {
        var cuts = Set<UInt64>()
        for l in lines {
            cuts.insert(UInt64(l.lo))
            cuts.insert(UInt64(l.hi) + 1)
        }
        let bounds = cuts.sorted()
        let byStart = lines.indices.sorted { lines[$0].lo < lines[$1].lo }
        var active: [Int] = []
        var next = 0
        var out: [(runs: ClosedRange<UInt32>, spills: [ClosedRange<UInt32>])] = []
        for (k, b) in bounds.dropLast().enumerated() {
            while next < byStart.count && UInt64(lines[byStart[next]].lo) <= b {
                active.append(byStart[next])
                next += 1
            }
            active.removeAll { UInt64(lines[$0].hi) < b }
            guard !active.isEmpty else { continue }
            let runs = UInt32(b)...UInt32(bounds[k + 1] - 1)
            let spills = normalize(active.flatMap { lines[$0].spills })
            if let last = out.last, UInt64(last.runs.upperBound) + 1 == b, last.spills == spills {
                out[out.count - 1].runs = last.runs.lowerBound...runs.upperBound
            } else {
                out.append((runs, spills))
            }
        }
        return out
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
        var lo = 0, hi = segments.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if segments[mid].runs.upperBound < run { lo = mid + 1 } else { hi = mid }
        }
        guard lo < segments.count, segments[lo].runs.contains(run) else { return false }
        let ranges = segments[lo].spills
        var a = 0, b = ranges.count
        while a < b {
            let mid = (a + b) / 2
            if ranges[mid].upperBound < spill { a = mid + 1 } else { b = mid }
        }
        return a < ranges.count && ranges[a].contains(spill)
    }

    public func contains(_ key: SpillKey) -> Bool { contains(run: key.run, spill: key.spill) }

    /// The list in canonical form (Formats/SPILLS.md): one line per run range, increasing.
    public var canonical: String {
        segments.map { seg in
            let runs = seg.runs.lowerBound == seg.runs.upperBound ? "\(seg.runs.lowerBound)" : "\(seg.runs.lowerBound)-\(seg.runs.upperBound)"
            let spills = seg.spills.map { r -> String in
                if r == 0...UInt32.max { return "*" }
                return r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound)-\(r.upperBound)"
            }
            return runs + " " + spills.joined(separator: " ")
        }.joined(separator: "\n")
    }
}
