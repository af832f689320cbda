import EventFormat

/// One thread's side of a friend join: the current batch's friend rows, the joined values, and
/// cursors over the friend cluster being read.
final class FriendWorker: DerivedWorker {
    let j: FriendJoin
    /// What every batch reads and sets, behind a pointer: a class's stored `var`s are checked
    /// for exclusive access at run time on every use, and these are used for every batch.
    /// Safe: one worker is used by one thread at a time.
    struct Hot {
        /// Dataset event number of the unit's first event, its events, and a serial per unit
        /// (batches of two units may have the same range).
        var unitFirst = 0, unitEvents = 0, unitSerial = 0
        var mappedSerial = -1, mappedEvents = 0..<0
        /// The batch's friend rows start here when joined by position.
        var firstRow: Int? = nil
        /// The unit's events before this are proven to have the friend's keys at the same place
        /// (from their page records), so batches ending by then need no check; windows are not
        /// tried again before `windowTriedUntil`.
        var provenUntil = 0, windowTriedUntil = 0
        /// The friend cluster being read (index into `j.units`, -1: none): its first row and
        /// events.
        var unit = -1, unitRow = 0, unitCount = 0
    }
    let hot: UnsafeMutablePointer<Hot>
    /// Cursors over the current friend cluster, by friend column. Safe: as `hot`.
    let cursorTable: UnsafeMutablePointer<ColumnCursor?>
    /// Rows one per event (-1: none) when not positional, `ascending` when they never go back.
    var rows: [Int] = []
    var ascending = true
    var runs: [UInt64] = [], events: [UInt64] = [], valid1: [Bool] = [], valid2: [Bool] = []
    var friendRuns: [UInt64] = [], friendEvents: [UInt64] = []
    /// Joined values of each field for the batch, and whether they are filled.
    var out: [ColumnBuffer]
    var filled: [Bool]
    /// The page index of the friend cluster being read, and decode buffers by friend column.
    var currentInfo: ClusterInfo? = nil
    var buffers: [ColumnCursor.Buffers?]
    let keyBuffer = ColumnBuffer(type: .uint64)
    /// What each key page was found to be (a stretch, or nil: decode it), by cursor and page.
    var known: [ObjectIdentifier: [Int: KeyStretch?]] = [:]
    /// Events proven at a time: about a page of event numbers.
    static let proofWindow = 1 << 16

    init(_ j: FriendJoin) {
        self.j = j
        out = zip(j.fieldColumns, j.fieldPer).map { ColumnBuffer(type: $0.0?.type ?? .bool, capacity: 2048 * $0.1) }
        filled = Array(repeating: false, count: j.fieldColumns.count)
        buffers = Array(repeating: nil, count: j.friend.schema.columns.count)
        hot = .allocate(capacity: 1)
        hot.initialize(to: Hot())
        cursorTable = .allocate(capacity: j.friend.schema.columns.count)
        cursorTable.initialize(repeating: nil, count: j.friend.schema.columns.count)
    }

    deinit {
        hot.deinitialize(count: 1)
        hot.deallocate()
        cursorTable.deinitialize(count: j.friend.schema.columns.count)
        cursorTable.deallocate()
    }

    func begin(file: Int, cluster: ClusterInfo, firstEvent: Int) throws(EVCError) {
        let h = hot
        h.pointee.unitFirst = firstEvent
        h.pointee.unitEvents = cluster.eventCount
        h.pointee.unitSerial += 1
        h.pointee.mappedSerial = -1
        h.pointee.provenUntil = 0
        h.pointee.windowTriedUntil = 0
        known.removeAll(keepingCapacity: true)
    }

    func values(field k: Int, view: BatchView) throws(EVCError) -> UnsafeRawPointer {
        let h = hot
        if h.pointee.mappedSerial != h.pointee.unitSerial || h.pointee.mappedEvents != view.events {
            try map(view)
            h.pointee.mappedSerial = h.pointee.unitSerial
            h.pointee.mappedEvents = view.events
            for i in filled.indices { filled[i] = false }
        }
        // By position, within one friend cluster: the cursor's own values, not a copy.
        if let g = h.pointee.firstRow, let column = j.fieldColumns[k] {
            let (cursor, local) = try cursor(column, row: g)
            let per = j.fieldPer[k], n = view.count
            if local + n <= h.pointee.unitCount { return try cursor.values(local * per..<(local + n) * per) }
        }
        if !filled[k] {
            try fill(k, count: view.count)
            filled[k] = true
        }
        return UnsafeRawPointer(out[k].rawBytes.baseAddress!)
    }

    // MARK: - Which friend rows

    /// Finds the friend row of each event of the batch.
    func map(_ view: BatchView) throws(EVCError) {
        let h = hot
        let n = view.count
        let g = h.pointee.unitFirst + view.events.lowerBound
        h.pointee.firstRow = nil
        let tryPosition = !j.positionalFailed.load(ordering: .relaxed) && g + n <= j.friend.eventCount && n > 0
        // Keys stored as constants and arithmetic progressions on both sides are compared from
        // their page records, a window of events at a time: a positional join then decodes no
        // key at all.
        if tryPosition && view.events.upperBound <= h.pointee.provenUntil {
            h.pointee.firstRow = g
            j.note(positional: true)
            return
        }
        if tryPosition {
            let lo = view.events.lowerBound
            // A window of events proven at once covers the batches after this one too.
            if lo >= h.pointee.windowTriedUntil {
                let window = lo..<min(lo + Self.proofWindow, h.pointee.unitEvents, lo + j.friend.eventCount - g)
                if window.count > n, try provenEqual(view, window, from: g) == true { h.pointee.provenUntil = window.upperBound }
                h.pointee.windowTriedUntil = window.upperBound
            }
            var same = view.events.upperBound <= h.pointee.provenUntil
            if !same, let s = try provenEqual(view, view.events, from: g) {
                same = s
                if !s { j.positionalFailed.store(true, ordering: .relaxed) }
            }
            if same {
                h.pointee.firstRow = g
                j.note(positional: true)
                return
            }
        }
        KeyValues.read(try view.values(j.mainRun.index, per: 1), type: j.mainRun.type, count: n, into: &runs, valid: &valid1)
        KeyValues.read(try view.values(j.mainEvent.index, per: 1), type: j.mainEvent.type, count: n, into: &events, valid: &valid2)
        if tryPosition && !j.positionalFailed.load(ordering: .relaxed) {
            try readKeys(from: g, count: n)
            if friendRuns == runs && friendEvents == events && !valid1.contains(false) && !valid2.contains(false) {
                h.pointee.firstRow = g
                j.note(positional: true)
                return
            }
            j.positionalFailed.store(true, ordering: .relaxed)
        }
        let index = try j.index()
        rows.removeAll(keepingCapacity: true)
        ascending = true
        var unmatched = 0, first: (UInt64, UInt64)? = nil
        var last = -1
        for i in 0..<n {
            if valid1[i] && valid2[i], let r = index.lookup(run: runs[i], event: events[i]) {
                if r < last { ascending = false }
                last = r
                rows.append(r)
            } else {
                guard j.missing != .error else {
                    throw EVCError(.conflict, "\(j.name) has no event run \(runs[i]) event \(events[i]) (event #\(g + i) of the data)"
                                   + (j.friend.eventCount < h.pointee.unitFirst + view.events.upperBound ? "; the friend is shorter (\(j.friend.eventCount) events)" : "")
                                   + "; --friend-missing=skip or null to go on without it")
                }
                unmatched += 1
                if first == nil { first = (runs[i], events[i]) }
                rows.append(-1)
            }
        }
        j.note(positional: false)
        if unmatched > 0 { j.note(unmatched: unmatched, first: first!) }
    }

    /// Whether the batch's keys equal the friend's rows `g ..< g + n`, when both sides' key
    /// pages say it without decoding (nil: they do not).
    func provenEqual(_ view: BatchView, _ events: Range<Int>, from g: Int) throws(EVCError) -> Bool? {
        let n = events.count
        guard let run = view.cursors[j.mainRun.index] as? ColumnCursor, let event = view.cursors[j.mainEvent.index] as? ColumnCursor,
              let mainRuns = try run.stretches(events, known: &known[ObjectIdentifier(run), default: [:]]),
              let mainEvents = try event.stretches(events, known: &known[ObjectIdentifier(event), default: [:]]),
              let friendRuns = try friendStretches(j.friendRun, from: g, count: n),
              let friendEvents = try friendStretches(j.friendEvent, from: g, count: n) else { return nil }
        return KeyStretches.equal(mainRuns, friendRuns) && KeyStretches.equal(mainEvents, friendEvents)
    }

    /// Friend rows `g ..< g + n` of a key column as stretches, across the friend's clusters.
    func friendStretches(_ column: Column, from g: Int, count n: Int) throws(EVCError) -> [KeyStretch]? {
        var out: [KeyStretch] = []
        var done = 0
        while done < n {
            let (cursor, local) = try cursor(column, row: g + done)
            let end = min(n - done, hot.pointee.unitCount - local)
            guard let s = try cursor.stretches(local..<local + end, known: &known[ObjectIdentifier(cursor), default: [:]]) else { return nil }
            out += s
            done += end
        }
        return out
    }

    /// The friend's keys of rows `g ..< g + n` into `friendRuns` and `friendEvents`.
    func readKeys(from g: Int, count n: Int) throws(EVCError) {
        keyBuffer.resize(n)
        try copyRows(j.friendRun, per: 1, from: g, count: n, to: keyBuffer, widen: true)
        friendRuns = keyBuffer.values(UInt64.self)
        try copyRows(j.friendEvent, per: 1, from: g, count: n, to: keyBuffer, widen: true)
        friendEvents = keyBuffer.values(UInt64.self)
    }

    // MARK: - Values

    func fill(_ k: Int, count n: Int) throws(EVCError) {
        let per = j.fieldPer[k]
        let dst = out[k]
        dst.resize(n * per)
        guard let column = j.fieldColumns[k] else {
            // The "has the event" flag.
            let p = dst.mutableRawBytes
            let positional = hot.pointee.firstRow != nil
            for i in 0..<n { p[i] = positional || rows[i] >= 0 ? 1 : 0 }
            return
        }
        if let g = hot.pointee.firstRow {
            try copyRows(column, per: per, from: g, count: n, to: dst, widen: false)
            return
        }
        let w = column.type.width
        let base = dst.mutableRawBytes.baseAddress!
        if ascending {
            for i in 0..<n where rows[i] >= 0 {
                let (cursor, local) = try cursor(column, row: rows[i])
                (base + i * per * w).copyMemory(from: try cursor.values(local * per..<(local + 1) * per), byteCount: per * w)
            }
        } else {
            let all = try j.wholeColumn(column, per: per)
            let src = all.rawBytes.baseAddress!
            for i in 0..<n where rows[i] >= 0 {
                (base + i * per * w).copyMemory(from: src + rows[i] * per * w, byteCount: per * w)
            }
        }
        if rows.contains(-1) { nullFill(dst, type: column.type, per: per) }
    }

    /// NaN (floating point) or 0 for the values of events without a friend row.
    func nullFill(_ dst: ColumnBuffer, type: ScalarType, per: Int) {
        let w = type.width
        let base = dst.mutableRawBytes.baseAddress!
        for (i, r) in rows.enumerated() where r < 0 {
            let p = base + i * per * w
            switch type {
            case .float32: for e in 0..<per { p.storeBytes(of: Float.nan, toByteOffset: e * 4, as: Float.self) }
            case .float64: for e in 0..<per { p.storeBytes(of: Double.nan, toByteOffset: e * 8, as: Double.self) }
            default: p.initializeMemory(as: UInt8.self, repeating: 0, count: per * w)
            }
        }
    }

    /// Copies friend rows `g ..< g + n` of `column` into `dst` (which holds n × per values, or
    /// with `widen` n unsigned 64-bit keys).
    func copyRows(_ column: Column, per: Int, from g: Int, count n: Int, to dst: ColumnBuffer, widen: Bool) throws(EVCError) {
        var done = 0
        let w = column.type.width
        let base = dst.mutableRawBytes.baseAddress!
        while done < n {
            let (cursor, local) = try cursor(column, row: g + done)
            let end = min(n - done, hot.pointee.unitCount - local)
            let src = try cursor.values(local * per..<(local + end) * per)
            if widen {
                var keys: [UInt64] = [], valid: [Bool] = []
                KeyValues.read(src, type: column.type, count: end, into: &keys, valid: &valid)
                if valid.contains(false) { throw cursor.corrupt("negative value in a key column") }
                keys.withUnsafeBytes { (base + done * 8).copyMemory(from: $0.baseAddress!, byteCount: end * 8) }
            } else {
                (base + done * per * w).copyMemory(from: src, byteCount: end * per * w)
            }
            done += end
        }
    }

    /// A cursor over `column` in the friend cluster holding friend row `row`, and the row's
    /// place in that cluster.
    func cursor(_ column: Column, row: Int) throws(EVCError) -> (ColumnCursor, Int) {
        let h = hot
        if h.pointee.unit < 0 || row < h.pointee.unitRow || row >= h.pointee.unitRow + h.pointee.unitCount {
            let u = j.unit(ofRow: row)
            let info = try j.friend.files[j.units[u].file].cluster(j.units[u].cluster)
            currentInfo = info
            (h.pointee.unit, h.pointee.unitRow, h.pointee.unitCount) = (u, j.units[u].firstRow, info.eventCount)
            // What was known of the old cluster's pages goes with its cursors (whose addresses
            // new cursors may take).
            for c in 0..<j.friend.schema.columns.count {
                if let old = cursorTable[c] { known[ObjectIdentifier(old)] = nil }
                cursorTable[c] = nil
            }
        }
        if let c = cursorTable[column.index] { return (c, row - h.pointee.unitRow) }
        let b = buffers[column.index] ?? ColumnCursor.Buffers(column.type)
        buffers[column.index] = b
        let u = j.units[h.pointee.unit]
        let c = ColumnCursor(file: j.friend.files[u.file], cluster: currentInfo!, column: column.index, verify: j.verify, buffers: b)
        cursorTable[column.index] = c
        return (c, row - h.pointee.unitRow)
    }
}
