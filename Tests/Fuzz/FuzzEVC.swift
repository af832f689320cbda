// libFuzzer entry point for the EVC reader: every input is opened as a file, its index and
// exposure table loaded, every cluster read and verified, and the recovery walk run over the
// same bytes; the bytes are also parsed as an exposure record and as a good-spill list. Built with
// the EventFormat sources by tools/fuzz; any crash, trap, hang or sanitizer report is a bug.
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let fuzzPath = fuzzInputFile(data, size, suffix: ".evc") else { return 0 }
    if let file = try? EVCFile(path: fuzzPath) {
        if let clusters = try? file.clusters() {
            for i in clusters.indices {
                _ = try? file.readEvents(cluster: i)
                _ = try? file.readEvents(cluster: i, events: 0..<min(1, clusters[i].eventCount))
            }
        }
        _ = file.verify()
        _ = try? file.exposure()
    }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? Recovery.walk(bytes)
    _ = try? ExposureBlock.parse(bytes, fileOffset: 0)
    _ = try? SpillList(text: String(decoding: bytes, as: UTF8.self), name: "fuzz")
    return 0
}
