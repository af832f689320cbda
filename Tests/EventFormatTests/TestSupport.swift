import Foundation
@testable import EventFormat

/// SplitMix64: a small, seeded generator so that every random test prints a seed that replays it.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum TestFiles {
    /// This process's scratch folder, removed when the test process exits.
    static let scratchDirectory: String = {
        let dir = NSTemporaryDirectory() + "darkscan-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "darkscan-tests-\(getpid())") }
        return dir
    }()

    /// A fresh path in a per-process scratch folder.
    static func path(_ name: String) -> String {
        let dir = scratchDirectory
        return dir + "/" + UUID().uuidString.prefix(8) + "-" + name
    }
}

enum RandomData {
    /// A value of `type` drawn to hit the edges: extremes, zeros, NaN, infinities, -0.0.
    static func append(_ buf: ColumnBuffer, _ type: ScalarType, _ rng: inout SeededRandom, style: Int) {
        let r = rng.next()
        let special = r % 8 == 0
        switch type {
        case .bool: buf.append(r & 1 == 1)
        case .int8: buf.append(special ? [Int8.min, Int8.max, 0][Int(r >> 8 % 3)] : Int8(truncatingIfNeeded: style == 0 ? Int64(r >> 60) : Int64(bitPattern: r)))
        case .int16: buf.append(special ? [Int16.min, Int16.max, 0][Int(r >> 8 % 3)] : Int16(truncatingIfNeeded: style == 0 ? Int64(r >> 60) : Int64(bitPattern: r)))
        case .int32: buf.append(special ? [Int32.min, Int32.max, 0][Int(r >> 8 % 3)] : Int32(truncatingIfNeeded: style == 0 ? Int64(r >> 58) : Int64(bitPattern: r)))
        case .int64: buf.append(special ? [Int64.min, Int64.max, 0][Int(r >> 8 % 3)] : (style == 0 ? Int64(r >> 50) : Int64(bitPattern: r)))
        case .uint8: buf.append(special ? [UInt8.max, 0][Int(r >> 8 % 2)] : UInt8(truncatingIfNeeded: style == 0 ? r >> 62 : r))
        case .uint16: buf.append(special ? [UInt16.max, 0][Int(r >> 8 % 2)] : UInt16(truncatingIfNeeded: style == 0 ? r >> 60 : r))
        case .uint32: buf.append(special ? [UInt32.max, 0][Int(r >> 8 % 2)] : UInt32(truncatingIfNeeded: style == 0 ? r >> 58 : r))
        case .uint64: buf.append(special ? [UInt64.max, 0][Int(r >> 8 % 2)] : (style == 0 ? r >> 50 : r))
        case .float32:
            let specials: [Float] = [.nan, .infinity, -.infinity, -0.0, 0, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
            buf.append(special ? specials[Int((r >> 8) % 7)] : (style == 0 ? 0 : Float(Int64(bitPattern: r) >> 40) / 1000))
        case .float64:
            let specials: [Double] = [.nan, .infinity, -.infinity, -0.0, 0, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
            buf.append(special ? specials[Int((r >> 8) % 7)] : (style == 0 ? 0 : Double(bitPattern: r & 0x7FEF_FFFF_FFFF_FFFF)))
        }
    }

    static func schema(_ rng: inout SeededRandom) throws -> Schema {
        var fields: [Field] = []
        let n = 1 + Int(rng.next() % 6)
        var id: UInt32 = 1
        for i in 0..<n {
            let fieldID = id
            id += 1
            let t = ScalarType.allCases[Int(rng.next() % 11)]
            let kind: FieldKind
            switch rng.next() % 4 {
            case 0: kind = .scalar(t)
            case 1: kind = .array(t, shape: (0..<(1 + Int(rng.next() % 3))).map { _ in 1 + Int(rng.next() % 3) })
            case 2: kind = .list(t)
            default:
                var members: [Field] = []
                for m in 0..<(1 + Int(rng.next() % 3)) {
                    members.append(Field(id: id, name: "m\(m)", kind: .scalar(ScalarType.allCases[Int(rng.next() % 11)])))
                    id += 1
                }
                kind = .recordList(members)
            }
            fields.append(Field(id: fieldID, name: "f\(i)", kind: kind, unit: Unit(["GeV", "ns", "", "mm"][i % 4]), description: "field \(i)"))
        }
        return try Schema(fields)
    }

    /// A batch of `events` random events; `style` 0 gives small, compressible values.
    static func batch(_ schema: Schema, events: Int, _ rng: inout SeededRandom) -> EventBatch {
        var b = EventBatch(schema: schema)
        let style = Int(rng.next() % 2)
        for f in schema.fields.indices {
            let cols = schema.columns(ofField: f)
            let field = schema.fields[f]
            if let per = field.elementsPerEvent {
                for _ in 0..<(events * per) { append(b.columns[cols[0].index]!, cols[0].type, &rng, style: style) }
            } else {
                var total: UInt64 = 0
                for _ in 0..<events {
                    let len = rng.next() % 4 == 0 ? 0 : rng.next() % 5
                    total += len
                    b.columns[cols[0].index]!.append(total)
                }
                for c in cols.dropFirst() {
                    for _ in 0..<Int(total) { append(b.columns[c.index]!, c.type, &rng, style: style) }
                }
            }
        }
        b.eventCount = events
        return b
    }

    /// Bitwise comparison of two buffers (NaN payloads and -0.0 included).
    static func same(_ a: ColumnBuffer, _ b: ColumnBuffer) -> Bool {
        a.type == b.type && a.count == b.count && Array(a.rawBytes) == Array(b.rawBytes)
    }
}
