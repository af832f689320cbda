import ArgumentParser
import Darkscan
import Foundation

struct CatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print events of EVC files as a table, CSV or JSON.",
        discussion: """
            Arrays print row-major (nested by shape in JSON), lists as [..], record lists as \
            [{member: value}, ..]. In JSON, NaN and infinities are the strings "nan", "inf", "-inf". \
            Only the pages holding the requested events and columns are decoded.

            Examples:
              darkscan cat run4242.evc --columns event,ecal_e,hcal_e,veto --limit 20
              darkscan cat run4242.evc --columns ecal_cells --skip 1000 --limit 1 --format json
              darkscan cat 'runs/*.evc' --columns run,event,missing_energy --format csv > events.csv
              darkscan cat run4242.evc --friend cdr01001-004242.truth.evc --columns event,ecal_e,truth.kind,truth.ecal_true_e

            With --friend, a friend's fields print beside the data's (PREFIX.field); with \
            --spills, only events of the listed spills print (--skip counts those).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    @Argument(help: "EVC files, globs or directories (read as one dataset).")
    var files: [String]

    @Option(name: .long, parsing: .upToNextOption, help: "Fields to print, comma-separated (default: all).")
    var columns: [String] = []

    @Option(name: .shortAndLong, help: "Print at most this many events.")
    var limit: Int = 20

    @Option(help: "Skip this many events first.")
    var skip: Int = 0

    @Option(help: "Output format: table, csv or json.")
    var format: Format = .table

    @OptionGroup var join: JoinOptionGroup

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 or more") }
        guard skip >= 0 else { throw ValidationError("--skip must be 0 or more") }
    }

    func run() throws {
        let options = try join.options()
        if !options.friends.isEmpty || options.spills != nil { return try joined(options) }
        do {
            let ds = try EVCDataset(paths: files)
            let names = columns.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
            let fieldIdx = try ds.files[0].fieldIndices(names.isEmpty ? ds.schema.fields.map(\.name) : names)
            let fields = fieldIdx.map { ds.schema.fields[$0] }
            var printer = Printer(format: format, fields: fields, schema: ds.schema)
            printer.begin()
            var toSkip = skip, left = limit
            outer: for f in ds.files {
                for (ci, s) in f.clusterSummaries.enumerated() {
                    guard left > 0 else { break outer }
                    if toSkip >= s.eventCount {
                        toSkip -= s.eventCount
                        continue
                    }
                    let range = toSkip..<min(s.eventCount, toSkip + left)
                    toSkip = 0
                    let batch = try f.readEvents(cluster: ci, events: range, fields: fieldIdx)
                    for e in 0..<batch.eventCount { printer.event(batch, e) }
                    left -= range.count
                }
            }
            printer.end()
        } catch {
            throw Terminal.fail(error)
        }
    }

    /// Events read through a scan, with friends joined and the spill list applied.
    func joined(_ options: QueryOptions) throws {
        struct Enough: Error {}
        let ds = try QueryOptionGroup.open(files, query: nil, options: options)
        let names = columns.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        do {
            let schema = try ds.extendedSchema(options: options)
            let wanted = names.isEmpty ? ["*"] : names
            var printer: Printer? = nil
            var toSkip = skip, left = limit
            do {
                guard left > 0 else { throw Enough() }
                try ds.forEachSelected("true", fields: wanted, options: options) { b in
                    if printer == nil {
                        let ordered = names.contains { $0.hasSuffix("*") } ? b.schema.fields : names.compactMap { b.schema.field(named: $0) }
                        printer = Printer(format: format, fields: ordered, schema: schema)
                        printer!.begin()
                    }
                    for e in 0..<b.eventCount {
                        if toSkip > 0 { toSkip -= 1; continue }
                        printer!.event(b, e)
                        left -= 1
                        if left == 0 { throw Enough() }
                    }
                }
            } catch is Enough {}
            if printer == nil {
                printer = Printer(format: format, fields: try ds.extendedSchema(options: options).fields.filter { names.isEmpty || names.contains($0.name) }, schema: schema)
                printer!.begin()
            }
            printer!.end()
        } catch {
            throw Terminal.fail(error)
        }
    }
}

/// Formats events field by field.
struct Printer {
    let format: CatCommand.Format
    let fields: [Field]
    let schema: Schema
    var rows: [[String]] = []
    var first = true

    init(format: CatCommand.Format, fields: [Field], schema: Schema) {
        self.format = format
        self.fields = fields
        self.schema = schema
    }

    mutating func begin() {
        switch format {
        case .csv: print(fields.map { csvEscape($0.name) }.joined(separator: ","))
        case .json: print("[", terminator: "")
        case .table: break
        }
    }

    mutating func event(_ b: EventBatch, _ e: Int) {
        switch format {
        case .table:
            rows.append(fields.map { text($0, b, e, maxValues: 6) })
        case .csv:
            print(fields.map { csvEscape(text($0, b, e, maxValues: .max)) }.joined(separator: ","))
        case .json:
            let obj = "{" + fields.map { "\"\($0.name)\": " + json($0, b, e) }.joined(separator: ", ") + "}"
            print((first ? "\n  " : ",\n  ") + obj, terminator: "")
        }
        first = false
    }

    mutating func end() {
        switch format {
        case .table:
            let header = fields.map { $0.unit.symbol.isEmpty ? $0.name : "\($0.name) [\($0.unit.symbol)]" }
            print(Terminal.table(header, rows))
        case .json: print(first ? "]" : "\n]")
        case .csv: break
        }
    }

    func range(_ f: Field, _ b: EventBatch, _ e: Int) -> Range<Int> {
        if let per = f.elementsPerEvent { return e * per..<(e + 1) * per }
        let o = b.offsets(f.name)!.buffer(UInt64.self)
        return (e == 0 ? 0 : Int(o[e - 1]))..<Int(o[e])
    }

    func text(_ f: Field, _ b: EventBatch, _ e: Int, maxValues: Int) -> String {
        let r = range(f, b, e)
        switch f.kind {
        case .scalar: return b.values(f.name)!.text(at: e)
        case .array, .list:
            let buf = b.values(f.name)!
            var parts = r.prefix(maxValues).map { buf.text(at: $0) }
            if r.count > maxValues { parts.append("… \(r.count) values") }
            return "[" + parts.joined(separator: ", ") + "]"
        case .recordList(let members):
            let bufs = members.map { b.column(f.name + "." + $0.name)! }
            var parts = r.prefix(maxValues == .max ? .max : 2).map { i in
                "{" + members.indices.map { "\(members[$0].name): \(bufs[$0].text(at: i))" }.joined(separator: ", ") + "}"
            }
            if r.count > parts.count { parts.append("… \(r.count) records") }
            return "[" + parts.joined(separator: ", ") + "]"
        }
    }

    func jsonValue(_ buf: ColumnBuffer, _ i: Int) -> String {
        let t = buf.text(at: i)
        if buf.type.isFloat {
            let d = buf.double(at: i)
            if d.isNaN { return "\"nan\"" }
            if d.isInfinite { return d > 0 ? "\"inf\"" : "\"-inf\"" }
        }
        return t
    }

    func json(_ f: Field, _ b: EventBatch, _ e: Int) -> String {
        let r = range(f, b, e)
        switch f.kind {
        case .scalar: return jsonValue(b.values(f.name)!, e)
        case .array(_, let shape):
            let buf = b.values(f.name)!
            func nest(_ dims: ArraySlice<Int>, _ start: Int) -> String {
                guard let d = dims.first else { return jsonValue(buf, start) }
                let stride = dims.dropFirst().reduce(1, *)
                return "[" + (0..<d).map { nest(dims.dropFirst(), start + $0 * stride) }.joined(separator: ", ") + "]"
            }
            return nest(shape[...], r.lowerBound)
        case .list:
            let buf = b.values(f.name)!
            return "[" + r.map { jsonValue(buf, $0) }.joined(separator: ", ") + "]"
        case .recordList(let members):
            let bufs = members.map { b.column(f.name + "." + $0.name)! }
            return "[" + r.map { i in
                "{" + members.indices.map { "\"\(members[$0].name)\": \(jsonValue(bufs[$0], i))" }.joined(separator: ", ") + "}"
            }.joined(separator: ", ") + "]"
        }
    }

    func csvEscape(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
