import EventFormat

/// EVC schema → Arrow IPC schema (Schema.fbs). Scalars map to Int / FloatingPoint / Bool;
/// fixed-size arrays to nested FixedSizeList (one level per dimension); lists to List, of
/// Struct for record lists. Units, descriptions and field ids go into field metadata.
enum ArrowSchema {
    enum TypeTag: UInt8 {
        case int = 2, floatingPoint = 3, bool = 6, list = 12, structType = 13, fixedSizeList = 16
    }

    static func keyValues(_ pairs: [(String, String)]) -> FBField? {
        guard !pairs.isEmpty else { return nil }
        return .object(.vectorOfTables(pairs.map { .table([.object(.string($0.0)), .object(.string($0.1))]) }))
    }

    /// A Field table: name, nullable (false), type tag and type table, children, metadata.
    static func field(_ name: String, _ tag: TypeTag, _ type: FBObject, children: [FBObject], metadata: [(String, String)]) -> FBObject {
        .table([
            .object(.string(name)),  // 0 name
            .bool(false),  // 1 nullable
            .u8(tag.rawValue),  // 2 type_type
            .object(type),  // 3 type
            nil,  // 4 dictionary
            .object(.vectorOfTables(children)),  // 5 children
            keyValues(metadata),  // 6 custom_metadata
        ])
    }

    static func scalarType(_ t: ScalarType) -> (TypeTag, FBObject) {
        switch t {
        case .bool: return (.bool, .table([]))
        case .float32: return (.floatingPoint, .table([.i16(1)]))
        case .float64: return (.floatingPoint, .table([.i16(2)]))
        default: return (.int, .table([.i32(Int32(t.width * 8)), .bool(t.isSignedInteger)]))
        }
    }

    static func scalarField(_ name: String, _ t: ScalarType, metadata: [(String, String)] = []) -> FBObject {
        let (tag, type) = scalarType(t)
        return field(name, tag, type, children: [], metadata: metadata)
    }

    static func metadata(of f: Field) -> [(String, String)] { f.arrowMetadata }

    static func field(_ f: Field) -> FBObject {
        let meta = metadata(of: f)
        switch f.kind {
        case .scalar(let t):
            return scalarField(f.name, t, metadata: meta)
        case .array(let t, let shape):
            // Innermost dimension first: FixedSizeList<…FixedSizeList<t, dN>…, d1>.
            var inner = scalarField("item", t)
            for (k, d) in shape.enumerated().reversed() {
                let fsl = FBObject.table([.i32(Int32(d))])
                inner = field(k == 0 ? f.name : "item", .fixedSizeList, fsl, children: [inner], metadata: k == 0 ? meta : [])
            }
            return inner
        case .list(let t):
            return field(f.name, .list, .table([]), children: [scalarField("item", t)], metadata: meta)
        case .recordList(let members):
            let record = field("item", .structType, .table([]), children: members.map { scalarField($0.name, $0.scalarType!, metadata: metadata(of: $0)) }, metadata: [])
            return field(f.name, .list, .table([]), children: [record], metadata: meta)
        }
    }

    /// The Schema table.
    static func schema(_ s: Schema, metadata: [(String, String)]) -> FBObject {
        .table([
            .i16(0),  // 0 endianness: Little
            .object(.vectorOfTables(s.fields.map(field))),  // 1 fields
            keyValues(metadata),  // 2 custom_metadata
        ])
    }
}

extension Field {
    /// The field's metadata in every Arrow form Darkscan writes (IPC files, C streams): the unit
    /// symbol and the description when there are, and the stable EVC field id.
    public var arrowMetadata: [(String, String)] {
        var m: [(String, String)] = []
        if !unit.symbol.isEmpty { m.append(("unit", unit.symbol)) }
        if !description.isEmpty { m.append(("description", description)) }
        m.append(("evc.field_id", String(id)))
        return m
    }
}
