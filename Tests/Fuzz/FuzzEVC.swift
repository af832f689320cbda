// libFuzzer entry point for the EVC reader: every input is opened as a file, its index loaded,
// every cluster read and verified, and the recovery walk run over the same bytes. Built with
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
    }
    _ = try? Recovery.walk(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
