// EVC fields as Arrow C data interface types, laid out as the IPC export lays them out
// (Formats/ARROW.md): scalars as Int/FloatingPoint/Bool, arrays as nested FixedSizeList, lists
// as List, record lists as List<Struct>; non-nullable; unit, description and field id in field
// metadata.
import CDarkscanABI
import Darkscan

#if canImport(Glibc)
import Glibc
#endif

/// One node of an Arrow schema tree, before it is written into ArrowSchema structs.
struct ArrowField {
    var name: String
    var format: String
    var metadata: [(String, String)] = []
    var children: [ArrowField] = []
}

enum ArrowLayout {
    /// The format string of a scalar type (the C data interface's letters).
    static func format(_ t: ScalarType) -> String {
        switch t {
        case .bool: "b"
        case .int8: "c"
        case .uint8: "C"
        case .int16: "s"
        case .uint16: "S"
        case .int32: "i"
        case .uint32: "I"
        case .int64: "l"
        case .uint64: "L"
        case .float32: "f"
        case .float64: "g"
        }
    }

    static func field(_ f: Field) -> ArrowField {
        let meta = f.arrowMetadata
        switch f.kind {
        case .scalar(let t):
            return ArrowField(name: f.name, format: format(t), metadata: meta)
        case .array(let t, let shape):
            // Innermost dimension first: FixedSizeList<…FixedSizeList<t, dN>…, d1>.
            var inner = ArrowField(name: "item", format: format(t))
            for (k, d) in shape.enumerated().reversed() {
                inner = ArrowField(name: k == 0 ? f.name : "item", format: "+w:\(d)", metadata: k == 0 ? meta : [], children: [inner])
            }
            return inner
        case .list(let t):
            return ArrowField(name: f.name, format: "+l", metadata: meta, children: [ArrowField(name: "item", format: format(t))])
        case .recordList(let members):
            let record = ArrowField(name: "item", format: "+s", children: members.map {
                ArrowField(name: $0.name, format: format($0.scalarType!), metadata: $0.arrowMetadata)
            })
            return ArrowField(name: f.name, format: "+l", metadata: meta, children: [record])
        }
    }

    /// The top-level struct of a batch: the fields of `s` in the order `order`.
    static func schema(_ s: Schema, order: [Int], metadata: [(String, String)]) -> ArrowField {
        ArrowField(name: "", format: "+s", metadata: metadata, children: order.map { field(s.fields[$0]) })
    }

    /// Indices into `projection` (the dataset's schema restricted to `names`, in schema order)
    /// of the fields in the order the caller named them.
    static func order(_ projection: Schema, _ names: [String]?) throws(CFailure) -> [Int] {
        guard let names else { return Array(projection.fields.indices) }
        var seen = Set<String>()
        return try names.map { (n) throws(CFailure) in
            guard seen.insert(n).inserted else { throw .argument("column '\(n)' is named twice") }
            guard let i = projection.fieldIndex(named: n) else { throw .argument("no field '\(n)'") }
            return i
        }
    }

    /// Schema metadata as the IPC export writes it.
    static func datasetMetadata(_ ds: EVCDataset, query: String?) -> [(String, String)] {
        var m: [(String, String)] = [("producer", "darkscan scan")]
        if let query, !query.isEmpty { m.append(("darkscan.query", query)) }
        let runs = Array(Set(ds.files.compactMap { $0.metadata("run") })).sorted()
        if !runs.isEmpty { m.append(("run", runs.joined(separator: ","))) }
        m.append(("inputs", ds.files.map(\.path).joined(separator: "\n")))
        return m
    }

    /// Key-value metadata in the C data interface's binary form: int32 count, then for each pair
    /// int32 length and bytes of the key, int32 length and bytes of the value (native order).
    static func encodeMetadata(_ pairs: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        func int32(_ v: Int) { withUnsafeBytes(of: Int32(v)) { out += $0 } }
        int32(pairs.count)
        for (k, v) in pairs {
            int32(k.utf8.count)
            out += k.utf8
            int32(v.utf8.count)
            out += v.utf8
        }
        return out
    }
}

/// Writes ArrowField trees into ArrowSchema structs. Each struct's private_data owns its strings
/// and its children's structs; release releases the children, then frees what it owns.
enum ArrowSchemaExport {
    final class Node {
        let strings: [UnsafeMutablePointer<CChar>]
        let metadata: UnsafeMutableRawPointer?
        let children: UnsafeMutablePointer<UnsafeMutablePointer<ArrowSchema>?>?
        let childCount: Int

        init(strings: [UnsafeMutablePointer<CChar>], metadata: UnsafeMutableRawPointer?, children: UnsafeMutablePointer<UnsafeMutablePointer<ArrowSchema>?>?, childCount: Int) {
            self.strings = strings
            self.metadata = metadata
            self.children = children
            self.childCount = childCount
        }

        deinit {
            for s in strings { free(s) }
            free(metadata)
            if let children {
                for i in 0..<childCount { free(children[i]) }
                free(children)
            }
        }
    }

    static let release: @convention(c) (UnsafeMutablePointer<ArrowSchema>?) -> Void = { s in
        guard let s, s.pointee.release != nil else { return }
        if let children = s.pointee.children {
            for i in 0..<Int(s.pointee.n_children) {
                // A consumer may have moved a child out; then its release is NULL.
                if let c = children[i], let r = c.pointee.release { r(c) }
            }
        }
        if let p = s.pointee.private_data { Unmanaged<Node>.fromOpaque(p).release() }
        s.pointee.release = nil
    }

    static func export(_ f: ArrowField, into out: UnsafeMutablePointer<ArrowSchema>) {
        let format = mallocString(f.format), name = mallocString(f.name)
        var metadata: UnsafeMutableRawPointer? = nil
        if !f.metadata.isEmpty {
            let bytes = ArrowLayout.encodeMetadata(f.metadata)
            metadata = darkscan_malloc(bytes.count)
            metadata!.copyMemory(from: bytes, byteCount: bytes.count)
        }
        var children: UnsafeMutablePointer<UnsafeMutablePointer<ArrowSchema>?>? = nil
        if !f.children.isEmpty {
            children = darkscan_malloc(f.children.count * MemoryLayout<UnsafeMutablePointer<ArrowSchema>?>.stride)!.assumingMemoryBound(to: UnsafeMutablePointer<ArrowSchema>?.self)
            for (i, c) in f.children.enumerated() {
                let child = darkscan_malloc(MemoryLayout<ArrowSchema>.size)!.assumingMemoryBound(to: ArrowSchema.self)
                export(c, into: child)
                children![i] = child
            }
        }
        let node = Node(strings: [format, name], metadata: metadata, children: children, childCount: f.children.count)
        out.pointee = ArrowSchema(format: UnsafePointer(format), name: UnsafePointer(name), metadata: UnsafePointer(metadata?.assumingMemoryBound(to: CChar.self)),
                                  flags: 0, n_children: Int64(f.children.count), children: children, dictionary: nil,
                                  release: release, private_data: Unmanaged.passRetained(node).toOpaque())
    }
}
