import Dispatch

/// Overlaps a merge's two halves: a thread reads each stretch of pages and checks its
/// checksums into one of a few buffers while the caller writes the stretch before it. Reading
/// and writing a byte are each a copy through the page cache; on two cores they run at once.
final class MergeRing: @unchecked Sendable {
    // Safe: a slot is written by the reader between `free.wait()` and `filled.signal()`, and
    // read by the writer between `filled.wait()` and `free.signal()`; `failure` is set by the
    // reader before the signal that the writer waits on.
    static let depth = 4
    let slots = (0..<MergeRing.depth).map { _ in ColumnBuffer(type: .uint8) }
    let filled = DispatchSemaphore(value: 0)
    /// Starts at 0 and is signalled `depth` times: libdispatch traps when a semaphore is freed
    /// below its initial value, which a stopped ring leaves it.
    let free = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    var failure: EVCError?

    init() { for _ in 0..<MergeRing.depth { free.signal() } }

    /// Reads `stretches` in order on another thread (`load(k, into:)` reads and checks stretch
    /// k into a buffer) and hands each to `write` on this one. The first error of either side
    /// stops both and is thrown.
    static func run(_ stretches: Int, load: @escaping (Int, ColumnBuffer) throws(EVCError) -> Void,
                    write: (UnsafeRawBufferPointer) throws(EVCError) -> Void) throws(EVCError) {
        let ring = MergeRing()
        nonisolated(unsafe) let load = load
        let stop = StopFlag()
        ring.done.enter()
        DispatchQueue.global().async {
            defer { ring.done.leave() }
            for k in 0..<stretches {
                ring.free.wait()
                if stop.value { return }
                do throws(EVCError) {
                    try load(k, ring.slots[k % depth])
                } catch {
                    ring.failure = error
                    ring.filled.signal()
                    return
                }
                ring.filled.signal()
            }
        }
        var failure: EVCError?
        for k in 0..<stretches {
            ring.filled.wait()
            if let e = ring.failure {
                failure = e
                break
            }
            do throws(EVCError) {
                try write(ring.slots[k % depth].rawBytes)
            } catch {
                failure = error
                break
            }
            ring.free.signal()
        }
        if failure != nil {
            // Let the reader run out: it stops at its next slot.
            stop.value = true
            ring.free.signal()
        }
        ring.done.wait()
        if let failure { throw failure }
    }

    final class StopFlag: @unchecked Sendable {
        // Safe: set once by the writer before it signals the reader, read by the reader after.
        var value = false
    }
}
