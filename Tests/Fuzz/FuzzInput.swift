// What both fuzz targets share: each input is written to a file in /dev/shm, since the readers
// under test take paths.
#if canImport(Glibc)
import Glibc
#endif

/// Writes the fuzzer's input to this process's input file (ending in `suffix`); nil if it cannot.
func fuzzInputFile(_ data: UnsafePointer<UInt8>, _ size: Int, suffix: String) -> String? {
    let path = "/dev/shm/darkscan-fuzz-\(getpid())\(suffix)"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return nil }
    _ = write(fd, data, size)
    close(fd)
    return path
}
