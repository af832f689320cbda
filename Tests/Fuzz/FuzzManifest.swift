// libFuzzer entry point for the readers of a distributed job's files: every input is parsed as
// JSON (whatever is accepted must write and read back to the same value in every layout), read
// as a job manifest (which then checks its part files), and read for its identity as an EVC file
// would be (trailer and footer checksum). Built with the EventFormat sources by tools/fuzz; any
// crash, trap, hang, sanitizer report or failed check is a bug.
import JSON
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let v = try? JSON.parse(bytes) {
        for style in [JSONWriter.Style.pretty, .compact, .expanded] {
            precondition((try? JSON.parse(JSONWriter.encode(v, style: style))) == v, "a JSON value read back differently after writing it")
        }
    }
    if let path = fuzzInputFile(data, size, suffix: ".json"), let m = try? JobManifest(path: path) {
        _ = try? m.checkParts()
    }
    if let path = fuzzInputFile(data, size, suffix: ".evc") {
        _ = try? FileIdentity(path: path)
    }
    return 0
}
