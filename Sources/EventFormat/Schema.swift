/// The shape of one field's values per event.
public enum FieldKind: Sendable, Equatable {
    /// One value per event.
    case scalar(ScalarType)
    /// A fixed-size array per event, row-major with this shape (e.g. ECAL: float32[2][6][6]).
    case array(ScalarType, shape: [Int])
    /// A variable-length list of scalars per event.
    case list(ScalarType)
    /// A variable-length list of records per event; members are scalar fields.
    case recordList([Field])

    var code: UInt8 {
        switch self {
        case .scalar: 0
        case .array: 1
        case .list: 2
        case .recordList: 3
        }
    }
}

/// A named, typed field of an event, with its unit and description. `id` is stable across
/// schema changes: a renamed field keeps its id.
public struct Field: Sendable, Equatable {
    public var id: UInt32
    public var name: String
    public var kind: FieldKind
    public var unit: Unit
    public var description: String

    public init(id: UInt32, name: String, kind: FieldKind, unit: Unit = .none, description: String = "") {
        self.id = id
        self.name = name
        self.kind = kind
        self.unit = unit
        self.description = description
    }

    /// The scalar type of the values (nil for a record list, whose members each have one).
    public var scalarType: ScalarType? {
        switch kind {
        case .scalar(let t), .array(let t, _), .list(let t): t
        case .recordList: nil
        }
    }

    /// Values per event of a fixed-size array (1 for a scalar; nil for lists).
    public var elementsPerEvent: Int? {
        switch kind {
        case .scalar: 1
        case .array(_, let shape): shape.reduce(1, *)
        case .list, .recordList: nil
        }
    }

    /// The type as written in `darkscan info`: `float32`, `float32[2][6][6]`, `list<uint16>`,
    /// `list<{plane: uint8, strip: uint16}>`.
    public var typeDescription: String {
        switch kind {
        case .scalar(let t): return t.description
        case .array(let t, let shape): return t.description + shape.map { "[\($0)]" }.joined()
        case .list(let t): return "list<\(t)>"
        case .recordList(let members):
            return "list<{" + members.map { "\($0.name): \($0.typeDescription)" }.joined(separator: ", ") + "}>"
        }
    }
}

/// What a physical column stores for its field.
public enum ColumnRole: Sendable, Equatable {
    /// The values of a scalar or array field, or of a list of scalars.
    case values
    /// Cluster-relative end offsets (uint64) of a list field: entry i is the number of list
    /// elements in events 0...i of the cluster.
    case offsets
    /// The values of member `m` of a record-list field.
    case member(Int)
}

/// A physical column: one stream of scalars with its own pages.
public struct Column: Sendable, Equatable {
    public let index: Int
    /// Index of the top-level field in `Schema.fields`.
    public let fieldIndex: Int
    public let role: ColumnRole
    public let type: ScalarType
    /// `field` or `field.member` or `field#offsets`.
    public let path: String
}

/// An ordered list of top-level fields and the physical columns derived from them.
public struct Schema: Sendable, Equatable {
    public let fields: [Field]
    public let columns: [Column]

    /// Builds a schema and checks it: unique non-empty names and ids, sane shapes, record
    /// members that are scalars.
    public init(_ fields: [Field]) throws(EVCError) {
        var names = Set<String>()
        var ids = Set<UInt32>()
        for f in fields {
            try Schema.check(f, topLevel: true)
            guard names.insert(f.name).inserted else { throw EVCError(.badSchema, "field name '\(f.name)' appears twice") }
            guard ids.insert(f.id).inserted else { throw EVCError(.badSchema, "field id \(f.id) appears twice") }
            if case .recordList(let members) = f.kind {
                for m in members {
                    guard ids.insert(m.id).inserted else { throw EVCError(.badSchema, "field id \(m.id) appears twice") }
                }
            }
        }
        self.fields = fields
        self.columns = Schema.deriveColumns(fields)
    }

    static func check(_ f: Field, topLevel: Bool) throws(EVCError) {
        guard !f.name.isEmpty, f.name.utf8.count <= 255 else {
            throw EVCError(.badSchema, "field name must be 1 to 255 bytes, got '\(f.name)'")
        }
        switch f.kind {
        case .scalar: break
        case .array(_, let shape):
            guard topLevel else { throw EVCError(.badSchema, "record member '\(f.name)' must be a scalar") }
            guard (1...8).contains(shape.count), shape.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }) else {
                throw EVCError(.badSchema, "field '\(f.name)': array shape \(shape) must have 1 to 8 dimensions of 1 to 1048576")
            }
            guard shape.reduce(1, { $0 &* $1 }) <= 1 << 24 else {
                throw EVCError(.badSchema, "field '\(f.name)': array of more than 16777216 values per event")
            }
        case .list:
            guard topLevel else { throw EVCError(.badSchema, "record member '\(f.name)' must be a scalar") }
        case .recordList(let members):
            guard topLevel else { throw EVCError(.badSchema, "record member '\(f.name)' must be a scalar") }
            guard !members.isEmpty else { throw EVCError(.badSchema, "record list '\(f.name)' has no members") }
            var names = Set<String>()
            for m in members {
                try check(m, topLevel: false)
                guard names.insert(m.name).inserted else {
                    throw EVCError(.badSchema, "record list '\(f.name)': member '\(m.name)' appears twice")
                }
            }
        }
    }

    static func deriveColumns(_ fields: [Field]) -> [Column] {
        var cols: [Column] = []
        for (fi, f) in fields.enumerated() {
            switch f.kind {
            case .scalar(let t), .array(let t, _):
                cols.append(Column(index: cols.count, fieldIndex: fi, role: .values, type: t, path: f.name))
            case .list(let t):
                cols.append(Column(index: cols.count, fieldIndex: fi, role: .offsets, type: .uint64, path: f.name + "#offsets"))
                cols.append(Column(index: cols.count, fieldIndex: fi, role: .values, type: t, path: f.name))
            case .recordList(let members):
                cols.append(Column(index: cols.count, fieldIndex: fi, role: .offsets, type: .uint64, path: f.name + "#offsets"))
                for (mi, m) in members.enumerated() {
                    cols.append(Column(index: cols.count, fieldIndex: fi, role: .member(mi), type: m.scalarType!, path: f.name + "." + m.name))
                }
            }
        }
        return cols
    }

    public func fieldIndex(named name: String) -> Int? { fields.firstIndex { $0.name == name } }
    public func field(named name: String) -> Field? { fields.first { $0.name == name } }

    /// The physical columns of field `fi`, in order.
    public func columns(ofField fi: Int) -> [Column] { columns.filter { $0.fieldIndex == fi } }

    /// The first difference between two schemas, in words, or nil when they agree
    /// (same fields in the same order with the same names, ids, types, shapes and units).
    public func firstDifference(from other: Schema) -> String? {
        for i in 0..<max(fields.count, other.fields.count) {
            guard i < fields.count else { return "it has an extra field '\(other.fields[i].name)' (#\(i))" }
            guard i < other.fields.count else { return "it lacks field '\(fields[i].name)' (#\(i))" }
            let a = fields[i], b = other.fields[i]
            if a.name != b.name { return "field #\(i) is '\(b.name)', expected '\(a.name)'" }
            if a.kind != b.kind { return "field '\(a.name)' is \(b.typeDescription), expected \(a.typeDescription)" }
            if a.unit != b.unit { return "field '\(a.name)' is in \(b.unit), expected \(a.unit)" }
            if a.id != b.id { return "field '\(a.name)' has id \(b.id), expected \(a.id)" }
        }
        return nil
    }
}
