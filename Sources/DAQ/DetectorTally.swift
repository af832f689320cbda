/// What one detector delivered over a file or a conversion (Formats/RAW.md section 13): the
/// channels it has in the map, those seen at least once, the mean share of its channels that
/// delivered data per physics event, and the events in which it delivered nothing at all.
public struct DetectorSummary: Sendable, Equatable {
    /// `ECAL`, `HCAL`, `VETO`, `SRD`, `S` (MSADC cells), `MM` (APV strips), `ST` (straw
    /// wires), `TCS` (trigger time).
    public var name: String
    public var sources: [Int]
    public var channels: Int
    public var seen: Int
    public var occupancy: Double
    public var events: Int
    public var eventsMissing: Int
}

/// Counts of what each detector and source delivered in decoded physics events: per worker,
/// merged in file order, judged per file. Channels of the MSADC detectors are the map's cells;
/// those of the trackers every strip and wire of the payload layouts; the trigger time has one.
public struct DetectorTally: Sendable {
    public private(set) var events = 0
    /// Per cell: events in which it delivered samples.
    var cellReads = [Int](repeating: 0, count: Cells.count)
    /// Per MSADC detector group: events in which none of its cells delivered samples.
    var groupMissing = [Int](repeating: 0, count: Cells.Group.allCases.count)
    /// Per source ID: events in which it delivered a non-empty payload.
    var sourceData = [Int](repeating: 0, count: 1024)
    /// Per tracker kind (APV, straw, TCS): events without an equipment of that kind.
    var kindMissing = [Int](repeating: 0, count: 3)
    var stripSeen = [UInt64](repeating: 0, count: (EventDecoder.stripPlanes * EventDecoder.stripsPerPlane + 63) / 64)
    var strawSeen = [UInt64](repeating: 0, count: (EventDecoder.strawPlanes * EventDecoder.wiresPerPlane + 63) / 64)
    var stripHits = 0, strawHits = 0

    static let trackerKinds: [(Equipment.Kind, String)] = [(.apv, "MM"), (.straw, "ST"), (.tcs, "TCS")]
    /// Detector group index of each cell.
    static let groupOfCell: [Int] = (0..<Cells.count).map { Cells.Group.allCases.firstIndex(of: Cells.group(of: $0))! }

    public init() {}

    /// Counts one decoded physics event; `table` is its run's map.
    public mutating func add(_ ev: DecodedEvent, table: ChannelTable) {
        events &+= 1
        var present = 0  // a bit per group
        for cell in 0..<Cells.count where ev.sampleCount[cell] > 0 {
            cellReads[cell] &+= 1
            present |= 1 << Self.groupOfCell[cell]
        }
        for g in groupMissing.indices where present & 1 << g == 0 { groupMissing[g] &+= 1 }
        var kinds = (false, false, false)
        for (i, d) in ev.delivered.enumerated() {
            switch table.kind(ofSource: d.source) {
            case .apv?: kinds.0 = true
            case .straw?: kinds.1 = true
            case .tcs?: kinds.2 = true
            default: break
            }
            // A source counts once per event, however many equipments it sent.
            guard d.bytes > 0, !ev.delivered[..<i].contains(where: { $0.source == d.source && $0.bytes > 0 }) else { continue }
            sourceData[d.source] &+= 1
        }
        if !kinds.0 { kindMissing[0] &+= 1 }
        if !kinds.1 { kindMissing[1] &+= 1 }
        if !kinds.2 { kindMissing[2] &+= 1 }
        for i in ev.stripPlane.indices {
            let bit = Int(ev.stripPlane[i]) * EventDecoder.stripsPerPlane + Int(ev.stripNumber[i])
            stripSeen[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        for i in ev.strawPlane.indices {
            let bit = Int(ev.strawPlane[i]) * EventDecoder.wiresPerPlane + Int(ev.strawWire[i])
            strawSeen[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        stripHits &+= ev.stripPlane.count
        strawHits &+= ev.strawPlane.count
    }

    public mutating func merge(_ o: DetectorTally) {
        events &+= o.events
        for i in cellReads.indices { cellReads[i] &+= o.cellReads[i] }
        for i in groupMissing.indices { groupMissing[i] &+= o.groupMissing[i] }
        for i in sourceData.indices { sourceData[i] &+= o.sourceData[i] }
        for i in kindMissing.indices { kindMissing[i] &+= o.kindMissing[i] }
        for i in stripSeen.indices { stripSeen[i] |= o.stripSeen[i] }
        for i in strawSeen.indices { strawSeen[i] |= o.strawSeen[i] }
        stripHits &+= o.stripHits
        strawHits &+= o.strawHits
    }

    /// Per detector the map of `table` has: what it delivered.
    public func summaries(table: ChannelTable) -> [DetectorSummary] {
        var out: [DetectorSummary] = []
        for (g, group) in Cells.Group.allCases.enumerated() {
            let cells = (0..<Cells.count).filter { Self.groupOfCell[$0] == g && table.addresses[$0] != nil }
            guard !cells.isEmpty else { continue }
            let reads = cells.reduce(0) { $0 + cellReads[$1] }
            out.append(DetectorSummary(name: group.rawValue, sources: Array(Set(cells.map { table.addresses[$0]!.sourceID })).sorted(),
                                       channels: cells.count, seen: cells.filter { cellReads[$0] > 0 }.count,
                                       occupancy: events > 0 ? Double(reads) / Double(events * cells.count) : 0,
                                       events: events, eventsMissing: groupMissing[g]))
        }
        for (k, (kind, name)) in Self.trackerKinds.enumerated() {
            let sources = table.sources(kind)
            guard !sources.isEmpty else { continue }
            let (channels, seen, hits): (Int, Int, Int)
            switch kind {
            case .apv: (channels, seen, hits) = (EventDecoder.stripPlanes * EventDecoder.stripsPerPlane, Self.bits(stripSeen), stripHits)
            case .straw: (channels, seen, hits) = (EventDecoder.strawPlanes * EventDecoder.wiresPerPlane, Self.bits(strawSeen), strawHits)
            default: (channels, seen, hits) = (1, events > kindMissing[k] ? 1 : 0, events - kindMissing[k])
            }
            out.append(DetectorSummary(name: name, sources: sources, channels: channels, seen: seen,
                                       occupancy: events > 0 ? Double(hits) / Double(events * channels) : 0,
                                       events: events, eventsMissing: kindMissing[k]))
        }
        return out
    }

    /// Sources of `table` that carry physics-event data (MSADC, APV, straw, trigger time) and
    /// delivered nothing in the events counted.
    public func silentSources(table: ChannelTable) -> [Int] {
        guard events > 0 else { return [] }
        return Equipment.Kind.mapped.filter { $0 != .runInfo && $0 != .scalers }.flatMap { table.sources($0) }.filter { sourceData[$0] == 0 }.sorted()
    }

    static func bits(_ words: [UInt64]) -> Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}
