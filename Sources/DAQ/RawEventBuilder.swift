import CKernels

/// Builds DATE events word by word in a reused buffer (Formats/RAW.md): the header, equipments
/// with their S-Link headers, MSADC chip blocks, tracker hits, and the closing CRC32C equipment.
/// The simulator writes raw files with it; tests build golden and broken events with it.
public struct RawEventBuilder: Sendable {
    /// The words of the events built so far (cleared by `removeAll`).
    public private(set) var words: [UInt32] = []
    private var eventStart = 0
    private var equipmentStart = -1
    private var chipStart = -1
    private var spillField: UInt32 = 0
    private var slinkType: UInt32 = 0

    public init(capacity: Int = 4096) { words.reserveCapacity(capacity) }

    public mutating func removeAll() {
        words.removeAll(keepingCapacity: true)
    }

    /// Starts an event; `time` is unix seconds.
    public mutating func beginEvent(_ type: DATE.EventType, run: UInt32, eventNumber: UInt32, spill: UInt32, eventInSpill: UInt32,
                                    trigger: UInt32 = 0, time: UInt32 = 0) {
        eventStart = words.count
        spillField = (eventInSpill & 0xF_FFFF) | (spill & 0x7FF) << 20
        slinkType = type.rawValue & 0x1F
        words.append(contentsOf: [
            0, DATE.magic, UInt32(DATE.headerSize), DATE.version, type.rawValue, run, eventNumber,
            (eventInSpill & 0xF_FFFF) | (spill & 0xFFF) << 20, trigger, 0, 1, 0, 0, 0, 0, 0, time,
        ])
    }

    /// Starts an equipment of `kind` from S-Link source `sourceID`.
    public mutating func beginEquipment(_ kind: Equipment.Kind, sourceID: UInt32) {
        equipmentStart = words.count
        words.append(contentsOf: [0, kind.rawValue, sourceID, 0, 0, 0, 4])
        words.append((sourceID & 0x3FF) << 16 | slinkType << 26)
        words.append(spillField)
        words.append(kind.format << 24)
    }

    public mutating func append(_ w: UInt32) { words.append(w) }

    /// Closes the open equipment, filling in its two sizes.
    public mutating func endEquipment() {
        let slinkWords = words.count - equipmentStart - Equipment.headerSize / 4
        words[equipmentStart] = UInt32(4 * (words.count - equipmentStart))
        words[equipmentStart + 7] |= UInt32(slinkWords & 0xFFFF)
        equipmentStart = -1
    }

    /// Starts an MSADC chip block inside an MSADC equipment.
    public mutating func beginChip(port: Int, chip: Int, eventInSpill: UInt32) {
        chipStart = words.count
        words.append((eventInSpill & 0xFFF) | UInt32(chip & 3) << 25 | UInt32(port & 7) << 27 | MSADC.chipKey << 30)
    }

    /// One channel of the open chip: its header and samples two per word with markers.
    public mutating func channel(_ chan: Int, samples: UnsafeBufferPointer<UInt16>) {
        var sum: UInt32 = 0
        for s in samples { sum &+= UInt32(s) }
        words.append((sum & 0xFFFF) | UInt32(samples.count & 0x1FF) << 16 | UInt32(chan & 0xF) << 26 | MSADC.channelID << 30)
        var k = 0
        while k < samples.count {
            let a = UInt32(samples[k] & 0xFFF), b = k + 1 < samples.count ? UInt32(samples[k + 1] & 0xFFF) : 0
            words.append(a | b << 12 | (k == 0 ? MSADC.firstMarker : MSADC.nextMarker) << 24)
            k += 2
        }
    }

    public mutating func endChip() {
        words[chipStart] |= UInt32((words.count - chipStart) & 0xFFF) << 12
        chipStart = -1
    }

    /// One Micromegas strip hit (APV equipment): address word and three 10-bit frames.
    public mutating func strip(plane: Int, strip: Int, frames: (UInt32, UInt32, UInt32)) {
        words.append(UInt32(strip & 0xFFFF) | UInt32(plane & 0x3F) << 16 | 0b01 << 30)
        words.append(min(frames.0, 1023) | min(frames.1, 1023) << 10 | min(frames.2, 1023) << 20 | 0b10 << 30)
    }

    /// One straw hit (straw equipment).
    public mutating func straw(plane: Int, wire: Int, time: UInt32) {
        words.append((time & 0xFFFF) | UInt32(wire & 0xFF) << 16 | UInt32(plane & 0x3F) << 24 | 0b11 << 30)
    }

    /// Text padded with zero bytes to whole words (run information).
    public mutating func text(_ s: String) {
        var bytes = Array(s.utf8)
        while bytes.count % 4 != 0 { bytes.append(0) }
        for i in stride(from: 0, to: bytes.count, by: 4) {
            words.append(UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }

    /// Closes the event: appends the CRC32C equipment (unless `crc` is false) and fills in the size.
    public mutating func endEvent(crc: Bool = true) {
        if crc {
            beginEquipment(.crc32c, sourceID: Equipment.crcSourceID)
            words.append(0)
            endEquipment()
        }
        words[eventStart] = UInt32(4 * (words.count - eventStart))
        if crc {
            let n = words.count - eventStart - 1
            let value = words.withUnsafeBufferPointer { dk_crc32c(0, $0.baseAddress! + eventStart, 4 * n) }
            words[words.count - 1] = value
        }
    }

    /// The built words as little-endian bytes.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: words.count * 4)
        out.withUnsafeMutableBytes { dst in
            for (i, w) in words.enumerated() { dst.storeBytes(of: w.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        }
        return out
    }
}
