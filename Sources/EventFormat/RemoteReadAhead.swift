import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Bytes in a malloc'd buffer this object owns (a remote client's vector read hands its buffer
/// over instead of copying it).
final class OwnedBytes: @unchecked Sendable {
    // Safe: written once by the fetch that made it, read-only afterwards, given back in deinit.
    let base: UnsafeMutableRawPointer
    let count: Int
    private let release: (UnsafeMutableRawPointer) -> Void
    /// Takes `base`, to be given back with `release`.
    init(taking base: UnsafeMutableRawPointer, count: Int, release: @escaping (UnsafeMutableRawPointer) -> Void) {
        self.base = base
        self.count = count
        self.release = release
    }
    init(count: Int) {
        base = malloc(max(count, 1))!
        self.count = count
        release = { free($0) }
    }
    deinit { release(base) }
}

/// Read-ahead for a remote file: ranges announced by `willNeed` are fetched in the background
/// (one vector read each call), kept until read whole or until the budget needs room, and handed to
/// `read` when they cover what it asks for; anything else is fetched at once. A failed
/// background fetch is not an error until a read needs those bytes (it is then fetched again,
/// so the read reports the failure itself). A transient failure that outlasted its retries (the
/// server stopped answering) fails every read of the file from then on, at once, including
/// reads waiting for other fetches: a scan stops after one round of timeouts, not one per range.
final class RemoteReadAhead: Sendable {
    /// Reads ranges, returning their bytes back to back.
    typealias Fetch = @Sendable ([ByteRange]) throws(EVCError) -> OwnedBytes

    final class Block: @unchecked Sendable {
        // Safe: `bytes` is written once by the fetching thread before `done` is left (nil when
        // the fetch failed), and read only after waiting on `done`.
        let range: ByteRange
        let done = DispatchGroup()
        var bytes: OwnedBytes?
        /// Bytes handed to readers so far (under the state lock): once all were, the block goes.
        var consumed = 0
        init(_ range: ByteRange) { self.range = range }
    }

    private struct State {
        var blocks: [Block] = []
        var bytes = 0
        var inFlight = 0
    }
    private let state = Mutex(State())
    private let failure = Mutex<EVCError?>(nil)
    private let fetch: Fetch
    /// Bytes held at most, and background fetches running at most.
    let budget: Int
    let maxInFlight: Int

    init(budget: Int = 256 << 20, maxInFlight: Int = 8, fetch: @escaping Fetch) {
        self.budget = budget
        self.maxInFlight = maxInFlight
        self.fetch = fetch
    }

    func willNeed(_ ranges: [ByteRange]) {
        let fresh: [Block] = state.withLock { s in
            var out: [Block] = []
            for r in ranges where r.count > 0 && !s.blocks.contains(where: { $0.range.offset <= r.offset && r.end <= $0.range.end }) {
                guard s.inFlight < maxInFlight else { break }
                // Make room by dropping the oldest blocks; never beyond the budget.
                while s.bytes + r.count > budget, let i = s.blocks.firstIndex(where: { _ in true }) {
                    s.bytes -= s.blocks[i].range.count
                    s.blocks.remove(at: i)
                }
                guard r.count <= budget else { continue }
                let b = Block(r)
                b.done.enter()
                s.blocks.append(b)
                s.bytes += r.count
                s.inFlight += 1
                out.append(b)
            }
            return out
        }
        for b in fresh {
            IOThreads.shared.submit { [fetch] in
                do throws(EVCError) {
                    b.bytes = try fetch([b.range])
                } catch {
                    self.note(error)
                }
                self.state.withLock { $0.inFlight -= 1 }
                b.done.leave()
            }
        }
    }

    func read(_ ranges: [ByteRange], into buffer: UnsafeMutableRawBufferPointer) throws(EVCError) {
        var missing: [(range: ByteRange, at: Int)] = []
        var at = 0
        for r in ranges {
            let block = state.withLock { s in s.blocks.first { $0.range.offset <= r.offset && r.end <= $0.range.end } }
            if let block {
                try wait(for: block)
                if let bytes = block.bytes {
                    if r.count > 0 { (buffer.baseAddress! + at).copyMemory(from: bytes.base + (r.offset - block.range.offset), byteCount: r.count) }
                    at += r.count
                    consume(block, r.count)
                    continue
                }
                drop(block)
            }
            missing.append((r, at))
            at += r.count
        }
        guard !missing.isEmpty else { return }
        // One vector read for everything not read ahead.
        if let e = failure.withLock({ $0 }) { throw e }
        let bytes: OwnedBytes
        do throws(EVCError) {
            bytes = try fetch(missing.map(\.range))
        } catch {
            note(error)
            throw error
        }
        var from = 0
        for m in missing where m.range.count > 0 {
            (buffer.baseAddress! + m.at).copyMemory(from: bytes.base + from, byteCount: m.range.count)
            from += m.range.count
        }
    }

    /// Remembers a failure that outlasted its retries.
    private func note(_ error: EVCError) {
        if error.transient { failure.withLock { if $0 == nil { $0 = error } } }
    }

    /// Waits for a block's fetch, giving up as soon as the file has failed.
    private func wait(for block: Block) throws(EVCError) {
        while block.done.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
            if let e = failure.withLock({ $0 }) { throw e }
        }
    }

    /// Counts `n` bytes of `block` as read; a block read whole is dropped (its buffer reused).
    func consume(_ block: Block, _ n: Int) {
        let finished = state.withLock { _ in
            block.consumed += n
            return block.consumed >= block.range.count
        }
        if finished { drop(block) }
    }

    func drop(_ block: Block) {
        state.withLock { s in
            if let i = s.blocks.firstIndex(where: { $0 === block }) {
                s.bytes -= block.range.count
                s.blocks.remove(at: i)
            }
        }
    }

    /// Forgets everything read ahead (waiting for fetches in flight).
    func clear() {
        let blocks = state.withLock { s in
            let b = s.blocks
            s.blocks = []
            s.bytes = 0
            return b
        }
        for b in blocks { b.done.wait() }
    }
}

/// What remote sources share: the request timeout and retries of transient failures.
public enum Remote {
    /// Seconds one request to a remote server may take: `DARKSCAN_REMOTE_TIMEOUT` when set,
    /// else 30; settable (1 to 3600) before files are opened.
    public static var timeout: Int {
        get { timeoutSetting.load(ordering: .relaxed) }
        set { timeoutSetting.store(min(max(newValue, 1), 3600), ordering: .relaxed) }
    }
    private static let timeoutSetting = Atomic<Int>({
        if let v = getenv("DARKSCAN_REMOTE_TIMEOUT"), let n = Int(String(cString: v)), n > 0, n <= 3600 { return n }
        return 30
    }())
    /// Attempts of an operation that fails transiently.
    static let attempts = 3

    /// An `.io` error from a C client's failure: `message` is its fixed-size NUL-terminated
    /// text (a C char array, imported as a tuple).
    static func error<Message>(_ message: Message, transient: Bool, _ url: String, _ what: String, offset: Int? = nil) -> EVCError {
        var m = message
        let text = withUnsafeBytes(of: &m) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var error = EVCError(.io, "\(what): \(text)", path: url, offset: offset)
        error.transient = transient
        return error
    }

    /// Runs `body`, again after a pause (0.25 s, then 0.5 s) when it fails transiently, calling
    /// `reopen` before each new attempt.
    static func retrying<T>(_ url: String, reopen: (() throws(EVCError) -> Void)? = nil, _ body: () throws(EVCError) -> T) throws(EVCError) -> T {
        var attempt = 1
        while true {
            do throws(EVCError) {
                return try body()
            } catch {
                guard error.transient, attempt < attempts else {
                    var e = error
                    if error.transient { e.message += " (after \(attempt) attempts)" }
                    throw e
                }
                usleep(UInt32(250_000 << (attempt - 1)))
                attempt += 1
                try? reopen?()
            }
        }
    }
}
