#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only. The mapping lives as long as this object; its bytes are
/// immutable, so any number of threads may read them at once.
final class MappedFile: Sendable {
    let path: String
    // Safe: the mapping is read-only and unmapped only in deinit.
    nonisolated(unsafe) let bytes: UnsafeRawBufferPointer

    init(path: String) throws(EVCError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EVCError(.io, "cannot open: \(String(cString: strerror(errno)))", path: path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw EVCError(.io, "cannot stat: \(String(cString: strerror(errno)))", path: path) }
        guard (st.st_mode & S_IFMT) != S_IFDIR else { throw EVCError(.io, "is a directory, not an EVC file", path: path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw EVCError(.io, "is not a regular file", path: path) }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw EVCError(.io, "cannot map \(size) bytes: \(String(cString: strerror(errno)))", path: path)
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// Tells the kernel the whole file will be read in order.
    func adviseSequential() {
        if let base = bytes.baseAddress { madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_SEQUENTIAL) }
    }
}
