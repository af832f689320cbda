import Dispatch
import EventFormat

/// Makes numbered blocks in parallel, a group of 2 per thread at a time, and hands them to a
/// consumer in order on one serial queue while the next groups are being made: generation and
/// writing overlap (also while the writer compresses a whole cluster), and at most `depth`
/// groups wait in memory.
enum BlockPipeline {
    final class Slots<T>: @unchecked Sendable {
        // Safe: each concurrent iteration writes only its own slot; the consumer reads after all finish.
        var items: [T?]
        init(_ n: Int) { items = Array(repeating: nil, count: n) }
    }

    final class Failure: @unchecked Sendable {
        // Safe: written by the serial consumer queue, read after waiting for it.
        var error: EVCError?
    }

    struct Consumer<T>: @unchecked Sendable {
        // Safe: called only from the one serial queue.
        let body: (Int, T) throws(EVCError) -> Void
    }

    static func run<T>(count: Int, threads: Int, depth: Int = 4, make: @escaping @Sendable (Int) -> T,
                       consume: @escaping (Int, T) throws(EVCError) -> Void) throws(EVCError) {
        let group = max(threads, 1) * 2
        let queue = DispatchQueue(label: "darkscan.simulate.write")
        let inFlight = DispatchGroup()
        let room = DispatchSemaphore(value: max(depth, 1))
        let failure = Failure()
        let consumer = Consumer(body: consume)
        var first = 0
        while first < count {
            let n = min(group, count - first)
            let slots = Slots<T>(n)
            let base = first
            if threads <= 1 {
                for k in 0..<n { slots.items[k] = make(base + k) }
            } else {
                DispatchQueue.concurrentPerform(iterations: n) { k in slots.items[k] = make(base + k) }
            }
            room.wait()
            if let e = failure.error {
                inFlight.wait()
                // Give the slot back: libdispatch traps when a semaphore is freed below its
                // initial value (the "Illegal instruction" a full disk used to end in).
                room.signal()
                throw e
            }
            queue.async(group: inFlight) {
                defer { room.signal() }
                for k in 0..<n where failure.error == nil {
                    do throws(EVCError) {
                        try consumer.body(base + k, slots.items[k]!)
                    } catch {
                        failure.error = error
                    }
                    slots.items[k] = nil
                }
            }
            first += n
        }
        inFlight.wait()
        if let e = failure.error { throw e }
    }
}
