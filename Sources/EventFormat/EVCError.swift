/// Every failure of the EVC layer. `path` names the file, `offset` the byte where the problem was
/// found (when there is one), `place` the cluster/column/page or record involved.
public struct EVCError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case io
        case notEVC
        case unsupportedVersion
        case unknownFeature
        case truncated
        case corrupt
        case checksumMismatch
        case badSchema
        case schemaMismatch
        case badArgument
        case incomplete
        /// Inputs that disagree: two different exposure rows for one spill, or schemas a merge cannot join.
        case conflict
    }

    public var code: Code
    public var message: String
    public var path: String?
    public var offset: Int?
    public var place: String?
    /// True for failures that may go away on retry (a remote server lost or busy).
    public var transient = false

    public init(_ code: Code, _ message: String, path: String? = nil, offset: Int? = nil, place: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
        self.place = place
    }

    /// One line: `file: at byte N (cluster 3, column ecal_e, page 2): what is wrong`.
    public var description: String {
        var where_: [String] = []
        if let offset { where_.append("at byte \(offset)") }
        if let place { where_.append(place) }
        let loc = where_.isEmpty ? "" : " (" + where_.joined(separator: ", ") + ")"
        return "\(path ?? "<memory>")\(loc): \(message)"
    }

    func with(place: String) -> EVCError {
        var e = self
        if e.place == nil { e.place = place }
        return e
    }

    func with(path: String) -> EVCError {
        var e = self
        if e.path == nil { e.path = path }
        return e
    }
}
