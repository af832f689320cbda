/// A problem in a raw file, a channel map or a calibration file: which file, which byte (or
/// line) and what is wrong, on one line.
public struct DAQError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case io
        case notDATE = "not-date"
        case wrongByteOrder = "wrong-byte-order"
        case truncated
        case garbage
        case badHeader = "bad-header"
        case crc
        case structure
        case eventMismatch = "event-mismatch"
        case msadc
        case tracker
        /// A warning of data left out of the converted events, under --strict.
        case missingData = "missing-data"
        case badMap = "bad-map"
        case badCalibration = "bad-calibration"
        case badArgument = "bad-argument"
    }

    public var code: Code
    public var message: String
    public var path: String?
    /// Byte offset in the file (raw files) or line number (text files).
    public var offset: Int?
    public var line: Int?

    public init(_ code: Code, _ message: String, path: String? = nil, offset: Int? = nil, line: Int? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
        self.line = line
    }

    public var description: String {
        var s = path ?? "<memory>"
        if let line { s += ":\(line)" }
        if let offset { s += ": byte \(offset)" }
        return s + ": " + message
    }
}
