#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Runs work on several threads of its own, for work that mostly waits (opening the footers of
/// many files, local or remote): the cores are not the limit there, the latency is.
enum Parallel {
    /// `body(i)` for every `i` in `0..<count`, on up to `width` threads; results in order.
    static func map<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        let results = Results<T>(count)
        let next = Atomic<Int>(0)
        let threads = max(1, min(width, count))
        if threads == 1 {
            for i in 0..<count { results.set(i, body(i)) }
            return results.values()
        }
        let work: @Sendable () -> Void = {
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < count else { return }
                results.set(i, body(i))
            }
        }
        var ids: [pthread_t] = []
        for _ in 1..<threads {
            let box = Unmanaged.passRetained(Job(work))
            var tid = pthread_t()
            if pthread_create(&tid, nil, { arg in
                let job = Unmanaged<Job>.fromOpaque(arg!).takeRetainedValue()
                job.run()
                return nil
            }, box.toOpaque()) == 0 {
                ids.append(tid)
            } else {
                box.release()
            }
        }
        work()
        for t in ids { pthread_join(t, nil) }
        return results.values()
    }

    final class Job: @unchecked Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    final class Results<T>: @unchecked Sendable {
        // Safe: each slot is written by exactly one thread, and read after all have joined.
        private let slots: UnsafeMutablePointer<T?>
        private let count: Int
        init(_ n: Int) {
            count = n
            slots = .allocate(capacity: n)
            slots.initialize(repeating: nil, count: n)
        }
        deinit {
            slots.deinitialize(count: count)
            slots.deallocate()
        }
        func set(_ i: Int, _ v: T) { slots[i] = v }
        func values() -> [T] { (0..<count).map { slots[$0]! } }
    }
}

/// Threads of their own for background reads of remote files (read-ahead): jobs that block on
/// the network must not take the threads the scan's workers run on, or a worker waiting for a
/// fetch could wait for a thread to run it. Started on first use, never stopped.
final class IOThreads: @unchecked Sendable {
    // Safe: `jobs` is touched only with `lock` held.
    static let shared = IOThreads(count: 8)

    private var jobs: [@Sendable () -> Void] = []
    // Heap-allocated: a pthread mutex and condition must not move.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let ready = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private init(count: Int) {
        pthread_mutex_init(lock, nil)
        pthread_cond_init(ready, nil)
        for _ in 0..<count {
            let box = Unmanaged.passRetained(Parallel.Job { IOThreads.shared.loop() })
            var tid = pthread_t()
            if pthread_create(&tid, nil, { arg in
                Unmanaged<Parallel.Job>.fromOpaque(arg!).takeRetainedValue().run()
                return nil
            }, box.toOpaque()) == 0 {
                pthread_detach(tid)
            } else {
                box.release()
            }
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(lock)
        jobs.append(job)
        pthread_cond_signal(ready)
        pthread_mutex_unlock(lock)
    }

    private func loop() {
        while true {
            pthread_mutex_lock(lock)
            while jobs.isEmpty { pthread_cond_wait(ready, lock) }
            let job = jobs.removeFirst()
            pthread_mutex_unlock(lock)
            job()
        }
    }
}
