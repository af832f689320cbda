/// The parsed query, before names, types and units are checked. Every node keeps its range.
public indirect enum Syntax: Sendable, Equatable {
    case number(Double, unit: String?, isInteger: Bool, SourceRange)
    case bool(Bool, SourceRange)
    /// A name of one or more words (`missing energy`), each word's text kept.
    case name([String], SourceRange)
    case index(Syntax, Syntax, SourceRange)
    case call(String, [Syntax], SourceRange)
    case unary(String, Syntax, SourceRange)
    case binary(String, Syntax, Syntax, SourceRange)
    /// A chain of comparisons: operands[0] ops[0] operands[1] ops[1] operands[2] …
    case compare([Syntax], [String], SourceRange)
    case inList(Syntax, [Syntax], SourceRange)
    case and([Syntax], SourceRange)
    case or([Syntax], SourceRange)
    case not(Syntax, SourceRange)

    public var range: SourceRange {
        switch self {
        case .number(_, _, _, let r), .bool(_, let r), .name(_, let r), .index(_, _, let r), .call(_, _, let r),
             .unary(_, _, let r), .binary(_, _, _, let r), .compare(_, _, let r), .inList(_, _, let r),
             .and(_, let r), .or(_, let r), .not(_, let r):
            return r
        }
    }
}

/// One line of the cut flow: its name (its own text unless given as `name: expr`) and expression.
public struct CutSyntax: Sendable, Equatable {
    public var name: String
    public var expression: Syntax
    public var range: SourceRange
}

/// `define name = expr`.
public struct DefineSyntax: Sendable, Equatable {
    public var name: String
    public var nameRange: SourceRange
    public var expression: Syntax
}
