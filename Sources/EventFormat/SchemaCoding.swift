/// Serialization of the schema record (Formats/EVC.md, "Schema record").
enum SchemaCoding {
    static func write(_ schema: Schema, _ w: inout ByteWriter) {
        w.record { w in
            w.u32(UInt32(schema.fields.count))
            for f in schema.fields { writeField(f, &w) }
        }
    }

    static func writeField(_ f: Field, _ w: inout ByteWriter) {
        w.record { w in
            w.u32(f.id)
            w.u8(f.kind.code)
            w.u8(f.scalarType?.rawValue ?? 0)
            var shape: [Int] = []
            if case .array(_, let s) = f.kind { shape = s }
            w.u8(UInt8(shape.count))
            w.u8(0)
            for d in shape { w.u32(UInt32(d)) }
            w.string(f.name)
            w.string(f.unit.symbol)
            w.string(f.description)
            var members: [Field] = []
            if case .recordList(let m) = f.kind { members = m }
            w.u32(UInt32(members.count))
            for m in members { writeField(m, &w) }
        }
    }

    static func read(_ r: inout ByteReader) throws(EVCError) -> Schema {
        try r.record("schema", minSize: 8) { r throws(EVCError) in
            let n = try r.listCount("field", minItemSize: 28)
            var fields: [Field] = []
            for _ in 0..<n { fields.append(try readField(&r, depth: 0)) }
            do throws(EVCError) {
                return try Schema(fields)
            } catch {
                throw r.error("invalid schema: \(error.message)", code: .badSchema)
            }
        }
    }

    static func readField(_ r: inout ByteReader, depth: Int) throws(EVCError) -> Field {
        try r.record("field", minSize: 28) { r throws(EVCError) in
            let id = try r.u32()
            let kind = try r.u8()
            let typeRaw = try r.u8()
            let rank = Int(try r.u8())
            _ = try r.u8()
            guard rank <= 8 else { throw r.error("array rank \(rank) is larger than 8") }
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(Int(try r.u32())) }
            let name = try r.string("field name", max: 255)
            let unit = try r.string("unit", max: 255)
            let description = try r.string("description", max: 1 << 16)
            let nMembers = try r.listCount("member", minItemSize: 28)
            guard depth == 0 || nMembers == 0 else { throw r.error("record member '\(name)' has members of its own") }
            var members: [Field] = []
            for _ in 0..<nMembers { members.append(try readField(&r, depth: depth + 1)) }
            func scalar() throws(EVCError) -> ScalarType {
                guard let t = ScalarType(rawValue: typeRaw) else { throw r.error("field '\(name)' has unknown type code \(typeRaw)", code: .unknownFeature) }
                return t
            }
            let fk: FieldKind
            switch kind {
            case 0: fk = .scalar(try scalar())
            case 1:
                guard rank >= 1 else { throw r.error("array field '\(name)' has no shape") }
                fk = .array(try scalar(), shape: shape)
            case 2: fk = .list(try scalar())
            case 3: fk = .recordList(members)
            default: throw r.error("field '\(name)' has unknown kind \(kind)", code: .unknownFeature)
            }
            if kind != 1 && rank != 0 { throw r.error("field '\(name)' is not an array but has a shape") }
            if kind != 3 && nMembers != 0 { throw r.error("field '\(name)' is not a record list but has members") }
            return Field(id: id, name: name, kind: fk, unit: Unit(unit), description: description)
        }
    }
}
