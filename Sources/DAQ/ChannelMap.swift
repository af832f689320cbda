/// An MSADC channel address: S-Link source, port, chip, channel.
public struct ChannelAddress: Hashable, Sendable {
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
}

/// Channel map: MSADC addresses to cells, per run range, read from NA64-style text lines
/// `NAME srcID port (chip<<4|chan) x y` (Formats/RAW.md section 10).
public struct ChannelMap: Sendable {
    public struct Range: Sendable {
        public var runs: ClosedRange<UInt32>
        public var cells: [ChannelAddress: Int]
    }

    public var ranges: [Range]
    public var path: String

    public init(text: String, path: String) throws(DAQError) {
        self.path = path
        ranges = []
        for section in try TextConfig.sections(text, path: path, code: .badMap) {
            var cells: [ChannelAddress: Int] = [:]
            var seen = Set<Int>()
            for line in section.lines {
                let f = line.fields
                guard f.count == 6, let src = Int(f[1]), let port = Int(f[2]), let cc = Int(f[3]), let x = Int(f[4]), let y = Int(f[5]) else {
                    throw DAQError(.badMap, "expected 'NAME srcID port chipchan x y' with integers", path: path, line: line.number)
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
                guard cells[address] == nil else { throw DAQError(.badMap, "address \(src) \(port) \(cc) is mapped twice", path: path, line: line.number) }
                guard seen.insert(cell).inserted else { throw DAQError(.badMap, "\(f[0]) (\(x), \(y)) is mapped twice", path: path, line: line.number) }
                cells[address] = cell
            }
            ranges.append(Range(runs: section.runs, cells: cells))
        }
        guard !ranges.isEmpty else { throw DAQError(.badMap, "no channels in the map", path: path) }
    }

    /// The lookup table for `run`: address key -> cell (-1 for unmapped).
    public func table(run: UInt32) throws(DAQError) -> ChannelTable {
        guard let r = ranges.first(where: { $0.runs.contains(run) }) else {
            throw DAQError(.badMap, "no run range of the map holds run \(run)", path: path)
        }
        return ChannelTable(r.cells)
    }

    /// The map of the simulated detector: ECAL on source 600, HCAL on 601, VETO, SRD and beam
    /// counters on 602; cell i of a detector at port i/64, chip (i%64)/16, channel i%16.
    public static func defaultText() -> String {
        var s = """
            # Darkscan default channel map: the detector `darkscan simulate` writes (Formats/RAW.md 10).
            # NAME srcID port (chip<<4|chan) x y
            runs 0 -

            """
        func add(_ cells: [Int], source: Int) {
            for (i, cell) in cells.enumerated() {
                let (name, x, y) = Cells.name(of: cell)
                s += "\(name) \(source) \(i / 64) \(((i % 64) / 16) << 4 | i % 16) \(x) \(y)\n"
            }
        }
        add(Array(Cells.ecal..<Cells.hcal), source: 600)
        add(Array(Cells.hcal..<Cells.veto), source: 601)
        add(Array(Cells.veto..<(Cells.srd + Cells.srdModules)) + Array(Cells.beam..<Cells.count), source: 602)
        return s
    }

    public static func defaultMap() -> ChannelMap {
        // Safe: the default text is generated above and parses (tested).
        try! ChannelMap(text: defaultText(), path: "<default map>")
    }
}

/// Address-to-cell lookup in a flat table (1 MiB), for the decoder's inner loop.
public struct ChannelTable: Sendable {
    let cells: [Int16]
    /// Addresses per cell (the inverse), for the simulator.
    public let addresses: [ChannelAddress?]

    init(_ map: [ChannelAddress: Int]) {
        var t = [Int16](repeating: -1, count: ChannelAddress.keySpace)
        var inverse = [ChannelAddress?](repeating: nil, count: Cells.count)
        for (a, c) in map {
            t[a.key] = Int16(c)
            inverse[c] = a
        }
        cells = t
        addresses = inverse
    }

    @inline(__always) public func cell(sourceID: Int, port: Int, chip: Int, channel: Int) -> Int {
        Int(cells[sourceID << 9 | port << 6 | chip << 4 | channel])
    }
}
