import EventFormat

extension SpillExposure {
    /// The exposure row of an end-of-burst event: its run and spill from the DATE header, the
    /// scalers of Formats/RAW.md section 8 (a missing one flags the row).
    public init(endOfBurst ev: DecodedEvent) {
        func scaler(_ id: ScalerID) -> UInt64? { ev.scalers.last { $0.id == id.rawValue }?.value }
        self = .fromScalers(run: ev.header.run, spill: ev.header.spill, eot: scaler(.beam), triggersAccepted: scaler(.triggersAccepted),
                            triggersOffered: scaler(.triggersOffered), lengthMicroseconds: scaler(.spillMicroseconds))
    }
}

/// The exposure rows a conversion collects from end-of-burst events. A spill whose end of burst
/// comes twice with different scalers keeps its first row, flagged inconsistent (quality bit 1),
/// and the converter names the second in the metadata (`exposure_conflict`): neither is
/// silently taken for the other.
public struct ExposureCollector: Sendable {
    public private(set) var table = Exposure()
    /// Set when the table changed since the last `take()`.
    private var changed = false

    public init(table: Exposure = Exposure()) { self.table = table }

    /// Adds the row of an end-of-burst event; returns the reason when the spill had another row.
    public mutating func add(_ row: SpillExposure) -> String? {
        guard let old = table.row(row.key) else {
            // Safe from conflicts: the spill has no row yet.
            try? table.add(row)
            changed = true
            return nil
        }
        if old == row { return nil }
        var flagged = old
        flagged.quality |= SpillExposure.Quality.scalersInconsistent
        if flagged != old {
            table.replace(flagged)
            changed = true
        }
        return "end of burst of \(row.key) seen again with other scalers (EOT \(row.eot), before \(old.eot)); the first kept and flagged inconsistent"
    }

    /// The table when it changed since the last call.
    public mutating func take() -> Exposure? {
        guard changed else { return nil }
        changed = false
        return table
    }
}
