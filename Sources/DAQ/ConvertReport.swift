import EventFormat

/// How `Converter` reads and writes.
public struct ConvertOptions: Sendable {
    public var map = ChannelMap.defaultMap()
    public var calibration = CalibrationFile.defaultFile()
    /// Beam energy for `missing_energy`, GeV; nil takes it from the start-of-run event.
    public var beamEnergy: Double? = nil
    /// Stop at the first bad event, or the first warning of data left out, instead of going on.
    public var strict = false
    /// Share of a file's physics events in which a detector may deliver nothing before it is
    /// a warning.
    public var missingLimit = 0.01
    public var keepWaveforms = false
    /// Continue an interrupted conversion of the same inputs into the same output.
    public var resume = false
    public var threads = WriterOptions().threads
    public var writer = WriterOptions()
    /// Raw bytes read and decoded at a time.
    public var chunkBytes = 16 << 20

    public init() {}
}

/// A bad event or a run of garbage that was skipped.
public struct ConvertProblem: Sendable, CustomStringConvertible {
    public var file: String
    public var offset: Int
    public var length: Int
    public var code: DAQError.Code
    public var reason: String

    public var description: String {
        "\(file): byte \(offset): \(reason)" + (length > 0 ? " (\(length) bytes skipped)" : "")
    }
}

/// Something converted events lack or disagree with, named by file, place, source and detector
/// (Formats/RAW.md section 13): a source the map does not know or gives two kinds of payload,
/// an unmapped MSADC channel, a source silent for a whole file, a detector missing from too
/// many events, or a header field that disagrees with the map (a cross-check).
public struct ConvertWarning: Sendable, CustomStringConvertible {
    /// A `SourceNote.Kind` raw value, `silent-source` or `missing-detector`.
    public var code: String
    /// The raw file, or the channel map for a conflict in it.
    public var file: String
    /// Byte offset of the first occurrence in the raw file, or the map's line.
    public var offset: Int?
    public var line: Int?
    public var source: Int?
    public var detector: String?
    public var message: String
    /// Data is left out of the converted events (`--strict` stops); false for cross-checks.
    public var losesData: Bool

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let offset { s += ": byte \(offset)" }
        return s + ": " + message
    }
}

/// What a conversion read, wrote and skipped.
public struct ConvertReport: Sendable {
    public var inputs: [String]
    public var output: String
    public var bytesRead = 0
    public var bytesTotal = 0
    public var physicsEvents = 0
    public var otherEvents = 0
    public var eventsWritten = 0
    public var badByReason: [String: Int] = [:]
    /// The first `ConvertReport.keptProblems` problems, in file order.
    public var problems: [ConvertProblem] = []
    /// Every warning, in the order found (each source note once, with its count in `notes`).
    public var warnings: [ConvertWarning] = []
    /// Source notes of the decoder over the whole conversion: unknown sources, unmapped
    /// channels, cross-checks, with counts.
    public var notes = SourceNoteTally()
    /// What each detector delivered over the whole conversion.
    public var detectors: [DetectorSummary] = []
    public var scalers: [ScalerID: UInt64] = [:]
    public var spills = 0
    /// Events already in the output when a resumed conversion started.
    public var resumedAfterEvents: Int?
    public var seconds = 0.0
    public static let keptProblems = 1000

    public var badEvents: Int { badByReason.values.reduce(0, +) }

    /// Warnings by code: equipments or channels for source notes, files x sources or detectors
    /// for the others.
    public var warningCounts: [String: Int] {
        var out: [String: Int] = [:]
        for e in notes.entries { out[e.note.kind.rawValue, default: 0] += e.count }
        for w in warnings where SourceNote.Kind(rawValue: w.code) == nil { out[w.code, default: 0] += 1 }
        return out
    }
}
