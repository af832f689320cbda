// libFuzzer entry point for the raw DAQ reader: every input is written as a raw file, read
// chunk by chunk with resynchronization (small chunks, so that events straddle them), and every
// event found is decoded with the default channel map and reconstructed. Built with the
// EventFormat and DAQ sources by tools/fuzz; any crash, trap, hang or sanitizer report is a bug.
#if canImport(Glibc)
import Glibc
#endif

let rawTable = try! ChannelMap.defaultMap().table(run: 1)
let rawCalibration = try! CalibrationFile.defaultFile().calibration(run: 1, map: rawTable)
let rawSchema = NA64Schema.make(converted: true)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let rawFuzzPath = fuzzInputFile(data, size, suffix: ".dat") else { return 0 }
    guard let reader = try? RawFileReader(path: rawFuzzPath, chunkSize: 1 << 16) else { return 0 }
    var ev = DecodedEvent()
    var reco = Reconstructor(calibration: rawCalibration, beamEnergy: 100)
    let batch = EventBatch(schema: rawSchema)
    let columns = NA64Columns(batch)
    while let chunk = try? reader.nextChunk() {
        for ref in chunk.events {
            do {
                try EventDecoder.decode(chunk.bytes, at: ref.bufferOffset, fileOffset: ref.fileOffset, table: rawTable, into: &ev)
                if ev.header.type == .physics { reco.append(ev, to: columns, rawFile: 0, rawOffset: ref.fileOffset) }
            } catch {}
        }
    }
    return 0
}
