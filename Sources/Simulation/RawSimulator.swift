import DAQ
import Dispatch
import EventFormat

/// Writes NA64 raw files (Formats/RAW.md) from `PhysicsGenerator` events: every MSADC channel of
/// the channel map digitized (pedestals with an even/odd offset, noise, pulse shape, trigger
/// phase, pile-up pulses out of time, saturation at 4095), Micromegas strip clusters and straw
/// hits along the track through the magnet, spills with start/end-of-burst events and scalers,
/// run information in the start-of-run event, a CRC32C equipment closing each event — and the
/// truth of each physics event into a sidecar EVC file. Blocks of events are generated in
/// parallel from their own random streams and written in order: the bytes depend on the seed,
/// not on the thread count.
public struct RawSimulator: Sendable {
    public var run: UInt32
    public var seed: UInt64
    public var physics: PhysicsGenerator
    public var table: ChannelTable
    public var calibration: Calibration
    /// Physics events per block (the unit of parallel work and of random streams).
    public var blockSize = 4096
    /// Unix time of the start of the run (fixed, so that files are reproducible).
    public static let runStartTime: UInt32 = 1_750_000_000
    /// Trigger fraction of beam particles (physics triggers per EOT) [../shared/NA64.md 1].
    public static let triggerFraction = 1e-3
    public static let liveTime = 0.9
    /// Spread of Micromegas hit positions around the track (multiple scattering, alignment),
    /// mm: gives the ~1% momentum resolution NA64 quotes [paper, est].
    public static let hitSmearing = 0.2
    /// exp(-mean) of the noise hits per Micromegas plane (0.3) and straw plane (0.5) [est].
    static let stripNoiseLimit = _exp(-0.3), strawNoiseLimit = _exp(-0.5)
    /// Where muons leaving the calorimeters scatter, as one kink: the middle of ECAL and HCAL, m [est].
    static let scatteringZ = 21.5
    /// Micromegas plane efficiency [est].
    public static let stripEfficiency = 0.99
    /// Beam counter MIP amplitude in ADC counts [est].
    public static let counterMIP = 500.0

    /// The source of each non-MSADC payload: the first the map gives that kind; a kind the map
    /// has no source for is not written.
    let sources: [Equipment.Kind: UInt32]

    public init(run: UInt32, seed: UInt64, physics: PhysicsGenerator, map: ChannelMap = .defaultMap(),
                calibration: CalibrationFile = .defaultFile()) throws(DAQError) {
        self.run = run
        self.seed = seed
        self.physics = physics
        self.table = try map.table(run: run)
        self.calibration = try calibration.calibration(run: run, map: table)
        var sources: [Equipment.Kind: UInt32] = [:]
        for kind in [Equipment.Kind.apv, .straw, .tcs, .runInfo, .scalers] {
            if let first = table.sources(kind).first { sources[kind] = UInt32(first) }
        }
        self.sources = sources
    }

    /// The truth sidecar's schema: one row per physics event, in raw-file order.
    public static func truthSchema() -> Schema {
        // Safe: a fixed, valid schema.
        try! Schema([
            Field(id: 1, name: "run", kind: .scalar(.uint32), description: "run number"),
            Field(id: 2, name: "event", kind: .scalar(.uint64), description: "event number in the run (DATE eventId[0])"),
            Field(id: 3, name: "kind", kind: .scalar(.uint8), description: "0 electron, 1 hadron, 2 muon, 3 signal (A', Z' or eta to invisible), 5 dimuon"),
            Field(id: 4, name: "beam_e", kind: .scalar(.float32), unit: Unit("GeV"), description: "energy of the beam particle"),
            Field(id: 5, name: "momentum", kind: .scalar(.float32), unit: Unit("GeV/c"), description: "momentum at the spectrometer"),
            Field(id: 6, name: "ecal_true_e", kind: .scalar(.float32), unit: Unit("GeV"), description: "energy deposited in the ECAL, before resolution"),
            Field(id: 7, name: "ecal_smeared_e", kind: .scalar(.float32), unit: Unit("GeV"), description: "in-time ECAL cell energies after sampling resolution, summed"),
            Field(id: 8, name: "hcal_true_e", kind: .scalar(.float32), unit: Unit("GeV"), description: "energy deposited in the HCAL (all modules)"),
            Field(id: 9, name: "a_prime_e", kind: .scalar(.float32), unit: Unit("GeV"), description: "energy carried away by the invisible particle (A', Z' or eta)"),
            Field(id: 10, name: "pileup_n", kind: .scalar(.uint8), description: "pile-up particles in the digitizer window"),
            Field(id: 11, name: "pileup_time", kind: .scalar(.float32), unit: Unit("ns"), description: "arrival of the first pile-up particle vs the trigger"),
            Field(id: 12, name: "p_out", kind: .scalar(.float32), unit: Unit("GeV/c"), description: "momentum of the leading particle leaving the HCAL (NaN: none)"),
            Field(id: 13, name: "signal_depth", kind: .scalar(.float32), description: "depth of the invisible particle's emission in the ECAL, X0 (NaN: no signal)"),
        ])
    }

    /// Writes `events` physics events (with their spills) to `path` and the truth to
    /// `truthPath`. Both appear only when complete (written as `.partial`, then renamed).
    public func write(events: Int, to path: String, truthPath: String, threads: Int, metadata: [(String, String)] = [],
                      progress: ((Int) -> Void)? = nil) throws(EVCError) {
        let out = try OutputFile(creating: path + ".partial")
        let truth = try EVCWriter(path: truthPath, schema: Self.truthSchema(), metadata: metadata + [("raw_file", path)])
        do throws(EVCError) {
            let blocks = max(1, (events + blockSize - 1) / blockSize)
            try BlockPipeline.run(count: blocks, threads: threads, make: { b in self.block(b, events: events) },
                                  consume: { (b, result: ([UInt8], EventBatch)) throws(EVCError) in
                try out.write(result.0)
                try truth.write(result.1)
                progress?(min(events, (b + 1) * self.blockSize))
            })
            try out.sync()
            try out.closeFile()
            try truth.close()
            try FileSystem.rename(path + ".partial", to: path)
            FileSystem.syncDirectory(of: path)
        } catch {
            truth.abort()
            FileSystem.remove(path + ".partial")
            throw error
        }
    }

    /// The raw bytes and truth of block `b`: physics events b*blockSize ..< min(events, ...),
    /// with the run's start (block 0), spill boundaries and the run's end (last block).
    public func block(_ b: Int, events: Int) -> ([UInt8], EventBatch) {
        let perSpill = physics.constants.eventsPerSpill
        let range = b * blockSize..<min(events, (b + 1) * blockSize)
        var rng = SimRandom(seed: seed, stream: UInt64(b))
        var builder = RawEventBuilder(capacity: range.count * 2600 + 1024)
        var truth = EventBatch(schema: Self.truthSchema(), capacity: range.count)
        let tc = TruthColumns(truth)
        var digitizer = Digitizer(simulator: self)
        var t = TrueEvent()
        if b == 0 { startOfRun(&builder) }
        for i in range {
            let spill = UInt32(i / perSpill + 1), inSpill = UInt32(i % perSpill + 1)
            let time = Self.runStartTime &+ spill &* 18
            if inSpill == 1 {
                builder.beginEvent(.startOfBurst, run: run, eventNumber: 0, spill: spill, eventInSpill: 0, time: time)
                builder.endEvent()
            }
            physics.generate(&rng, into: &t)
            let eventNumber = UInt32(truncatingIfNeeded: i + 1)
            builder.beginEvent(.physics, run: run, eventNumber: eventNumber, spill: spill, eventInSpill: inSpill, trigger: 1, time: time)
            let microseconds = (Double(inSpill) - rng.uniform()) / Double(perSpill) * physics.constants.spillSeconds * 1e6
            if let tcs = sources[.tcs] {
                builder.beginEquipment(.tcs, sourceID: tcs)
                builder.append(UInt32(microseconds))
                builder.endEquipment()
            }
            let smeared = digitizer.digitize(t, eventInSpill: inSpill, into: &builder, &rng)
            tracker(t, into: &builder, &rng)
            builder.endEvent()
            tc.append(run: run, event: UInt64(eventNumber), t, smearedEcal: smeared)
            if inSpill == UInt32(perSpill) || i == events - 1 { endOfBurst(&builder, spill: spill, events: Int(inSpill), time: time) }
        }
        if range.upperBound >= events {
            builder.beginEvent(.endOfRun, run: run, eventNumber: 0, spill: 0, eventInSpill: 0, time: Self.runStartTime &+ UInt32(events / perSpill + 1) &* 18)
            builder.endEvent()
        }
        // Safe: every truth column was filled once per physics event.
        try! truth.commitEvents(range.count)
        return (builder.bytes, truth)
    }

    func startOfRun(_ builder: inout RawEventBuilder) {
        builder.beginEvent(.startOfRun, run: run, eventNumber: 0, spill: 0, eventInSpill: 0, time: Self.runStartTime)
        if let source = sources[.runInfo] {
            builder.beginEquipment(.runInfo, sourceID: source)
            builder.text("beam=\(physics.beam.rawValue)\nbeam_energy_gev=\(physics.energy)\nseed=\(seed)\nsignal_rate=\(physics.signalRate)\nmass_mev=\(physics.massMeV)\nproducer=darkscan simulate\n")
            builder.endEquipment()
        }
        builder.endEvent()
    }

    /// The end-of-burst event with the spill's scalers, drawn from the spill's own stream.
    func endOfBurst(_ builder: inout RawEventBuilder, spill: UInt32, events: Int, time: UInt32) {
        var rng = SimRandom(seed: seed ^ 0x5CA1_E125, stream: UInt64(spill))
        let offered = Double(events) / Self.liveTime * (1 + 0.005 * rng.gauss())
        let beam = offered / Self.triggerFraction * (1 + 0.01 * rng.gauss())
        builder.beginEvent(.endOfBurst, run: run, eventNumber: 0, spill: spill, eventInSpill: 0, time: time &+ 5)
        defer { builder.endEvent() }
        guard let source = sources[.scalers] else { return }
        builder.beginEquipment(.scalers, sourceID: source)
        let scalers: [(ScalerID, UInt64)] = [(.beam, UInt64(beam)), (.triggersAccepted, UInt64(events)), (.triggersOffered, UInt64(max(offered, Double(events)))),
                                             (.spillMicroseconds, UInt64(physics.constants.spillSeconds * 1e6))]
        builder.append(UInt32(scalers.count))
        for (id, v) in scalers {
            builder.append(id.rawValue)
            builder.append(UInt32(truncatingIfNeeded: v))
            builder.append(UInt32(truncatingIfNeeded: v >> 32))
        }
        builder.endEquipment()
    }

    /// Micromegas strips along the track through the magnet and, behind the HCAL, along the
    /// tracks of what leaves it through the downstream spectrometer; straw hits; noise hits.
    func tracker(_ t: TrueEvent, into builder: inout RawEventBuilder, _ rng: inout SimRandom) {
        let nominal = physics.energy
        // Tracks: the beam particle, and a pile-up particle when it falls in the APV's ~75 ns.
        typealias Track = (x0: Double, sx: Double, y0: Double, sy: Double, p: Double)
        let beam: Track = (3 * rng.gauss(), 2e-4 * rng.gauss(), 3 * rng.gauss(), 2e-4 * rng.gauss(), t.momentum)
        var pile: Track? = nil
        if t.pileUpCount > 0 && abs(t.pileUpTime) < 75 {
            pile = (3 * rng.gauss(), 2e-4 * rng.gauss(), 3 * rng.gauss(), 2e-4 * rng.gauss(), physics.energy * (1 + 0.01 * rng.gauss()))
        }
        func position(_ tr: Track, z: Double) -> (Double, Double) {
            var x = tr.x0 + tr.sx * z * 1000
            if z > Geometry.magnetZ { x += Geometry.kick(tr.p) * (z - Geometry.magnetZ) * 1000 }
            return (x - Geometry.centreOffset(z: z, nominal: nominal), tr.y0 + tr.sy * z * 1000)
        }
        // What leaves the HCAL: scattered in the calorimeters, bent by the second magnet.
        typealias Outgoing = (p: Double, ax: Double, ay: Double)
        func scattered(_ p: Double) -> Outgoing {
            let theta = physics.constants.calorimeterScatteringGeV / p
            return (p, theta * rng.gauss(), theta * rng.gauss())
        }
        let first: Outgoing = t.outgoing > 0 ? scattered(t.outgoingMomenta.0) : (0, 0, 0)
        let second: Outgoing = t.outgoing > 1 ? scattered(t.outgoingMomenta.1) : (0, 0, 0)
        func downstream(_ o: (p: Double, ax: Double, ay: Double), z: Double) -> (Double, Double) {
            let (x, y) = position(beam, z: z)
            let dz = (z - Self.scatteringZ) * 1000
            var dx = o.ax * dz
            // `position` leaves out the second magnet but takes off its nominal deflection.
            if z > Geometry.downstreamMagnetZ { dx += Geometry.downstreamKick(o.p) * (z - Geometry.downstreamMagnetZ) * 1000 }
            return (x + dx, y + o.ay * dz)
        }
        /// A cluster of strips around `u` (mm from the plane's centre).
        func hit(plane: Int, u: Double, pitch: Double) {
            let centre = (u + Self.hitSmearing * rng.gauss()) / pitch + Geometry.centreStrip
            let charge = max(100, 300 * (1 + 0.3 * rng.gauss()))
            let sigma = 1.2
            for strip in Int(centre.rounded()) - 3...Int(centre.rounded()) + 3 where (0..<EventDecoder.stripsPerPlane).contains(strip) {
                let d = Double(strip) - centre
                let amp = charge * _exp(-d * d / (2 * sigma * sigma)) / (sigma * 2.5066) + 2 * rng.fastGauss()
                guard amp >= 8 else { continue }
                builder.strip(plane: plane, strip: strip, frames: (UInt32(max(0, amp * 0.55)), UInt32(amp), UInt32(max(0, amp * 0.75))))
            }
        }
        if let source = sources[.apv] {
            builder.beginEquipment(.apv, sourceID: source)
            for (s, z) in Geometry.stationZ.enumerated() {
                let upstream = s < Geometry.mmZ.count
                let tracks = upstream ? (pile == nil ? 1 : 2) : t.outgoing
                for k in 0..<tracks {
                    let (x, y) = upstream ? position(k == 0 ? beam : pile!, z: z) : downstream(k == 0 ? first : second, z: z)
                    for axis in 0..<2 where rng.uniform() < Self.stripEfficiency {
                        hit(plane: 2 * s + axis, u: axis == 0 ? x : y, pitch: Geometry.pitch(station: s))
                    }
                }
                for plane in 2 * s...2 * s + 1 {
                    for _ in 0..<rng.poisson(expMinusMean: Self.stripNoiseLimit) {
                        let amp = 10 + 10 * rng.uniform()
                        builder.strip(plane: plane, strip: Int(rng.uniform() * Double(EventDecoder.stripsPerPlane)), frames: (UInt32(amp * 0.6), UInt32(amp), UInt32(amp * 0.7)))
                    }
                }
            }
            builder.endEquipment()
        }
        if let source = sources[.straw] {
            builder.beginEquipment(.straw, sourceID: source)
            let inTime = (calibration.strawWindow.lowerBound + calibration.strawWindow.upperBound) / 2
            for (s, z) in Geometry.strawZ.enumerated() {
                let (x, y) = position(beam, z: z)
                for axis in 0..<2 {
                    let plane = 2 * s + axis
                    let wire = Int(((axis == 0 ? x : y) / Geometry.strawPitch + Geometry.centreWire).rounded(.down))
                    if rng.uniform() < 0.95 && (0..<EventDecoder.wiresPerPlane).contains(wire) {
                        builder.straw(plane: plane, wire: wire, time: UInt32(max(0, inTime + 8 * rng.gauss())))
                    }
                    for _ in 0..<rng.poisson(expMinusMean: Self.strawNoiseLimit) {
                        builder.straw(plane: plane, wire: Int(rng.uniform() * 64), time: UInt32(rng.uniform() * 2000))
                    }
                }
            }
            builder.endEquipment()
        }
    }
}

/// The truth sidecar's columns.
struct TruthColumns {
    let run, event, kind, beam, momentum, ecalTrue, ecalSmeared, hcalTrue, aPrime, pileUpN, pileUpTime, pOut, depth: ColumnBuffer

    init(_ b: EventBatch) {
        func c(_ n: String) -> ColumnBuffer { b.column(n)! }
        (run, event, kind, beam, momentum, ecalTrue) = (c("run"), c("event"), c("kind"), c("beam_e"), c("momentum"), c("ecal_true_e"))
        (ecalSmeared, hcalTrue, aPrime, pileUpN, pileUpTime) = (c("ecal_smeared_e"), c("hcal_true_e"), c("a_prime_e"), c("pileup_n"), c("pileup_time"))
        (pOut, depth) = (c("p_out"), c("signal_depth"))
    }

    func append(run r: UInt32, event e: UInt64, _ t: TrueEvent, smearedEcal: Double) {
        run.append(r)
        event.append(e)
        kind.append(t.kind.rawValue)
        beam.append(Float(t.beamEnergy))
        momentum.append(Float(t.momentum))
        ecalTrue.append(Float(t.trueEcal))
        ecalSmeared.append(Float(smearedEcal))
        hcalTrue.append(Float(t.trueHcal))
        aPrime.append(Float(t.aPrimeEnergy))
        pileUpN.append(UInt8(min(t.pileUpCount, 255)))
        pileUpTime.append(Float(t.pileUpTime))
        pOut.append(Float(t.outgoing == 0 ? .nan : max(t.outgoingMomenta.0, t.outgoing > 1 ? t.outgoingMomenta.1 : 0)))
        depth.append(Float(t.signalDepth))
    }
}
