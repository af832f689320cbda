/// The contents of one DATE event, decoded into reused buffers: header, MSADC samples per cell,
/// tracker hits, run information and scalers. One per worker thread.
public struct DecodedEvent: Sendable {
    public var header = DATE.Header(size: 0, type: .physics, run: 0, eventNumber: 0, spill: 0, eventInSpill: 0, trigger: 0, time: 0)
    /// Samples of every cell read in this event: cell c has sampleCount[c] samples from
    /// sampleStart[c]. The buffer only grows: `sampleEnd` of it hold this event's.
    public var samples = [UInt16](repeating: 0, count: Cells.count * 32)
    public private(set) var sampleEnd = 0
    public var sampleStart = [Int](repeating: 0, count: Cells.count)
    public var sampleCount = [Int](repeating: 0, count: Cells.count)
    /// Micromegas strip hits.
    public var stripPlane: [UInt8] = [], stripNumber: [UInt16] = [], stripFrames: [(UInt16, UInt16, UInt16)] = []
    /// Straw hits.
    public var strawPlane: [UInt8] = [], strawWire: [UInt8] = [], strawTime: [UInt16] = []
    /// Time since the start of the spill from the trigger control system, µs.
    public var timeInSpillMicroseconds: UInt32 = 0
    public var runInfo: [String: String] = [:]
    public var scalers: [(id: UInt32, value: UInt64)] = []
    /// The equipments decoded: source and payload bytes, in event order.
    public var delivered: [(source: Int, bytes: Int)] = []
    /// What the decoder noticed without refusing the event, with the equipment's file offset.
    public var notes: [(note: SourceNote, offset: Int)] = []

    public init() {}

    /// Makes room for `n` more samples after `sampleEnd` and moves it past them.
    @inline(__always) mutating func reserveSamples(_ n: Int) {
        if sampleEnd + n > samples.count { samples.append(contentsOf: repeatElement(0, count: max(n, samples.count))) }
        sampleEnd += n
    }

    mutating func reset() {
        sampleEnd = 0
        for c in 0..<Cells.count { sampleCount[c] = 0 }
        stripPlane.removeAll(keepingCapacity: true)
        stripNumber.removeAll(keepingCapacity: true)
        stripFrames.removeAll(keepingCapacity: true)
        strawPlane.removeAll(keepingCapacity: true)
        strawWire.removeAll(keepingCapacity: true)
        strawTime.removeAll(keepingCapacity: true)
        timeInSpillMicroseconds = 0
        if !runInfo.isEmpty { runInfo.removeAll() }
        scalers.removeAll(keepingCapacity: true)
        delivered.removeAll(keepingCapacity: true)
        notes.removeAll(keepingCapacity: true)
    }
}

/// Decodes the equipments of an event whose envelope `RawFileReader` has checked, applying every
/// rule of Formats/RAW.md sections 3-8. The payload decoder of an equipment is the one the channel
/// map gives its S-Link source ID; the equipment type and id and the S-Link format and type are
/// cross-checked and noted, never used to choose. Errors name the byte (file offset), the source
/// and what is wrong.
public enum EventDecoder {
    /// Micromegas planes MM1X, MM1Y … MM10Y (MM7-MM10: the downstream spectrometer).
    public static let stripPlanes = 20, stripsPerPlane = 320
    public static let strawPlanes = 4, wiresPerPlane = 64

    /// Decodes the event of `size` bytes at `bytes[at...]`, found at `fileOffset` in its file,
    /// with the channel map of its run.
    public static func decode(_ bytes: UnsafeRawBufferPointer, at start: Int, fileOffset: Int, table: ChannelTable,
                              into ev: inout DecodedEvent) throws(DAQError) {
        ev.reset()
        func w(_ byte: Int) -> UInt32 { RawFileReader.word(bytes, start + byte) }
        func fail(_ code: DAQError.Code, _ byte: Int, _ why: String) -> DAQError { DAQError(code, why, offset: fileOffset + byte) }
        // The reader checks envelopes before events get here; these checks keep decode safe on
        // any bytes all the same.
        guard start >= 0, bytes.count - start >= DATE.headerSize else { throw fail(.truncated, 0, "event shorter than a DATE header") }
        let size = Int(w(0))
        guard size >= DATE.headerSize, size <= bytes.count - start, let type = DATE.EventType(rawValue: w(16)) else {
            throw fail(.badHeader, 0, "not an acceptable DATE event header")
        }
        let id1 = w(28)
        ev.header = DATE.Header(size: size, type: type, run: w(20), eventNumber: w(24),
                                spill: id1 >> 20, eventInSpill: id1 & 0xF_FFFF, trigger: w(32), time: w(64))
        var p = DATE.headerSize
        while p < size {
            guard p + Equipment.overhead <= size else { throw fail(.structure, p, "equipment cut off by the event's end") }
            let eqSize = Int(w(p))
            guard eqSize >= Equipment.overhead, eqSize % 4 == 0, eqSize <= size - p else {
                throw fail(.structure, p, "equipment with an impossible size \(eqSize)")
            }
            let eqType = w(p + 4)
            defer { p += eqSize }
            // Our CRC32C equipment belongs to the envelope, which the reader checked.
            if eqType == Equipment.Kind.crc32c.rawValue { continue }
            let s0 = w(p + 28), s1 = w(p + 32), s2 = w(p + 36)
            let source = Int(s0 >> 16 & 0x3FF)
            if s0 >> 31 != 0 || s1 >> 31 != 0 || s2 & 0xFF_FFFF != 0 {
                throw fail(.structure, p + 28, "S-Link header of source \(source) reports an error (0x\(String(s0, radix: 16)) 0x\(String(s1, radix: 16)) 0x\(String(s2, radix: 16)))")
            }
            guard s1 & 0xF_FFFF == ev.header.eventInSpill, s1 >> 20 & 0x7FF == ev.header.spill & 0x7FF else {
                throw fail(.eventMismatch, p + 32, "S-Link of source \(source) says spill \(s1 >> 20 & 0x7FF) event \(s1 & 0xF_FFFF), the DATE header spill \(ev.header.spill) event \(ev.header.eventInSpill)")
            }
            guard let kind = table.kind(ofSource: source) else {
                ev.notes.append((SourceNote(table.isConflicting(source) ? .conflictingSource : .unknownSource, source: source), fileOffset + p))
                continue
            }
            // Cross-checks: fields of the headers that our writer fills from the payload kind.
            if eqType != kind.rawValue { ev.notes.append((SourceNote(.equipmentType, source: source, found: eqType, expected: kind.rawValue), fileOffset + p)) }
            if w(p + 8) != UInt32(source) { ev.notes.append((SourceNote(.equipmentID, source: source, found: w(p + 8), expected: UInt32(source)), fileOffset + p + 8)) }
            if s2 >> 24 != kind.format { ev.notes.append((SourceNote(.slinkFormat, source: source, found: s2 >> 24, expected: kind.format), fileOffset + p + 36)) }
            if s0 >> 26 & 0x1F != type.rawValue { ev.notes.append((SourceNote(.slinkType, source: source, found: s0 >> 26 & 0x1F, expected: type.rawValue), fileOffset + p + 28)) }
            let payload = p + Equipment.overhead..<p + eqSize
            ev.delivered.append((source, payload.count))
            func bad(_ code: DAQError.Code, _ byte: Int, _ why: String) -> DAQError {
                DAQError(code, "source \(source) (\(kind.mapName)): " + why, offset: fileOffset + byte)
            }
            switch kind {
            case .msadc:
                try msadc(bytes, start: start, payload, source: source, fileOffset: fileOffset, table: table, into: &ev)
            case .apv:
                guard payload.count % 8 == 0 else { throw bad(.tracker, p, "APV payload of \(payload.count) bytes is not whole hits (8 bytes each)") }
                for q in stride(from: payload.lowerBound, to: payload.upperBound, by: 8) {
                    let a = w(q), b = w(q + 4)
                    guard a >> 30 == 0b01, b >> 30 == 0b10, a >> 22 & 0xFF == 0 else { throw bad(.tracker, q, "APV hit words have the wrong tags") }
                    let plane = Int(a >> 16 & 0x3F), strip = Int(a & 0xFFFF)
                    guard plane < stripPlanes, strip < stripsPerPlane else {
                        throw bad(.tracker, q, "APV hit on plane \(plane) strip \(strip), outside \(stripPlanes) planes x \(stripsPerPlane) strips")
                    }
                    ev.stripPlane.append(UInt8(plane))
                    ev.stripNumber.append(UInt16(strip))
                    ev.stripFrames.append((UInt16(b & 0x3FF), UInt16(b >> 10 & 0x3FF), UInt16(b >> 20 & 0x3FF)))
                }
            case .straw:
                for q in stride(from: payload.lowerBound, to: payload.upperBound, by: 4) {
                    let a = w(q)
                    let plane = Int(a >> 24 & 0x3F), wire = Int(a >> 16 & 0xFF)
                    guard a >> 30 == 0b11, plane < strawPlanes, wire < wiresPerPlane else {
                        throw bad(.tracker, q, "straw hit word 0x\(String(a, radix: 16)) is not a hit on \(strawPlanes) planes x \(wiresPerPlane) wires")
                    }
                    ev.strawPlane.append(UInt8(plane))
                    ev.strawWire.append(UInt8(wire))
                    ev.strawTime.append(UInt16(a & 0xFFFF))
                }
            case .tcs:
                guard payload.count == 4 else { throw bad(.structure, p, "trigger-time payload of \(payload.count) bytes, expected 4") }
                ev.timeInSpillMicroseconds = w(payload.lowerBound)
            case .runInfo:
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start + payload.lowerBound..<start + payload.upperBound])
                let text = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                for line in text.split(separator: "\n") {
                    guard let eq = line.firstIndex(of: "=") else { continue }
                    ev.runInfo[String(line[..<eq])] = String(line[line.index(after: eq)...])
                }
            case .scalers:
                guard payload.count >= 4 else { throw bad(.structure, p, "scaler payload without a count") }
                let n = Int(w(payload.lowerBound))
                guard payload.count == 4 + 12 * n else { throw bad(.structure, p, "scaler payload of \(payload.count) bytes cannot hold \(n) scalers") }
                for k in 0..<n {
                    let q = payload.lowerBound + 4 + 12 * k
                    ev.scalers.append((w(q), UInt64(w(q + 4)) | UInt64(w(q + 8)) << 32))
                }
            case .crc32c:
                break  // never in a map
            }
        }
    }

    /// The `count` samples of an MSADC channel from its data words at `data` (two 12-bit samples
    /// a word), into `out` when given: their sum, and the first word whose marker is wrong (−1
    /// when none).
    @inline(__always) static func samplesOf(_ data: UnsafeRawPointer, count n: Int, into out: UnsafeMutablePointer<UInt16>?) -> (UInt32, Int) {
        let words = (n + 1) / 2
        var sum: UInt32 = 0, wrong: UInt32 = 0
        for k in 0..<words {
            let d = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self))
            let marker: UInt32 = k == 0 ? MSADC.firstMarker >> 6 : MSADC.nextMarker >> 6
            wrong |= (d >> 30) ^ marker
            let a = d & 0xFFF, b = d >> 12 & 0xFFF
            // The second sample of an odd count's last word is not a sample.
            sum &+= a &+ (2 * k + 1 < n ? b : 0)
            if let out {
                out[2 * k] = UInt16(truncatingIfNeeded: a)
                if 2 * k + 1 < n { out[2 * k + 1] = UInt16(truncatingIfNeeded: b) }
            }
        }
        guard wrong != 0 else { return (sum, -1) }
        for k in 0..<words where data.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self).littleEndian >> 30 != (k == 0 ? MSADC.firstMarker : MSADC.nextMarker) >> 6 {
            return (sum, k)
        }
        return (sum, -1)
    }

    /// MSADC data format 3 (Formats/RAW.md section 4).
    static func msadc(_ bytes: UnsafeRawBufferPointer, start: Int, _ payload: Range<Int>, source: Int, fileOffset: Int,
                      table: ChannelTable, into ev: inout DecodedEvent) throws(DAQError) {
        func w(_ byte: Int) -> UInt32 { RawFileReader.word(bytes, start + byte) }
        func fail(_ byte: Int, _ why: String) -> DAQError { DAQError(.msadc, "source \(source) (MSADC): " + why, offset: fileOffset + byte) }
        var q = payload.lowerBound
        while q < payload.upperBound {
            let h = w(q)
            guard h >> 30 == MSADC.chipKey else { throw fail(q, "chip header 0x\(String(h, radix: 16)) lacks the 0b11 key") }
            guard h >> 24 & 1 == 0 else { throw fail(q, "chip reports an error") }
            guard h & 0xFFF == ev.header.eventInSpill & 0xFFF else {
                throw DAQError(.eventMismatch, "source \(source) (MSADC): chip says event \(h & 0xFFF), the headers \(ev.header.eventInSpill & 0xFFF) (low 12 bits)",
                               offset: fileOffset + q)
            }
            let words = Int(h >> 12 & 0xFFF)
            let end = q + 4 * words
            guard words >= 1, end <= payload.upperBound else { throw fail(q, "chip block of \(words) words runs past its equipment") }
            let port = Int(h >> 27 & 7), chip = Int(h >> 25 & 3)
            q += 4
            while q < end {
                let c = w(q)
                let n = Int(c >> 16 & 0x1FF), chan = Int(c >> 26 & 0xF)
                guard c >> 30 == MSADC.channelID, c >> 25 & 1 == 0 else { throw fail(q, "channel header 0x\(String(c, radix: 16)) lacks the 0b01 id") }
                guard n >= 1, n <= MSADC.maxSamples else { throw fail(q, "channel with \(n) samples (1-256 allowed)") }
                let dataWords = (n + 1) / 2
                guard q + 4 + 4 * dataWords <= end else { throw fail(q, "channel of \(n) samples runs past its chip block") }
                let cell = table.cell(sourceID: source, port: port, chip: chip, channel: chan)
                let data = bytes.baseAddress! + start + q + 4
                let sum: UInt32, badWord: Int
                if cell >= 0 {
                    guard ev.sampleCount[cell] == 0 else { throw fail(q, "channel \(port) \(chip << 4 | chan) appears twice") }
                    let base = ev.sampleEnd
                    ev.sampleStart[cell] = base
                    ev.sampleCount[cell] = n
                    ev.reserveSamples(n)
                    (sum, badWord) = ev.samples.withUnsafeMutableBufferPointer { samplesOf(data, count: n, into: $0.baseAddress! + base) }
                } else {
                    ev.notes.append((SourceNote(.unmappedChannel, source: source, found: UInt32(port << 6 | chip << 4 | chan)), fileOffset + q))
                    (sum, badWord) = samplesOf(data, count: n, into: nil)
                }
                guard badWord < 0 else {
                    throw fail(q + 4 + 4 * badWord, "data word 0x\(String(w(q + 4 + 4 * badWord), radix: 16)) has the wrong marker")
                }
                guard sum & 0xFFFF == c & 0xFFFF else { throw fail(q, "channel sum \(c & 0xFFFF) disagrees with its samples (\(sum & 0xFFFF))") }
                q += 4 + 4 * dataWords
            }
        }
    }
}
