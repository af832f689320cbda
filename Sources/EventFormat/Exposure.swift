/// A spill's identity: its run and its spill number in the run.
public struct SpillKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var run: UInt32
    public var spill: UInt32

    public init(run: UInt32, spill: UInt32) {
        self.run = run
        self.spill = spill
    }

    public static func < (a: SpillKey, b: SpillKey) -> Bool { (a.run, a.spill) < (b.run, b.spill) }
    public var description: String { "run \(run) spill \(spill)" }
}

/// One row of an exposure table (Formats/EVC.md, section 8.1): what the beam delivered in one
/// spill, from its end-of-burst scalers.
public struct SpillExposure: Sendable, Equatable {
    public var run: UInt32
    public var spill: UInt32
    /// 0 when good; see `Quality`.
    public var quality: UInt32
    /// Electrons (beam particles) on target.
    public var eot: UInt64
    public var triggersAccepted: UInt64
    public var triggersOffered: UInt64
    public var lengthMicroseconds: UInt64

    /// Bits of `quality`.
    public enum Quality {
        /// A scaler was missing from the end-of-burst event.
        public static let scalersIncomplete: UInt32 = 1
        /// The scalers disagree (triggers accepted > offered, or triggers without beam).
        public static let scalersInconsistent: UInt32 = 2
        /// Marked bad by hand.
        public static let markedBad: UInt32 = 4
    }

    public init(run: UInt32, spill: UInt32, eot: UInt64, triggersAccepted: UInt64, triggersOffered: UInt64,
                lengthMicroseconds: UInt64, quality: UInt32 = 0) {
        self.run = run
        self.spill = spill
        self.eot = eot
        self.triggersAccepted = triggersAccepted
        self.triggersOffered = triggersOffered
        self.lengthMicroseconds = lengthMicroseconds
        self.quality = quality
    }

    /// A row from end-of-burst scaler values (nil where the event lacked that scaler), with the
    /// quality bits that the scalers themselves justify.
    public static func fromScalers(run: UInt32, spill: UInt32, eot: UInt64?, triggersAccepted: UInt64?, triggersOffered: UInt64?,
                                   lengthMicroseconds: UInt64?) -> SpillExposure {
        var q: UInt32 = 0
        if eot == nil || triggersAccepted == nil || triggersOffered == nil || lengthMicroseconds == nil { q |= Quality.scalersIncomplete }
        let (e, a, o) = (eot ?? 0, triggersAccepted ?? 0, triggersOffered ?? 0)
        if (triggersOffered != nil && a > o) || (e == 0 && a > 0) { q |= Quality.scalersInconsistent }
        return SpillExposure(run: run, spill: spill, eot: e, triggersAccepted: a, triggersOffered: o, lengthMicroseconds: lengthMicroseconds ?? 0, quality: q)
    }

    public var key: SpillKey { SpillKey(run: run, spill: spill) }
}

/// Sums over the rows of an exposure table.
public struct ExposureTotals: Sendable, Equatable {
    public var spills = 0
    public var eot: UInt64 = 0
    public var triggersAccepted: UInt64 = 0
    public var triggersOffered: UInt64 = 0
    public var lengthMicroseconds: UInt64 = 0
    /// Spills whose quality is not 0.
    public var flaggedSpills = 0
    public var runs = 0

    public init() {}
}

/// Two rows for one (run, spill) that differ: the exposure of a dataset or a merge would be
/// ambiguous.
public struct ExposureConflict: Error, Sendable, CustomStringConvertible {
    public var first: SpillExposure
    public var second: SpillExposure
    /// Where each row came from, when known (file paths).
    public var firstSource: String?
    public var secondSource: String?

    public var description: String {
        func show(_ r: SpillExposure) -> String {
            "EOT \(r.eot), triggers \(r.triggersAccepted)/\(r.triggersOffered), \(r.lengthMicroseconds) us, quality \(r.quality)"
        }
        let a = firstSource.map { " in \($0)" } ?? "", b = secondSource.map { " in \($0)" } ?? ""
        return "\(first.key) has two different exposure rows: \(show(first))\(a); \(show(second))\(b)"
    }
}

/// An exposure table: rows in strictly increasing (run, spill) order. Tables of several files,
/// partitions or skims combine with `merge`, which accepts a (run, spill) seen twice only with
/// identical rows — the same spill counted twice, not two different spills.
public struct Exposure: Sendable, Equatable {
    public private(set) var rows: [SpillExposure]

    public init() { rows = [] }

    /// A table of `rows` in any order; a (run, spill) listed twice must have identical rows.
    public init(rows: [SpillExposure]) throws(ExposureConflict) {
        var sorted = rows
        sorted.sort { $0.key < $1.key }
        var out: [SpillExposure] = []
        out.reserveCapacity(sorted.count)
        for r in sorted {
            if let last = out.last, last.key == r.key {
                guard last == r else { throw ExposureConflict(first: last, second: r) }
                continue
            }
            out.append(r)
        }
        self.rows = out
    }

    /// Rows known to be sorted and unique (checked by the caller).
    init(sortedRows: [SpillExposure]) { rows = sortedRows }

    public var isEmpty: Bool { rows.isEmpty }
    public var count: Int { rows.count }

    /// Adds one row; an identical row for the same spill is accepted once.
    public mutating func add(_ row: SpillExposure) throws(ExposureConflict) {
        if let last = rows.last, last.key < row.key {
            rows.append(row)
            return
        }
        let i = insertionIndex(row.key)
        if i < rows.count && rows[i].key == row.key {
            guard rows[i] == row else { throw ExposureConflict(first: rows[i], second: row) }
            return
        }
        rows.insert(row, at: i)
    }

    /// Puts `row` in place of the spill's row (or adds it).
    public mutating func replace(_ row: SpillExposure) {
        let i = insertionIndex(row.key)
        if i < rows.count && rows[i].key == row.key { rows[i] = row } else { rows.insert(row, at: i) }
    }

    /// The union with `other`: rows of a (run, spill) in both must be identical.
    public mutating func merge(_ other: Exposure) throws(ExposureConflict) {
        var out: [SpillExposure] = []
        out.reserveCapacity(rows.count + other.rows.count)
        var i = 0, j = 0
        while i < rows.count || j < other.rows.count {
            if j == other.rows.count || (i < rows.count && rows[i].key < other.rows[j].key) {
                out.append(rows[i])
                i += 1
            } else if i == rows.count || other.rows[j].key < rows[i].key {
                out.append(other.rows[j])
                j += 1
            } else {
                guard rows[i] == other.rows[j] else { throw ExposureConflict(first: rows[i], second: other.rows[j]) }
                out.append(rows[i])
                i += 1
                j += 1
            }
        }
        rows = out
    }

    /// The union of `tables` (with the source of each, for messages).
    public static func merged(_ tables: [(source: String, table: Exposure)]) throws(ExposureConflict) -> Exposure {
        var all = Exposure()
        for (k, (source, t)) in tables.enumerated() {
            do throws(ExposureConflict) {
                try all.merge(t)
            } catch {
                var e = error
                e.firstSource = tables[..<k].first { $0.table.contains(e.first.key) }?.source
                e.secondSource = source
                throw e
            }
        }
        return all
    }

    /// The row of a spill, if any.
    public func row(_ key: SpillKey) -> SpillExposure? {
        let i = insertionIndex(key)
        return i < rows.count && rows[i].key == key ? rows[i] : nil
    }

    public func contains(_ key: SpillKey) -> Bool { row(key) != nil }

    /// True when every spill `run`/`lo...hi` has a row.
    public func covers(run: UInt32, spills lo: UInt32, _ hi: UInt32) -> Bool {
        guard lo <= hi else { return true }
        let i = insertionIndex(SpillKey(run: run, spill: lo))
        let n = Int(hi - lo) + 1
        guard i + n <= rows.count else { return false }
        // Sorted and unique: the n rows from i are exactly lo...hi when the last one is hi.
        return rows[i].key == SpillKey(run: run, spill: lo) && rows[i + n - 1].key == SpillKey(run: run, spill: hi)
    }

    public func filter(_ keep: (SpillExposure) -> Bool) -> Exposure { Exposure(sortedRows: rows.filter(keep)) }

    public var totals: ExposureTotals {
        var t = ExposureTotals()
        var lastRun: UInt32? = nil
        for r in rows {
            t.spills += 1
            t.eot &+= r.eot
            t.triggersAccepted &+= r.triggersAccepted
            t.triggersOffered &+= r.triggersOffered
            t.lengthMicroseconds &+= r.lengthMicroseconds
            if r.quality != 0 { t.flaggedSpills += 1 }
            if r.run != lastRun { t.runs += 1; lastRun = r.run }
        }
        return t
    }

    private func insertionIndex(_ key: SpillKey) -> Int {
        var lo = 0, hi = rows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if rows[mid].key < key { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
