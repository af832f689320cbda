// The JSON values UHI.encode returns are the JSON module's: users of Histograms get it too.
@_exported import JSON

/// Histograms as UHI JSON, schema 1 (the serialization of scikit-hep's `uhi`, read by hist,
/// boost-histogram and uproot): a file is an object of name → histogram. Formats/HIST.md says
/// which subset is written and read, and where names, labels, units and the query go.
public enum UHI {
    public static let schema = 1

    // MARK: - Writing

    /// The file text: an object of name → histogram, in the order given.
    public static func encode(_ histograms: [Histogram]) -> String {
        JSONWriter.encode(.object(histograms.map { ($0.name, encode($0)) })) + "\n"
    }

    public static func encode(_ h: Histogram) -> JSON {
        var meta: [(String, JSON)] = [("name", .string(h.name))]
        for (k, v) in h.metadata.sorted(by: { $0.key < $1.key }) where k != "name" && k != Keys.nonFinite {
            meta.append((k, json(v)))
        }
        if h.nonFiniteWeights > 0 { meta.append((Keys.nonFinite, .int(Int(h.nonFiniteWeights)))) }
        let storage: JSON
        switch h.storage {
        case .counts(let c):
            storage = .object([("type", .string("int")), ("values", nested(c.map(Double.init), h.axes))])
        case .weighted(let w, let w2):
            storage = .object([("type", .string("weighted")), ("values", nested(w, h.axes)), ("variances", nested(w2, h.axes))])
        }
        return .object([
            ("uhi_schema", .int(schema)),
            ("writer_info", .object([("darkscan", .object([("format", .string("Formats/HIST.md")), ("version", .int(1))]))])),
            ("metadata", .object(meta)),
            ("axes", .array(h.axes.map(encode))),
            ("storage", storage),
        ])
    }

    enum Keys {
        static let unit = "darkscan.unit"
        static let nonFinite = "darkscan.nonfinite_weights"
    }

    static func json(_ v: Histogram.Value) -> JSON {
        switch v {
        case .string(let s): .string(s)
        case .int(let i): .int(Int(i))
        case .double(let d): .double(d)
        case .bool(let b): .bool(b)
        }
    }

    static func encode(_ a: Axis) -> JSON {
        var meta: [(String, JSON)] = [("name", .string(a.name)), ("label", .string(a.label))]
        if !a.unit.isEmpty { meta.append((Keys.unit, .string(a.unit))) }
        let flows: [(String, JSON)] = [("underflow", .bool(true)), ("overflow", .bool(true)), ("circular", .bool(false))]
        switch a.kind {
        case .regular(let n, let lo, let hi):
            return .object([("type", .string("regular")), ("lower", .double(lo)), ("upper", .double(hi)),
                            ("bins", .int(n))] + flows + [("metadata", .object(meta))])
        case .variable(let e):
            return .object([("type", .string("variable")), ("edges", .numbers(e))] + flows + [("metadata", .object(meta))])
        case .integer(let lo, let hi):
            // boost-histogram's form of its Integer axis: a regular axis of unit bins, marked.
            return .object([("type", .string("regular")), ("lower", .int(lo)), ("upper", .int(hi)),
                            ("bins", .int(hi - lo))] + flows
                           + [("metadata", .object(meta)), ("writer_info", .object([("boost-histogram", .object([("orig_type", .string("Integer"))]))]))])
        case .boolean:
            return .object([("type", .string("boolean")), ("metadata", .object(meta))])
        }
    }

    /// Cells as nested arrays, axis 0 outermost.
    static func nested(_ v: [Double], _ axes: [Axis]) -> JSON {
        if axes.count == 1 { return .numbers(v) }
        let m = axes[1].extent
        return .array(stride(from: 0, to: v.count, by: m).map { .numbers(Array(v[$0..<$0 + m])) })
    }

    // MARK: - Reading

    /// Reads a file's bytes: an object of name → histogram, or a single histogram (then named
    /// by its metadata, else "histogram"). Everything is checked before storage is allocated.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String? = nil) throws(HistogramError) -> [Histogram] {
        do throws(HistogramError) {
            let doc: JSON
            do { doc = try JSON.parse(bytes) } catch { throw syntaxError(error) }
            guard case .object(let pairs) = doc else { throw HistogramError("a histogram file holds an object, not \(doc.kindName)", place: "top level") }
            if doc["uhi_schema"] != nil {
                var name = "histogram"
                if case .string(let s)? = doc["metadata"]?["name"], !s.isEmpty { name = s }
                return [try histogram(doc, name: name)]
            }
            var out: [Histogram] = []
            for (name, h) in pairs { out.append(try histogram(h, name: name)) }
            return out
        } catch {
            var e = error
            e.path = path
            throw e
        }
    }

    public static func decode(_ bytes: [UInt8], path: String? = nil) throws(HistogramError) -> [Histogram] {
        try bytes.withUnsafeBytes { b in Result { () throws(HistogramError) in try decode(b, path: path) } }.get()
    }

    /// A JSON syntax error as a histogram file's: at its byte offset, nesting worded as
    /// Formats/HIST.md says it.
    static func syntaxError(_ e: JSONError) -> HistogramError {
        let message = e.kind == .tooDeep ? "nested more than \(JSON.maxDepth) levels deep" : e.message
        return HistogramError(message, place: "at byte \(e.offset)")
    }

    static func histogram(_ h: JSON, name: String) throws(HistogramError) -> Histogram {
        let at = "histogram \"\(name)\""
        func fail(_ m: String, _ field: String) -> HistogramError { HistogramError(m, place: "\(at), \(field)") }
        guard case .object = h else { throw HistogramError("a histogram is an object, not \(h.kindName)", place: at) }
        guard case .int(let version)? = h["uhi_schema"] else { throw fail("missing or not an integer", "uhi_schema") }
        guard version == schema else {
            throw fail(version > schema ? "schema \(version) is newer than this reader (\(schema))" : "schema \(version) is not \(schema)", "uhi_schema")
        }
        let axesJSON: [JSON]
        switch h["axes"] {
        case .array(let a)?: axesJSON = a
        case .numbers(let a)? where a.isEmpty: axesJSON = []
        default: throw fail("missing or not an array of axes", "axes")
        }
        guard (1...2).contains(axesJSON.count) else { throw fail("\(axesJSON.count) axes; darkscan reads 1D and 2D histograms", "axes") }
        var axes: [Axis] = []
        for (i, a) in axesJSON.enumerated() { axes.append(try axis(a, place: "\(at), axes[\(i)]")) }
        guard let cells = Histogram.cells(axes), cells <= Axis.maxCells else {
            throw fail("more cells than the limit of \(Axis.maxCells)", "axes")
        }
        var metadata: [String: Histogram.Value] = [:]
        var nonFinite: Int64 = 0
        if let m = h["metadata"] {
            metadata = try self.metadata(m, place: "\(at), metadata")
            if let v = metadata.removeValue(forKey: Keys.nonFinite) {
                guard case .int(let n) = v, n >= 0 else { throw fail("not a whole number of entries", "metadata.\(Keys.nonFinite)") }
                nonFinite = n
            }
            metadata.removeValue(forKey: "name")
        }
        guard case .object(let st)? = h["storage"] else { throw fail("missing or not an object", "storage") }
        guard case .string(let type)? = h["storage"]?["type"] else { throw fail("missing or not a string", "storage.type") }
        if h["storage"]?["index"] != nil { throw fail("sparse storage is not supported (darkscan reads dense arrays)", "storage.index") }
        let storage: Histogram.Storage
        switch type {
        case "int":
            guard st.count == 2, let v = h["storage"]?["values"] else { throw fail("int storage needs exactly 'type' and 'values'", "storage") }
            let values = try flat(v, axes, place: "\(at), storage.values")
            var counts = [Int64](repeating: 0, count: values.count)
            for (i, x) in values.enumerated() {
                guard x == x.rounded(), abs(x) <= 9_007_199_254_740_992 else {
                    throw fail("\(x) is not a whole number a count can be", "storage.values, cell \(i)")
                }
                counts[i] = Int64(x)
            }
            storage = .counts(counts)
        case "weighted":
            guard st.count == 3, let v = h["storage"]?["values"], let v2 = h["storage"]?["variances"] else {
                throw fail("weighted storage needs exactly 'type', 'values' and 'variances'", "storage")
            }
            storage = .weighted(sumW: try flat(v, axes, place: "\(at), storage.values"), sumW2: try flat(v2, axes, place: "\(at), storage.variances"))
        default:
            throw fail("storage '\(type)' is not supported (darkscan reads int and weighted)", "storage.type")
        }
        return Histogram(name: name, axes: axes, storage: storage, metadata: metadata, nonFiniteWeights: nonFinite)
    }

    static func axis(_ a: JSON, place: String) throws(HistogramError) -> Axis {
        func fail(_ m: String, _ field: String? = nil) -> HistogramError { HistogramError(m, place: field.map { "\(place).\($0)" } ?? place) }
        guard case .object = a else { throw fail("an axis is an object, not \(a.kindName)") }
        guard case .string(let type)? = a["type"] else { throw fail("missing or not a string", "type") }
        var name = "", label: String? = nil, unit = ""
        if let m = a["metadata"] {
            let meta = try metadata(m, place: "\(place).metadata")
            if case .string(let s)? = meta["name"] { name = s }
            if case .string(let s)? = meta["label"] { label = s }
            if case .string(let s)? = meta[Keys.unit] { unit = s }
        }
        let kind: Axis.Kind
        if type == "boolean" {
            kind = .boolean
        } else {
            for flag in ["underflow", "overflow", "circular"] {
                guard case .bool(let b)? = a[flag] else { throw fail("missing or not true/false", flag) }
                if flag == "circular" && b { throw fail("circular axes are not supported", flag) }
                if flag != "circular" && !b { throw fail("an axis without its \(flag) bin is not supported (darkscan keeps flow bins on every axis)", flag) }
            }
            switch type {
            case "regular":
                guard case .int(let n)? = a["bins"], n >= 1, n <= Axis.maxBinsPerAxis else {
                    throw fail("not a whole number from 1 to \(Axis.maxBinsPerAxis)", "bins")
                }
                guard let lo = a["lower"]?.double else { throw fail("missing or not a number", "lower") }
                guard let hi = a["upper"]?.double else { throw fail("missing or not a number", "upper") }
                if case .string("Integer")? = a["writer_info"]?["boost-histogram"]?["orig_type"] {
                    guard lo == lo.rounded(), hi == hi.rounded(), abs(lo) <= Double(Axis.maxIntegerBound), abs(hi) <= Double(Axis.maxIntegerBound),
                          hi - lo == Double(n) else {
                        throw fail("an Integer axis needs whole-number limits within ±2^53 and upper − lower = bins")
                    }
                    kind = .integer(lower: Int(lo), upper: Int(hi))
                } else {
                    kind = .regular(bins: n, lower: lo, upper: hi)
                }
            case "variable":
                guard let e = a["edges"]?.numbers else { throw fail("missing or not an array of numbers", "edges") }
                kind = .variable(edges: e)
            case "category_int", "category_str":
                throw fail("\(type) axes are not supported (darkscan reads regular, variable, integer and boolean axes)", "type")
            default:
                throw fail("unknown axis type '\(type)'", "type")
            }
        }
        let axis = Axis(kind, name: name, label: label, unit: unit)
        if let p = axis.problem { throw fail(p) }
        return axis
    }

    static func metadata(_ m: JSON, place: String) throws(HistogramError) -> [String: Histogram.Value] {
        guard case .object(let pairs) = m else { throw HistogramError("metadata is an object, not \(m.kindName)", place: place) }
        var out: [String: Histogram.Value] = [:]
        for (k, v) in pairs {
            switch v {
            case .string(let s): out[k] = .string(s)
            case .bool(let b): out[k] = .bool(b)
            case .int(let i): out[k] = .int(Int64(i))
            case .double(let x): out[k] = .double(x)
            default: throw HistogramError("metadata values are strings, numbers or booleans, not \(v.kindName)", place: "\(place).\(k)")
            }
        }
        return out
    }

    /// The cells of a nested array, checked against the axes' shape (flow bins included).
    static func flat(_ v: JSON, _ axes: [Axis], place: String) throws(HistogramError) -> [Double] {
        let n0 = axes[0].extent
        if axes.count == 1 {
            guard let xs = v.numbers else { throw HistogramError("expected an array of numbers, found \(v.kindName)", place: place) }
            guard xs.count == n0 else { throw HistogramError("\(xs.count) cells where the axis has \(n0) (bins and flow bins)", place: place) }
            return xs
        }
        let n1 = axes[1].extent
        guard case .array(let rows) = v else {
            if case .numbers(let xs) = v, xs.isEmpty { throw HistogramError("0 rows where axis 0 has \(n0) (bins and flow bins)", place: place) }
            throw HistogramError("expected an array of rows, found \(v.kindName)", place: place)
        }
        guard rows.count == n0 else { throw HistogramError("\(rows.count) rows where axis 0 has \(n0) (bins and flow bins)", place: place) }
        var out: [Double] = []
        out.reserveCapacity(n0 * n1)
        for (i, r) in rows.enumerated() {
            guard let xs = r.numbers else { throw HistogramError("expected an array of numbers, found \(r.kindName)", place: "\(place)[\(i)]") }
            guard xs.count == n1 else { throw HistogramError("\(xs.count) cells where axis 1 has \(n1) (bins and flow bins)", place: "\(place)[\(i)]") }
            out += xs
        }
        return out
    }
}
