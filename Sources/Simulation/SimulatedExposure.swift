import DAQ
import EventFormat

extension RecoSimulator {
    /// The exposure table of events `firstEvent ..< firstEvent + events` of the run: for each
    /// spill, the triggers of its events written here, the triggers offered before dead time
    /// (live time `RawSimulator.liveTime`, 0.5% spread) and the electrons on target behind them
    /// (trigger fraction `RawSimulator.triggerFraction`, 1% spread), drawn from the spill's own
    /// random stream, as the raw simulator's end-of-burst scalers are.
    ///
    /// Rows are keyed by the spill number as the `spill` column holds it (16 bits): spills that
    /// wrap onto one number in a very long run are summed into its row, so that the row is the
    /// exposure of the events carrying that number. A spill split between two `--first-event`
    /// slices has a partial row in each, which read together are refused as two different rows
    /// for one spill.
    public func exposure(events: Int, firstEvent: Int = 0) -> Exposure {
        let perSpill = physics.constants.eventsPerSpill
        let length = UInt64(physics.constants.spillSeconds * 1e6)
        var rows: [UInt32: SpillExposure] = [:]
        guard events > 0 else { return Exposure() }
        for s in firstEvent / perSpill...(firstEvent + events - 1) / perSpill {
            let lo = max(firstEvent, s * perSpill), hi = min(firstEvent + events, (s + 1) * perSpill)
            let triggers = Double(hi - lo)
            let spill = UInt32(UInt16(truncatingIfNeeded: s + 1))
            var rng = SimRandom(seed: seed ^ 0x5CA1_E125, stream: UInt64(s + 1))
            let offered = max(triggers, triggers / RawSimulator.liveTime * (1 + 0.005 * rng.gauss()))
            let eot = offered / RawSimulator.triggerFraction * (1 + 0.01 * rng.gauss())
            var row = rows[spill] ?? SpillExposure(run: run, spill: spill, eot: 0, triggersAccepted: 0, triggersOffered: 0, lengthMicroseconds: 0)
            row.eot += UInt64(eot)
            row.triggersAccepted += UInt64(triggers)
            row.triggersOffered += UInt64(offered)
            row.lengthMicroseconds += length
            rows[spill] = row
        }
        // Safe: one row per spill number.
        return try! Exposure(rows: Array(rows.values))
    }
}
