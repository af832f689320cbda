import CKernels
import DAQ
import Testing

/// One physics event assembled word by word from Formats/RAW.md (section 15 shows it annotated),
/// decoded field by field, and rebuilt byte for byte by `RawEventBuilder`.
@Suite struct GoldenEventTests {
    static let words: [UInt32] = [
        // DATE header: size, magic, headLen, version, type 7, run 4242, event 7, spill 3 | event-in-spill 5,
        // trigger pattern, detector pattern, type attributes, ldc, gdc, time
        304, 0xDA1E_5AFE, 68, 0x0003_0006, 7, 4242, 7, 0x0030_0005, 1, 0, 1, 0, 0, 0, 0, 0, 1_750_000_054,
        // trigger time: equipment header, S-Link (4 words, source 1000, type 7), 1234567 us
        44, 4, 1000, 0, 0, 0, 4, 0x1FE8_0004, 0x0030_0005, 0x7000_0000, 1_234_567,
        // MSADC source 600: chip header (event 5, 4 words, port 0 chip 0), channel 0 with 4
        // samples (sum 5505), samples 200 210 | 1000 4095
        56, 1, 600, 0, 0, 0, 4, 0x1E58_0007, 0x0030_0005, 0x0300_0000, 0xC000_4005, 0x4004_1581, 0x400D_20C8, 0x80FF_F3E8,
        // APV source 700: plane 2 strip 161, frames 55 100 75
        48, 2, 700, 0, 0, 0, 4, 0x1EBC_0005, 0x0030_0005, 0x4100_0000, 0x4002_00A1, 0x84B1_9037,
        // straw source 701: plane 1 wire 33 time 880
        44, 3, 701, 0, 0, 0, 4, 0x1EBD_0004, 0x0030_0005, 0x4200_0000, 0xC121_0370,
        // CRC32C equipment, source 1023: CRC of the 300 bytes before it
        44, 0xC0C, 1023, 0, 0, 0, 4, 0x1FFF_0004, 0x0030_0005, 0x6000_0000, 0xE000_D076,
    ]

    static var bytes: [UInt8] { words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } } }

    @Test func builderReproducesTheGoldenEvent() {
        var b = RawEventBuilder()
        b.beginEvent(.physics, run: 4242, eventNumber: 7, spill: 3, eventInSpill: 5, trigger: 1, time: 1_750_000_054)
        b.beginEquipment(.tcs, sourceID: 1000)
        b.append(1_234_567)
        b.endEquipment()
        b.beginEquipment(.msadc, sourceID: 600)
        b.beginChip(port: 0, chip: 0, eventInSpill: 5)
        [200, 210, 1000, 4095].map(UInt16.init).withUnsafeBufferPointer { b.channel(0, samples: $0) }
        b.endChip()
        b.endEquipment()
        b.beginEquipment(.apv, sourceID: 700)
        b.strip(plane: 2, strip: 161, frames: (55, 100, 75))
        b.endEquipment()
        b.beginEquipment(.straw, sourceID: 701)
        b.straw(plane: 1, wire: 33, time: 880)
        b.endEquipment()
        b.endEvent()
        #expect(b.words == Self.words)
        #expect(b.bytes == Self.bytes)
    }

    @Test func readerAndDecoderGetEveryField() throws {
        let path = Scratch.write(Self.bytes, "golden.dat")
        let reader = try RawFileReader(path: path)
        let chunk = try #require(try reader.nextChunk())
        #expect(chunk.bad.isEmpty)
        #expect(chunk.events.count == 1)
        #expect(chunk.events[0].size == 304)
        var ev = DecodedEvent()
        let table = try ChannelMap.defaultMap().table(run: 4242)
        try EventDecoder.decode(chunk.bytes, at: 0, fileOffset: 0, table: table, into: &ev)
        #expect(ev.header == DATE.Header(size: 304, type: .physics, run: 4242, eventNumber: 7, spill: 3, eventInSpill: 5, trigger: 1, time: 1_750_000_054))
        #expect(ev.timeInSpillMicroseconds == 1_234_567)
        // Cell 0 is ECAL0 (0, 0): source 600, port 0, chip 0, channel 0 in the default map.
        #expect(ev.sampleCount[0] == 4)
        #expect(Array(ev.samples[ev.sampleStart[0]..<ev.sampleStart[0] + 4]) == [200, 210, 1000, 4095])
        #expect((1..<Cells.count).allSatisfy { ev.sampleCount[$0] == 0 })
        #expect(ev.stripPlane == [2] && ev.stripNumber == [161])
        #expect(ev.stripFrames.count == 1 && ev.stripFrames[0] == (55, 100, 75))
        #expect(ev.strawPlane == [1] && ev.strawWire == [33] && ev.strawTime == [880])
        #expect(try reader.nextChunk() == nil)
    }

    @Test func crcIsTheCastagnoliOfTheEventBeforeIt() {
        let b = Self.bytes
        #expect(dk_crc32c(0, b, 300) == 0xE000_D076)
    }
}

/// The decoder on bytes the reader has not checked: an error, never a crash.
@Suite struct UncheckedDecodeTests {
    @Test func decoderRejectsAnythingItCannotHold() throws {
        let table = try ChannelMap.defaultMap().table(run: 4242)
        let golden = GoldenEventTests.bytes
        var ev = DecodedEvent()
        var cases: [[UInt8]] = [[], Array(golden[..<40]), Array(golden[..<200])]
        var badType = golden
        badType[16] = 99
        cases.append(badType)
        var hugeEquipment = golden
        hugeEquipment[68 + 2] = 0x7F
        cases.append(hugeEquipment)
        for bytes in cases {
            #expect(throws: DAQError.self) {
                try bytes.withUnsafeBytes { try EventDecoder.decode($0, at: 0, fileOffset: 0, table: table, into: &ev) }
            }
        }
    }
}
