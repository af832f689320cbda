/// A byte range in the query text.
public struct SourceRange: Sendable, Equatable, CustomStringConvertible {
    public var start: Int
    public var end: Int
    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = max(end, start)
    }
    public func union(_ o: SourceRange) -> SourceRange { SourceRange(min(start, o.start), max(end, o.end)) }
    public var description: String { "\(start)..<\(end)" }
}

/// A problem in a query: a code for tests and scripts, a message, and the range it points at.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unexpectedCharacter = "unexpected-character"
        case unexpectedToken = "unexpected-token"
        case unknownName = "unknown-name"
        case unknownUnit = "unknown-unit"
        case unknownFunction = "unknown-function"
        case dimensionMismatch = "dimension-mismatch"
        case typeMismatch = "type-mismatch"
        case badIndex = "bad-index"
        case badArguments = "bad-arguments"
        case shapeMismatch = "shape-mismatch"
        case duplicateName = "duplicate-name"
        case tooComplex = "too-complex"
        case badBinning = "bad-binning"
        case unknownStage = "unknown-stage"
    }

    public var code: Code
    public var message: String
    public var range: SourceRange
    /// The text the range refers to (a cut, a --define, an --weight expression).
    public var source: String

    public init(_ code: Code, _ message: String, _ range: SourceRange, source: String = "") {
        self.code = code
        self.message = message
        self.range = range
        self.source = source
    }

    /// Compiler-style rendering: the query line, then carets under the range and the message.
    ///
    ///     1 | missing energy > 50 ns, veto == 0
    ///       |                  ^^^^^ cannot compare …
    public func rendered() -> String {
        let utf8 = Array(source.utf8)
        // Find the line holding the start of the range.
        var lineStart = 0, lineNumber = 1
        for i in 0..<min(range.start, utf8.count) where utf8[i] == UInt8(ascii: "\n") {
            lineStart = i + 1
            lineNumber += 1
        }
        var lineEnd = lineStart
        while lineEnd < utf8.count && utf8[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
        let line = String(decoding: utf8[lineStart..<lineEnd], as: UTF8.self)
        let column = String(decoding: utf8[lineStart..<min(range.start, lineEnd)], as: UTF8.self).count
        let width = max(1, String(decoding: utf8[min(range.start, lineEnd)..<min(max(range.end, range.start), lineEnd)], as: UTF8.self).count)
        let gutter = String(lineNumber)
        let pad = String(repeating: " ", count: gutter.count)
        return "\(gutter) | \(line)\n\(pad) | \(String(repeating: " ", count: column))\(String(repeating: "^", count: width)) \(message)"
    }

    public var description: String { "\(message) (at \(range.start))" }
}
