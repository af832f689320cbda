#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import Synchronization

/// A local file read with `pread` into the caller's buffers. No mapping: a file truncated or
/// failing (EIO on a network or FUSE mount) while it is read gives an error naming the byte.
///
/// Descriptors come from a process-wide pool of at most `DescriptorPool.limit` open files, so a
/// dataset of any number of files never runs out of them; an idle descriptor is closed when
/// the pool needs room and reopened on the next read (the file is checked to be the same one).
public final class LocalFile: ByteSource {
    public let name: String
    public let size: Int
    public var coalesceGap: Int { 1 << 20 }
    /// Device and inode when opened: a file replaced under the same name is an error.
    let identity: (dev: UInt64, ino: UInt64)

    public init(path: String) throws(EVCError) {
        name = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EVCError(.io, "cannot open: \(String(cString: strerror(errno)))", path: path) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw EVCError(.io, "cannot stat: \(String(cString: strerror(e)))", path: path)
        }
        guard (st.st_mode & S_IFMT) != S_IFDIR else { close(fd); throw EVCError(.io, "is a directory, not an EVC file", path: path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { close(fd); throw EVCError(.io, "is not a regular file", path: path) }
        size = Int(st.st_size)
        identity = (UInt64(st.st_dev), UInt64(st.st_ino))
        DescriptorPool.shared.adopt(ObjectIdentifier(self), fd: fd)
    }

    deinit { DescriptorPool.shared.forget(ObjectIdentifier(self)) }

    /// Set once a read found bytes that were not in the page cache: only then are read-ahead
    /// hints worth their cost (on a file already in memory they only walk the cache).
    private let coldReads = Atomic<Bool>(false)

    public func read(_ ranges: [ByteRange], into buffer: UnsafeMutableRawBufferPointer) throws(EVCError) {
        let fd = try DescriptorPool.shared.acquire(ObjectIdentifier(self)) { () throws(EVCError) in try reopen() }
        defer { DescriptorPool.shared.release(ObjectIdentifier(self)) }
        var at = 0
        for r in ranges where r.count > 0 {
            precondition(at + r.count <= buffer.count, "read ranges exceed the buffer")
            var done = 0
            if !coldReads.load(ordering: .relaxed) {
                // From the page cache only: a miss (EAGAIN or a short read) marks the file cold.
                let n = dk_pread_cached(fd, buffer.baseAddress! + at, r.count, Int64(r.offset))
                if n > 0 { done = n }
                if n < r.count { coldReads.store(true, ordering: .relaxed) }
            }
            while done < r.count {
                let n = pread(fd, buffer.baseAddress! + at + done, r.count - done, off_t(r.offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw EVCError(.io, "read of \(r.count) bytes failed: \(String(cString: strerror(errno)))", path: name, offset: r.offset + done)
                }
                if n == 0 {
                    var st = stat()
                    let now = fstat(fd, &st) == 0 ? " (it is now \(st.st_size) bytes; it was \(size) when opened)" : ""
                    throw EVCError(.truncated, "file ends before byte \(r.offset + r.count): it shrank while being read\(now)", path: name, offset: r.offset + done)
                }
                done += n
            }
            at += r.count
        }
    }

    public func willNeed(_ ranges: [ByteRange]) {
        guard coldReads.load(ordering: .relaxed), let fd = try? DescriptorPool.shared.acquire(ObjectIdentifier(self), reopen: { () throws(EVCError) in try reopen() }) else { return }
        defer { DescriptorPool.shared.release(ObjectIdentifier(self)) }
        #if canImport(Glibc)
        for r in ranges { _ = posix_fadvise(fd, off_t(r.offset), off_t(r.count), POSIX_FADV_WILLNEED) }
        #endif
    }

    /// Keeps the descriptor: an open file stays readable after its name is removed. The pool
    /// closes the least recently used ones when a dataset holds more files than it allows.
    public func relinquish() {}

    /// Opens the path again after the pool closed the descriptor; it must be the same file.
    private func reopen() throws(EVCError) -> Int32 {
        let fd = open(name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EVCError(.io, "cannot open again: \(String(cString: strerror(errno)))", path: name) }
        var st = stat()
        guard fstat(fd, &st) == 0, UInt64(st.st_dev) == identity.dev, UInt64(st.st_ino) == identity.ino else {
            close(fd)
            throw EVCError(.io, "the file was replaced while the dataset was open", path: name)
        }
        return fd
    }
}

/// Open descriptors of `LocalFile`s, at most `limit` at once (a quarter of the process's limit,
/// 64 to 4096): opening one more closes the least recently used idle one, reopened by name when
/// read again. A descriptor in use by a read is never closed under it.
final class DescriptorPool: Sendable {
    static let shared: DescriptorPool = {
        var r = rlimit()
        let soft = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &r) == 0 ? Int(clamping: r.rlim_cur) : 1024
        return DescriptorPool(limit: min(max(soft / 4, 64), 4096))
    }()

    struct Entry {
        var fd: Int32
        var users = 0
        var lastUse: UInt64 = 0
    }
    struct State {
        var open: [ObjectIdentifier: Entry] = [:]
        var clock: UInt64 = 0
    }
    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    func adopt(_ id: ObjectIdentifier, fd: Int32) {
        let extra: Int32? = state.withLock { s in
            s.clock += 1
            s.open[id] = Entry(fd: fd, lastUse: s.clock)
            return evictLocked(&s)
        }
        if let extra { close(extra) }
    }

    /// The descriptor of `id`, opened with `reopen` when the pool closed it; counted as in use
    /// until `release`.
    func acquire(_ id: ObjectIdentifier, reopen: () throws(EVCError) -> Int32) throws(EVCError) -> Int32 {
        let fd: Int32? = state.withLock { s in
            guard var e = s.open[id] else { return nil }
            s.clock += 1
            e.users += 1
            e.lastUse = s.clock
            s.open[id] = e
            return e.fd
        }
        if let fd { return fd }
        let opened = try reopen()
        let (use, extra): (Int32, Int32?) = state.withLock { s in
            s.clock += 1
            if var e = s.open[id] {
                // Another thread reopened it meanwhile: use theirs.
                e.users += 1
                e.lastUse = s.clock
                s.open[id] = e
                return (e.fd, opened)
            }
            s.open[id] = Entry(fd: opened, users: 1, lastUse: s.clock)
            return (opened, evictLocked(&s))
        }
        if let extra { close(extra) }
        return use
    }

    func release(_ id: ObjectIdentifier) {
        state.withLock { s in s.open[id]?.users -= 1 }
    }

    func forget(_ id: ObjectIdentifier) {
        if let e = state.withLock({ s in s.open.removeValue(forKey: id) }) { close(e.fd) }
    }

    /// Over the limit: takes the least recently used idle entry out and returns its descriptor.
    private func evictLocked(_ s: inout State) -> Int32? {
        guard s.open.count > limit else { return nil }
        guard let victim = s.open.filter({ $0.value.users == 0 }).min(by: { $0.value.lastUse < $1.value.lastUse }) else { return nil }
        s.open[victim.key] = nil
        return victim.value.fd
    }
}
