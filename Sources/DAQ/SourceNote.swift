/// Something the decoder noticed about an equipment's source that does not make the event bad:
/// a source the channel map does not know or gives two kinds of payload (its equipment is
/// skipped), an MSADC channel the map does not know (its samples are skipped), or a header field
/// that disagrees with what the map's payload kind expects (Formats/RAW.md sections 3 and 13).
public struct SourceNote: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case unknownSource = "unknown-source"
        case conflictingSource = "conflicting-source"
        case unmappedChannel = "unmapped-channel"
        case equipmentType = "equipment-type"
        case equipmentID = "equipment-id"
        case slinkFormat = "slink-format"
        case slinkType = "slink-type"

        /// Data of the event is left out (the other kinds are cross-checks only).
        public var losesData: Bool { self == .unknownSource || self == .conflictingSource || self == .unmappedChannel }
    }

    public var kind: Kind
    public var source: Int
    /// What was found: the equipment type or id, the S-Link format or type, or for an unmapped
    /// channel its port << 6 | chip << 4 | channel.
    public var found: UInt32
    /// What the source's payload kind expects (cross-checks), else 0.
    public var expected: UInt32

    public init(_ kind: Kind, source: Int, found: UInt32 = 0, expected: UInt32 = 0) {
        (self.kind, self.source, self.found, self.expected) = (kind, source, found, expected)
    }

    /// One line: what, for which source.
    public var message: String {
        switch kind {
        case .unknownSource: "source \(source) is not in the channel map: its equipments are skipped"
        case .conflictingSource: "source \(source) has two kinds of payload in the channel map: its equipments are skipped"
        case .unmappedChannel:
            "MSADC channel \(ChannelAddress(sourceID: source, port: Int(found >> 6), chip: Int(found >> 4 & 3), channel: Int(found & 15))) is not in the channel map: its samples are skipped"
        case .equipmentType: "source \(source): equipment type \(found), expected \(expected) for its payload (decoded by source ID all the same)"
        case .equipmentID: "source \(source): equipment id \(found) differs from the S-Link source ID (decoded by source ID)"
        case .slinkFormat: "source \(source): S-Link format 0x\(String(found, radix: 16)), expected 0x\(String(expected, radix: 16)) for its payload (decoded by source ID all the same)"
        case .slinkType: "source \(source): S-Link event type \(found), the DATE header says \(expected)"
        }
    }
}

/// Counts of `SourceNote`s with the first place each was seen: per worker, merged in file order.
public struct SourceNoteTally: Sendable {
    public struct Entry: Sendable {
        public var note: SourceNote
        public var count: Int
        /// File index and byte offset of the first equipment it was seen in.
        public var file: Int
        public var offset: Int
    }

    public private(set) var entries: [Entry] = []
    private var index: [SourceNote: Int] = [:]

    public init() {}

    public mutating func add(_ note: SourceNote, count: Int = 1, file: Int, offset: Int) {
        if let i = index[note] {
            entries[i].count += count
        } else {
            index[note] = entries.count
            entries.append(Entry(note: note, count: count, file: file, offset: offset))
        }
    }

    /// Adds `other`, seen after this one; returns the entries new to this tally.
    @discardableResult
    public mutating func merge(_ other: SourceNoteTally) -> [Entry] {
        var new: [Entry] = []
        for e in other.entries {
            if index[e.note] == nil { new.append(e) }
            add(e.note, count: e.count, file: e.file, offset: e.offset)
        }
        return new
    }

    /// Equipments skipped per unknown source.
    public var unknownSources: [Int: Int] {
        var out: [Int: Int] = [:]
        for e in entries where e.note.kind == .unknownSource { out[e.note.source, default: 0] += e.count }
        return out
    }
}
