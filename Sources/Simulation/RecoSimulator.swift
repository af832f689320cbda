import Dispatch
import DAQ
import EventFormat

/// Generates NA64 invisible-mode events at the reconstructed level (the columns of
/// `NA64Schema.make()`): the physics of `PhysicsGenerator`, then cell noise, calorimeter sums,
/// track and Micromegas hits drawn with the detector's resolutions, skipping the readout. Events
/// come in blocks; block b is drawn from its own random stream, so output is the same for any
/// number of threads.
public struct RecoSimulator: Sendable {
    public var run: UInt32
    public var seed: UInt64
    public var physics: PhysicsGenerator
    public static let blockSize = 16384

    public init(run: UInt32, seed: UInt64, beam: PhysicsGenerator.Beam = .electron, energy: Double = 100, signalRate: Double = 0,
                massMeV: Double = 10) {
        self.run = run
        self.seed = seed
        self.physics = PhysicsGenerator(beam: beam, energy: energy, signalRate: signalRate, massMeV: massMeV, pileUp: .inTime)
    }

    /// Writes `events` events to `writer`, generating blocks on `threads` threads.
    /// `progress` is called with the events written so far.
    public func write(events: Int, to writer: EVCWriter, threads: Int, progress: ((Int) -> Void)? = nil) throws(EVCError) {
        let blocks = (events + Self.blockSize - 1) / Self.blockSize
        var next = 0
        while next < blocks {
            let group = min(max(threads, 1) * 2, blocks - next)
            let out = BatchSlots(group)
            let first = next
            DispatchQueue.concurrentPerform(iterations: group) { k in
                let b = first + k
                let n = min(Self.blockSize, events - b * Self.blockSize)
                out.slots[k] = self.block(b, count: n)
            }
            for k in 0..<group {
                try writer.write(out.slots[k]!)
                progress?(min(events, (first + k + 1) * Self.blockSize))
            }
            next += group
        }
    }

    final class BatchSlots: @unchecked Sendable {
        // Safe: each concurrent iteration writes only its own slot.
        var slots: [EventBatch?]
        init(_ n: Int) { slots = Array(repeating: nil, count: n) }
    }

    /// Block `b` of the run: events b*blockSize ..< b*blockSize + count.
    public func block(_ b: Int, count: Int) -> EventBatch {
        var batch = EventBatch(schema: NA64Schema.make(), capacity: count)
        var rng = SimRandom(seed: seed, stream: UInt64(b))
        let c = NA64Columns(batch)
        var truth = TrueEvent()
        for i in 0..<count {
            physics.generate(&rng, into: &truth)
            event(number: b * Self.blockSize + i, truth: &truth, &rng, c)
        }
        // Safe: every column was filled for `count` events above.
        try! batch.commitEvents(count)
        return batch
    }

    func event(number: Int, truth t: inout TrueEvent, _ rng: inout SimRandom, _ c: NA64Columns) {
        let k = physics.constants
        for i in 0..<72 { t.ecal[i] += k.ecalNoise * rng.gauss() }
        for i in 0..<36 { t.hcal[i] += k.hcalNoise * rng.gauss() }
        let chi2 = t.kind == .hadron ? 3 + rng.exponential(mean: 8) : chiSquare(4, &rng) / 4
        let spillNumber = number / k.eventsPerSpill + 1
        let inSpill = number % k.eventsPerSpill

        c.run.append(run)
        c.spill.append(UInt16(truncatingIfNeeded: spillNumber))
        c.event.append(UInt64(number))
        c.trigger.append(UInt8(1))
        c.timeInSpill.append(Float(Double(inSpill) / Double(k.eventsPerSpill) * k.spillSeconds))
        let ecalSum = t.ecal.withUnsafeBufferPointer { c.appendECAL($0) }
        c.ecalChi2.append(Float(chi2))
        t.hcal.withUnsafeBufferPointer { c.appendHCAL($0) }
        t.veto.withUnsafeBufferPointer { c.appendVeto($0, countThreshold: k.vetoThreshold) }
        t.srd.withUnsafeBufferPointer { c.appendSRD($0) }
        c.trackP.append(Float(t.momentum * (1 + 0.01 * rng.gauss())))
        c.trackChi2.append(Float(chiSquare(3, &rng) / 3))
        c.nTracks.append(UInt8(1 + (rng.uniform() < 0.05 ? 1 : 0)))
        c.missing.append(Float(physics.energy - ecalSum))
        // Micromegas hits near the beam spot, one cluster of strips per plane.
        var total = NA64Columns.lastOffset(c.hitOffsets)
        for plane in 0..<k.mmPlanes where rng.uniform() < 0.95 {
            let centre = 160 + 3 * rng.gauss()
            for s in 0..<(1 + Int(rng.uniform() * 3)) {
                c.hitPlane.append(UInt8(plane))
                c.hitStrip.append(UInt16(max(0, min(319, centre + Double(s)))))
                c.hitAmp.append(Float(max(1, 80 + 40 * rng.gauss())))
                c.hitTime.append(Float(5 * rng.gauss()))
                total += 1
            }
        }
        c.hitOffsets.append(total)
    }

    func chiSquare(_ dof: Int, _ rng: inout SimRandom) -> Double {
        var s = 0.0
        for _ in 0..<dof {
            let g = rng.gauss()
            s += g * g
        }
        return s
    }
}
