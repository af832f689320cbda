import Dispatch
import DAQ
import EventFormat

/// Generates NA64 invisible-mode events at the reconstructed level (the columns of
/// `NA64Schema.make()`): the physics of `PhysicsGenerator`, then cell noise, calorimeter sums,
/// track and Micromegas hits drawn with the detector's resolutions, skipping the readout. Events
/// come in blocks; block b is drawn from its own random stream, so output is the same for any
/// number of threads.
public struct RecoSimulator: Sendable {
    /// full: every column of `NA64Schema.make()` (cells, hit lists); summary: the scalar columns
    /// of `NA64Schema.summary()` drawn from the same physics without per-cell work.
    public enum Profile: String, Sendable, CaseIterable { case full, summary }


    public var run: UInt32
    public var seed: UInt64
    public var physics: PhysicsGenerator
    public var profile: Profile
    public static let blockSize = 16384
    /// Centre of gravity of the main-ECAL shower: table over the impact offset (see `Showers`).
    let showers: ShowerCentres

    public init(run: UInt32, seed: UInt64, beam: PhysicsGenerator.Beam = .electron, energy: Double = 100, signalRate: Double = 0,
                massMeV: Double = 10, profile: Profile = .full) {
        self.run = run
        self.seed = seed
        self.profile = profile
        self.physics = PhysicsGenerator(beam: beam, energy: energy, signalRate: signalRate, massMeV: massMeV, pileUp: .inTime)
        self.showers = ShowerCentres(constants: physics.constants)
    }

    public var schema: Schema { profile == .full ? NA64Schema.make() : NA64Schema.summary() }

    /// Writes `events` events to `writer`, generating blocks on `threads` threads.
    /// `progress` is called with the events written so far.
    /// Writes `events` events to `writer`, generating blocks on `threads` threads. With
    /// `firstEvent` (a multiple of `blockSize`) it writes events firstEvent ..< firstEvent+events
    /// of the run, the same events a whole run has there (slices of a run, for benchmarks).
    /// `progress` is called with the events written so far.
    public func write(events: Int, firstEvent: Int = 0, to writer: EVCWriter, threads: Int, progress: ((Int) -> Void)? = nil) throws(EVCError) {
        precondition(firstEvent % Self.blockSize == 0, "firstEvent must be a multiple of \(Self.blockSize)")
        let firstBlock = firstEvent / Self.blockSize
        let blocks = (events + Self.blockSize - 1) / Self.blockSize
        try BlockPipeline.run(count: blocks, threads: threads, make: { k in
            self.block(firstBlock + k, count: min(Self.blockSize, events - k * Self.blockSize))
        }, consume: { (k, batch: EventBatch) throws(EVCError) in
            try writer.write(batch)
            progress?(min(events, (k + 1) * Self.blockSize))
        })
    }

    /// Block `b` of the run: events b*blockSize ..< b*blockSize + count.
    public func block(_ b: Int, count: Int) -> EventBatch {
        if profile == .summary { return summaryBlock(b, count: count) }
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
        for i in 0..<72 { t.ecal[i] += k.ecalNoise * rng.fastGauss() }
        for i in 0..<36 { t.hcal[i] += k.hcalNoise * rng.fastGauss() }
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
        Self.firstThree(t.veto) { c.appendVeto($0, countThreshold: k.vetoThreshold) }
        Self.firstThree(t.srd) { c.appendSRD($0) }
        c.trackP.append(Float(t.momentum * (1 + 0.01 * rng.gauss())))
        c.trackChi2.append(Float(chiSquare(3, &rng) / 3))
        c.nTracks.append(UInt8(1 + (rng.uniform() < 0.05 ? 1 : 0)))
        c.missing.append(Float(physics.energy - ecalSum))
        c.trackPOut.append(Float(Self.outgoingMomentum(t, &rng)))
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

    /// The downstream spectrometer's measurement of the leading outgoing particle: its
    /// deflection error (0.2 mrad [est], Geometry) over the kick gives σp/p; NaN when nothing
    /// leaves the HCAL or it is bent off the planes (below ~9 GeV/c).
    static func outgoingMomentum(_ t: TrueEvent, _ rng: inout SimRandom) -> Double {
        guard t.outgoing > 0 else { return .nan }
        let p = max(t.outgoingMomenta.0, t.outgoing > 1 ? t.outgoingMomenta.1 : 0)
        guard p > 9 else { return .nan }
        return p * (1 + 2e-4 / Geometry.downstreamKick(p) * rng.gauss())
    }

    static func firstThree(_ v: SIMD4<Double>, _ body: (UnsafeBufferPointer<Double>) -> Void) {
        withUnsafeBytes(of: v) { body(UnsafeBufferPointer(start: $0.baseAddress!.assumingMemoryBound(to: Double.self), count: 3)) }
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
