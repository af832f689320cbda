#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for writing through POSIX calls, with its write position tracked and every
/// failure turned into an `EVCError` naming the path.
package final class OutputFile {
    package let path: String
    private var fd: Int32
    package private(set) var position: Int

    /// Creates (or truncates) `path`.
    package init(creating path: String) throws(EVCError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EVCError(.io, "cannot create: \(String(cString: strerror(errno)))", path: path) }
        position = 0
    }

    /// Opens an existing file for appending at `offset` after truncating it there.
    package init(truncating path: String, at offset: Int) throws(EVCError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EVCError(.io, "cannot open for writing: \(String(cString: strerror(errno)))", path: path) }
        position = offset
        guard ftruncate(fd, off_t(offset)) == 0, lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
            let e = String(cString: strerror(errno))
            close(fd)
            throw EVCError(.io, "cannot truncate to \(offset) bytes: \(e)", path: path)
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    package func write(_ bytes: UnsafeRawBufferPointer) throws(EVCError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw EVCError(.io, "write failed: \(String(cString: strerror(errno)))", path: path, offset: position + done)
            }
            done += n
        }
        position += bytes.count
    }

    package func write(_ bytes: [UInt8]) throws(EVCError) {
        let result: Result<Void, EVCError> = bytes.withUnsafeBytes { b in Result { () throws(EVCError) in try write(b) } }
        try result.get()
    }

    package func sync() throws(EVCError) {
        guard fsync(fd) == 0 else { throw EVCError(.io, "fsync failed: \(String(cString: strerror(errno)))", path: path) }
    }

    package func closeFile() throws(EVCError) {
        let r = close(fd)
        fd = -1
        guard r == 0 else { throw EVCError(.io, "close failed: \(String(cString: strerror(errno)))", path: path) }
    }
}

package enum FileSystem {
    package static func rename(_ from: String, to: String) throws(EVCError) {
        guard Glibc.rename(from, to) == 0 else {
            throw EVCError(.io, "cannot rename to '\(to)': \(String(cString: strerror(errno)))", path: from)
        }
    }

    package static func remove(_ path: String) { unlink(path) }

    /// Makes a rename durable by syncing the directory that holds `path`.
    package static func syncDirectory(of path: String) {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    package static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
