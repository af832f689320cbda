/// The DATE 3.6 event layout NA64 raw files use, and our equipment types (Formats/RAW.md).
public enum DATE {
    public static let magic: UInt32 = 0xDA1E_5AFE
    /// The magic as it reads from a file of the other byte order.
    public static let swappedMagic: UInt32 = 0xFE5A_1EDA
    public static let headerSize = 68
    public static let headerWords = 17
    public static let version: UInt32 = 0x0003_0006
    /// Largest event a reader accepts (NA64 events are 5-15 kB).
    public static let maxEventSize = 16 << 20

    public enum EventType: UInt32, Sendable, CaseIterable {
        case startOfRun = 1, endOfRun, startOfRunFile, endOfRunFile, startOfBurst, endOfBurst, physics, calibration
    }

    /// The fields of an event header the converter uses.
    public struct Header: Sendable, Equatable {
        public var size: Int
        public var type: EventType
        public var run: UInt32
        public var eventNumber: UInt32
        public var spill: UInt32
        public var eventInSpill: UInt32
        public var trigger: UInt32
        public var time: UInt32

        public init(size: Int, type: EventType, run: UInt32, eventNumber: UInt32, spill: UInt32, eventInSpill: UInt32,
                    trigger: UInt32, time: UInt32) {
            (self.size, self.type, self.run, self.eventNumber) = (size, type, run, eventNumber)
            (self.spill, self.eventInSpill, self.trigger, self.time) = (spill, eventInSpill, trigger, time)
        }
    }
}

/// Equipment header, S-Link header and payload formats.
public enum Equipment {
    public static let headerSize = 28
    public static let slinkWords = 3
    /// Equipment header + S-Link header.
    public static let overhead = headerSize + 4 * slinkWords

    /// What an equipment carries. The raw value is the equipment `type` our writer puts in the
    /// equipment header; a reader takes the kind from the channel map by source ID and only
    /// cross-checks the type (Formats/RAW.md section 3).
    public enum Kind: UInt32, Sendable, CaseIterable {
        case msadc = 1, apv = 2, straw = 3, tcs = 4, runInfo = 256, scalers = 257, crc32c = 0xC0C

        /// The kinds a channel map gives sources (the CRC32C equipment belongs to the envelope).
        public static let mapped: [Kind] = [.msadc, .apv, .straw, .tcs, .runInfo, .scalers]

        /// The name in channel map `source` lines.
        public var mapName: String {
            switch self {
            case .msadc: "MSADC"
            case .apv: "APV"
            case .straw: "STRAW"
            case .tcs: "TCS"
            case .runInfo: "RUNINFO"
            case .scalers: "SCALERS"
            case .crc32c: "CRC32C"
            }
        }

        /// The S-Link `format` byte of this kind's payload.
        public var format: UInt32 {
            switch self {
            case .msadc: 3
            case .apv: 0x41
            case .straw: 0x42
            case .tcs: 0x70
            case .runInfo: 0x50
            case .scalers: 0x51
            case .crc32c: 0x60
            }
        }
    }

    /// Source ID of the CRC32C equipment.
    public static let crcSourceID: UInt32 = 1023
    /// Size of the CRC32C equipment: headers + one word.
    public static let crcSize = overhead + 4
}

/// MSADC "data format 3" limits.
public enum MSADC {
    public static let maxSamples = 256
    public static let saturation: UInt16 = 4095
    public static let chipKey: UInt32 = 0b11
    public static let channelID: UInt32 = 0b01
    public static let firstMarker: UInt32 = 0x40
    public static let nextMarker: UInt32 = 0x80
}

/// Scaler ids of the end-of-burst scaler equipment.
public enum ScalerID: UInt32, Sendable, CaseIterable {
    case beam = 1, triggersAccepted = 2, triggersOffered = 3, spillMicroseconds = 4

    public var metadataKey: String {
        switch self {
        case .beam: "eot"
        case .triggersAccepted: "triggers_accepted"
        case .triggersOffered: "triggers_offered"
        case .spillMicroseconds: "spill_us"
        }
    }
}
