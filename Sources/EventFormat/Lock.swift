import Synchronization

/// A small mutual-exclusion lock for counters and caches shared between worker threads.
final class NSLockLike: Sendable {
    private let mutex = Mutex<Void>(())
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        try mutex.withLock { _ in try body() }
    }
}
