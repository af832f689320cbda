/// An MSADC channel address: S-Link source, port, chip, channel.
public struct ChannelAddress: Hashable, Sendable, CustomStringConvertible {
    public var sourceID: Int
    public var port: Int
    public var chip: Int
    public var channel: Int

    public init(sourceID: Int, port: Int, chip: Int, channel: Int) {
        (self.sourceID, self.port, self.chip, self.channel) = (sourceID, port, chip, channel)
    }

    /// 19-bit key: sourceID (10) | port (3) | chip (2) | channel (4).
    var key: Int { sourceID << 9 | port << 6 | chip << 4 | channel }
    static let keySpace = 1 << 19

    /// As a map line writes it: `srcID port chipchan`.
    public var description: String { "\(sourceID) \(port) \(chip << 4 | channel)" }
}

/// Channel map (Formats/RAW.md section 10), per run range: MSADC addresses to cells, read from
/// NA64-style lines `NAME srcID port (chip<<4|chan) x y`, and `source srcID KIND` lines saying
/// which payload every other source carries. The decoder of an equipment follows from its
/// source ID through this map alone.
public struct ChannelMap: Sendable {
    /// A source ID given two kinds of payload: the converter skips its equipments and warns.
    public struct Conflict: Sendable, Equatable, CustomStringConvertible {
        public var source: Int
        public var kinds: [Equipment.Kind]
        public var lines: [Int]
        public var path: String

        public var message: String {
            "source \(source) is given two kinds of payload, " + zip(kinds, lines).map { "\($0.0.mapName) (line \($0.1))" }.joined(separator: " and ")
                + "; its equipments are skipped"
        }

        public var description: String { "\(path):\(lines.last!): " + message }
    }

    public struct Range: Sendable {
        public var runs: ClosedRange<UInt32>
        public var cells: [ChannelAddress: Int]
        /// The payload of each source: MSADC for sources with channel lines, and `source` lines.
        public var sources: [Int: Equipment.Kind]
        public var conflicts: [Conflict]
    }

    public var ranges: [Range]
    public var path: String

    public init(text: String, path: String) throws(DAQError) {
        self.path = path
        ranges = []
        for section in try TextConfig.sections(text, path: path, code: .badMap) {
            var cells: [ChannelAddress: Int] = [:]
            var seen = Set<Int>()
            var declared: [Int: (kind: Equipment.Kind, line: Int)] = [:]
            var conflicts: [Int: Conflict] = [:]
            func declare(_ src: Int, _ kind: Equipment.Kind, line: Int) {
                guard let first = declared[src] else {
                    declared[src] = (kind, line)
                    return
                }
                guard first.kind != kind, !(conflicts[src]?.kinds.contains(kind) ?? false) else { return }
                conflicts[src, default: Conflict(source: src, kinds: [first.kind], lines: [first.line], path: path)].kinds.append(kind)
                conflicts[src]!.lines.append(line)
            }
            for line in section.lines {
                let f = line.fields
                if f[0] == "source" {
                    guard f.count == 3, let src = Int(f[1]), (0..<1024).contains(src) else {
                        throw DAQError(.badMap, "expected 'source srcID KIND' with srcID 0-1023", path: path, line: line.number)
                    }
                    guard let kind = Equipment.Kind.mapped.first(where: { $0.mapName == f[2] }) else {
                        throw DAQError(.badMap, "unknown payload kind '\(f[2])' (known: \(Equipment.Kind.mapped.map(\.mapName).joined(separator: ", ")))",
                                       path: path, line: line.number)
                    }
                    declare(src, kind, line: line.number)
                    continue
                }
                guard f.count == 6, let src = Int(f[1]), let port = Int(f[2]), let cc = Int(f[3]), let x = Int(f[4]), let y = Int(f[5]) else {
                    throw DAQError(.badMap, "expected 'NAME srcID port chipchan x y' with integers, or 'source srcID KIND'", path: path, line: line.number)
                }
                guard (0..<1024).contains(src), (0..<8).contains(port), (0..<64).contains(cc) else {
                    throw DAQError(.badMap, "address out of range: srcID 0-1023, port 0-7, chip<<4|chan 0-63", path: path, line: line.number)
                }
                let cell: Int
                switch Cells.cell(name: String(f[0]), x: x, y: y) {
                case .success(let c): cell = c
                case .failure(var e):
                    (e.path, e.line) = (path, line.number)
                    throw e
                }
                let address = ChannelAddress(sourceID: src, port: port, chip: cc >> 4, channel: cc & 15)
                guard cells[address] == nil else { throw DAQError(.badMap, "address \(address) is mapped twice", path: path, line: line.number) }
                guard seen.insert(cell).inserted else { throw DAQError(.badMap, "\(f[0]) (\(x), \(y)) is mapped twice", path: path, line: line.number) }
                cells[address] = cell
                declare(src, .msadc, line: line.number)
            }
            ranges.append(Range(runs: section.runs, cells: cells, sources: declared.mapValues(\.kind),
                                conflicts: conflicts.values.sorted { $0.source < $1.source }))
        }
        guard ranges.contains(where: { !$0.cells.isEmpty }) else { throw DAQError(.badMap, "no channels in the map", path: path) }
    }

    /// The lookup table for `run`.
    public func table(run: UInt32) throws(DAQError) -> ChannelTable {
        guard let r = ranges.first(where: { $0.runs.contains(run) }) else {
            throw DAQError(.badMap, "no run range of the map holds run \(run)", path: path)
        }
        return ChannelTable(r)
    }

    /// The map of the simulated detector: the tracker, trigger-time, run-information and scaler
    /// sources, then the MSADC channels: ECAL on source 600, HCAL on 601, VETO, SRD and beam
    /// counters on 602; cell i of a detector at port i/64, chip (i%64)/16, channel i%16.
    public static func defaultText() -> String {
        var s = """
            # Darkscan default channel map: the detector `darkscan simulate` writes (Formats/RAW.md 10).
            runs 0 -
            # source srcID KIND: the payload of a source without MSADC channels
            source \(Sources.apv) APV
            source \(Sources.straw) STRAW
            source \(Sources.tcs) TCS
            source \(Sources.runInfo) RUNINFO
            source \(Sources.scalers) SCALERS
            # NAME srcID port (chip<<4|chan) x y: an MSADC channel

            """
        func add(_ cells: [Int], source: Int) {
            for (i, cell) in cells.enumerated() {
                let (name, x, y) = Cells.name(of: cell)
                s += "\(name) \(source) \(i / 64) \(((i % 64) / 16) << 4 | i % 16) \(x) \(y)\n"
            }
        }
        add(Array(Cells.ecal..<Cells.hcal), source: Sources.ecal)
        add(Array(Cells.hcal..<Cells.veto), source: Sources.hcal)
        add(Array(Cells.veto..<(Cells.srd + Cells.srdModules)) + Array(Cells.beam..<Cells.count), source: Sources.counters)
        return s
    }

    /// Source IDs of the default map.
    public enum Sources {
        public static let ecal = 600, hcal = 601, counters = 602, apv = 700, straw = 701, tcs = 1000, runInfo = 1001, scalers = 1002
    }

    public static func defaultMap() -> ChannelMap {
        // Safe: the default text is generated above and parses (tested).
        try! ChannelMap(text: defaultText(), path: "<default map>")
    }
}

/// One run range of a map as flat tables for the decoder's inner loops: address to cell
/// (1 MiB) and source ID to payload kind.
public struct ChannelTable: Sendable {
    let cells: [Int16]
    /// Payload kind per source ID (1024 entries); nil for unknown and conflicting sources.
    let kinds: [Equipment.Kind?]
    /// Addresses per cell (the inverse), for the simulator.
    public let addresses: [ChannelAddress?]
    /// Sources the map gives two kinds of payload.
    public let conflicts: [ChannelMap.Conflict]

    init(_ range: ChannelMap.Range) {
        var t = [Int16](repeating: -1, count: ChannelAddress.keySpace)
        var inverse = [ChannelAddress?](repeating: nil, count: Cells.count)
        for (a, c) in range.cells {
            t[a.key] = Int16(c)
            inverse[c] = a
        }
        var kinds = [Equipment.Kind?](repeating: nil, count: 1024)
        for (src, kind) in range.sources { kinds[src] = kind }
        for c in range.conflicts { kinds[c.source] = nil }
        cells = t
        self.kinds = kinds
        addresses = inverse
        conflicts = range.conflicts
    }

    @inline(__always) public func cell(sourceID: Int, port: Int, chip: Int, channel: Int) -> Int {
        Int(cells[sourceID << 9 | port << 6 | chip << 4 | channel])
    }

    /// The payload kind of `source` (0-1023), nil when the map does not give it one.
    @inline(__always) public func kind(ofSource source: Int) -> Equipment.Kind? { kinds[source] }

    /// Whether the map gives `source` two kinds of payload.
    public func isConflicting(_ source: Int) -> Bool { conflicts.contains { $0.source == source } }

    /// The sources carrying `kind`, in increasing order.
    public func sources(_ kind: Equipment.Kind) -> [Int] { (0..<1024).filter { kinds[$0] == kind } }
}
