/// Merges EVC files into one by copying their compressed pages as they are: no decoding, no
/// recompression. Each page's checksum is verified on the way, clusters get new indices and
/// offsets, exposure tables are merged (a spill in two inputs must have identical rows), and
/// the output is written as `OUT.partial` and renamed when complete. Inputs must have the same
/// schema, or with `fillMissing` their fields are united and an input lacking a field gets the
/// default of Formats/EVC.md section 8.2 (NaN, 0, false, empty lists) in constant pages.
public enum Merge {
    /// What a merge will do, known before anything is written.
    public struct Plan: Sendable {
        public let files: [EVCFile]
        public let schema: Schema
        /// For each input, for each output column: the input's column, or nil (filled).
        let columnMap: [[Int?]]
        /// Output fields filled, with the inputs filled for.
        public let filled: [(field: String, inputs: [String])]
        /// The union of the inputs' tables (nil when no input has one), and the inputs without.
        public let exposure: Exposure?
        public let inputsWithoutExposure: [String]
        /// Spills whose (identical) rows appear in more than one input: the same spill read
        /// twice, counted once — their events may be in the output twice.
        public let sharedSpills: Int
        public var eventCount: Int { files.reduce(0) { $0 + $1.eventCount } }
        public var inputBytes: Int { files.reduce(0) { $0 + $1.fileSize } }
    }

    public struct Report: Sendable {
        public var events = 0
        public var clusters = 0
        public var pages = 0
        public var bytesRead = 0
        public var bytesWritten = 0
    }

    /// Opens `paths` (files, globs, directories), checks that they can be merged into `output`,
    /// and merges their exposure tables.
    public static func plan(_ paths: [String], output: String, fillMissing: Bool) throws(EVCError) -> Plan {
        let expanded = try EVCDataset.expand(paths)
        guard !expanded.isEmpty else { throw EVCError(.badArgument, "no input files") }
        let outID = FileSystem.identity(output)
        for p in expanded where outID != nil && FileSystem.identity(p) == outID {
            throw EVCError(.badArgument, "the output is also an input", path: p)
        }
        let opened = Parallel.map(expanded.count, width: 16) { (i) -> Result<EVCFile, EVCError> in
            Result { () throws(EVCError) in try EVCFile(path: expanded[i]) }
        }
        var files: [EVCFile] = []
        for r in opened {
            let f = try r.get()
            f.source.relinquish()
            files.append(f)
        }
        let (schema, map, filled) = try unite(files, fillMissing: fillMissing)
        var tables: [(source: String, table: Exposure)] = []
        var without: [String] = []
        for f in files {
            if let t = try f.exposure() { tables.append((f.path, t)) } else { without.append(f.path) }
        }
        let exposure: Exposure?
        do { exposure = tables.isEmpty ? nil : try Exposure.merged(tables) } catch { throw EVCError(.conflict, error.description) }
        // The format's limits, before anything is written.
        let events = files.reduce(0) { $0 + $1.eventCount }, clusters = files.reduce(0) { $0 + $1.clusterCount }
        guard events < 1 << 56 else { throw EVCError(.badArgument, "the merged file would hold \(events) events, more than the 2^56 an EVC file may") }
        guard clusters <= Int(UInt32.max) else { throw EVCError(.badArgument, "the merged file would hold \(clusters) clusters, more than the 2^32 - 1 an EVC file may list") }
        if !filled.isEmpty { try checkFilledClusters(files, map, schema) }
        let shared = tables.reduce(0) { $0 + $1.table.count } - (exposure?.count ?? 0)
        return Plan(files: files, schema: schema, columnMap: map, filled: filled, exposure: exposure, inputsWithoutExposure: without, sharedSpills: shared)
    }

    /// With fields filled in, no cluster may pass the format's 512 MiB of decoded values.
    static func checkFilledClusters(_ files: [EVCFile], _ map: [[Int?]], _ schema: Schema) throws(EVCError) {
        for (fi, f) in files.enumerated() {
            let added = map[fi].enumerated().reduce(0) { $0 + ($1.element == nil ? Fill.bytesPerEvent(schema, column: $1.offset) : 0) }
            guard added > 0 else { continue }
            let results = Parallel.map(f.clusterCount, width: 8) { (ci) -> Result<Int, EVCError> in
                Result { () throws(EVCError) in
                    let info = try f.cluster(ci)
                    return info.columns.enumerated().reduce(0) { $0 + $1.element.elementCount * f.schema.columns[$1.offset].type.width }
                }
            }
            for (ci, r) in results.enumerated() {
                let decoded = try r.get() + added * f.clusterSummaries[ci].eventCount
                guard decoded <= Layout.maxClusterBytes else {
                    throw EVCError(.badArgument, "with the missing fields filled in, cluster \(ci) would hold \(decoded) bytes of decoded values, more than the \(Layout.maxClusterBytes) an EVC cluster may",
                                   path: f.path)
                }
            }
            f.source.relinquish()
        }
    }

    /// The output schema: the first input's, which every other must equal; or with `fillMissing`
    /// the union of the inputs' fields in order of first appearance.
    static func unite(_ files: [EVCFile], fillMissing: Bool) throws(EVCError) -> (Schema, [[Int?]], [(String, [String])]) {
        let first = files[0]
        var fields = first.schema.fields
        var from = Array(repeating: first.path, count: fields.count)
        for f in files.dropFirst() where f.schema != first.schema {
            guard fillMissing else {
                let diff = first.schema.firstDifference(from: f.schema) ?? "field order or members differ"
                throw EVCError(.schemaMismatch, "schema differs from \(first.path): \(diff) (--fill-missing adds fields an input lacks)", path: f.path)
            }
            for field in f.schema.fields {
                if let i = fields.firstIndex(where: { $0.name == field.name }) {
                    guard fields[i] == field else {
                        throw EVCError(.schemaMismatch, "field '\(field.name)' is \(field.typeDescription) [\(field.unit)] id \(field.id) here, "
                                       + "\(fields[i].typeDescription) [\(fields[i].unit)] id \(fields[i].id) in \(from[i]); --fill-missing adds fields, it does not convert them", path: f.path)
                    }
                } else {
                    fields.append(field)
                    from.append(f.path)
                }
            }
        }
        let schema: Schema
        do { schema = try Schema(fields) } catch {
            throw EVCError(.schemaMismatch, "the inputs' fields cannot form one schema: \(error.message)")
        }
        var map: [[Int?]] = []
        var filled: [String: [String]] = [:]
        for f in files {
            var m: [Int?] = []
            for col in schema.columns {
                let name = schema.fields[col.fieldIndex].name
                if let ic = f.schema.columns.first(where: { f.schema.fields[$0.fieldIndex].name == name && $0.role == col.role }) {
                    m.append(ic.index)
                } else {
                    m.append(nil)
                    if !(filled[name]?.last == f.path) { filled[name, default: []].append(f.path) }
                }
            }
            map.append(m)
        }
        let order = schema.fields.map(\.name).filter { filled[$0] != nil }
        return (schema, map, order.map { ($0, filled[$0]!) })
    }

    /// Writes the merged file. `metadata` goes into its footer (with `filled_missing` added
    /// when fields were filled); `progress` gets input bytes done and the total.
    @discardableResult
    public static func run(_ plan: Plan, to output: String, metadata: [(String, String)], options: WriterOptions = WriterOptions(),
                           progress: ((Int, Int) -> Void)? = nil) throws(EVCError) -> Report {
        var meta = metadata
        if !plan.filled.isEmpty {
            meta.append(("filled_missing", plan.filled.map { "\($0.field): " + Fill.describe(plan.schema, $0.field) + " for " + $0.inputs.joined(separator: ", ") }
                .joined(separator: "\n")))
        }
        let writer = try EVCWriter(path: output, schema: plan.schema, options: options, metadata: meta, exposure: plan.exposure)
        var report = Report()
        do throws(EVCError) {
            let buffer = ColumnBuffer(type: .uint8)
            let total = plan.inputBytes
            for (fi, f) in plan.files.enumerated() {
                for ci in 0..<f.clusterCount {
                    let info = try f.cluster(ci)
                    try copy(info, of: f, map: plan.columnMap[fi], schema: plan.schema, into: writer, buffer: buffer, pageBytes: options.pageBytes)
                    report.clusters += 1
                    report.events += info.eventCount
                    report.pages += info.columns.reduce(0) { $0 + $1.pages.count }
                    report.bytesRead += info.pagesLength
                    progress?(report.bytesRead, total)
                }
                f.source.relinquish()
            }
            try writer.close()
        } catch {
            writer.abort()
            throw error
        }
        report.bytesWritten = FileSystem.size(output) ?? 0
        return report
    }

    /// Bytes of pages a copy reads, checks and writes at a time: small enough to stay in cache
    /// between the read, the checksum and the write.
    static let stretch = 1 << 18

    /// Copies one cluster, every page checked against its checksum. When its columns map one
    /// to one in order and its pages lie back to back, the pages area streams through a small
    /// buffer; otherwise the area is read whole and written column by column, with filled
    /// columns made up of constant pages.
    static func copy(_ info: ClusterInfo, of file: EVCFile, map: [Int?], schema: Schema, into writer: EVCWriter, buffer: ColumnBuffer,
                     pageBytes: Int) throws(EVCError) {
        let place = "cluster \(info.index)"
        /// Reads `range` of the file into `into`, errors naming the file and cluster.
        func read(_ range: ByteRange, into: ColumnBuffer) throws(EVCError) -> UnsafeRawBufferPointer {
            into.resize(range.count)
            do throws(EVCError) {
                try file.source.read([range], into: into.mutableRawBytes)
            } catch {
                var e = error
                e.path = e.path ?? file.path
                e.place = e.place ?? place
                throw e
            }
            return into.rawBytes
        }
        /// The pages in file order, with their column, page number and place.
        var pages: [(column: Int, page: Int, info: PageInfo)] = []
        for (c, chunk) in info.columns.enumerated() { for (pi, p) in chunk.pages.enumerated() { pages.append((c, pi, p)) } }
        func check(_ k: Int, in bytes: UnsafeRawBufferPointer, at base: Int) throws(EVCError) {
            let p = pages[k].info
            guard Checksum.xxh3(UnsafeRawBufferPointer(rebasing: bytes[p.offset - base..<p.offset - base + p.storedSize])) == p.checksum else {
                throw EVCError(.checksumMismatch, "page checksum does not match its bytes", path: file.path, offset: p.offset,
                               place: "\(place), column \(file.schema.columns[pages[k].column].path), page \(pages[k].page)")
            }
        }
        var next = info.pagesOffset
        for q in pages {
            if q.info.offset != next { break }
            next += q.info.storedSize
        }
        let contiguous = next == info.pagesOffset + info.pagesLength
        let identity = map.count == info.columns.count && map.enumerated().allSatisfy { $0.element == $0.offset }
        if identity && contiguous {
            // Stretches of whole pages, each at most `stretch` bytes unless one page is larger.
            var cuts = [0]
            while cuts.last! < pages.count {
                let k = cuts.last!, start = pages[k].info.offset
                var end = k + 1
                while end < pages.count && pages[end].info.offset + pages[end].info.storedSize - start <= stretch { end += 1 }
                cuts.append(end)
            }
            try writer.writeEncodedCluster(eventCount: info.eventCount, columns: info.columns) { (out) throws(EVCError) in
                try MergeRing.run(cuts.count - 1, load: { (s, buf) throws(EVCError) in
                    let (k, end) = (cuts[s], cuts[s + 1])
                    let start = pages[k].info.offset
                    let range = ByteRange(offset: start, count: pages[end - 1].info.offset + pages[end - 1].info.storedSize - start)
                    let bytes = try read(range, into: buf)
                    for j in k..<end { try check(j, in: bytes, at: start) }
                }, write: { (bytes) throws(EVCError) in try out.write(bytes) })
            }
            return
        }
        let bytes = try read(ByteRange(offset: info.pagesOffset, count: info.pagesLength), into: buffer)
        for k in pages.indices { try check(k, in: bytes, at: info.pagesOffset) }
        // Column by column: copied chunks, and constant pages for filled ones.
        var chunks: [ColumnChunkInfo] = []
        var fills: [Int: ColumnBuffer] = [:]
        var decoded = 0
        for (oc, ic) in map.enumerated() {
            if let ic {
                var chunk = info.columns[ic]
                chunk.column = oc
                chunks.append(chunk)
                decoded += chunk.elementCount * file.schema.columns[ic].type.width
            } else {
                let (chunk, data) = Fill.chunk(schema, column: oc, events: info.eventCount, pageBytes: pageBytes)
                chunks.append(chunk)
                fills[oc] = data
                decoded += chunk.elementCount * schema.columns[oc].type.width
            }
        }
        guard decoded <= Layout.maxClusterBytes else {
            throw EVCError(.badArgument, "with the fields filled in, this cluster would hold \(decoded) bytes of decoded values, more than the \(Layout.maxClusterBytes) an EVC cluster may",
                           path: file.path, place: place)
        }
        try writer.writeEncodedCluster(eventCount: info.eventCount, columns: chunks) { (out) throws(EVCError) in
            for (oc, ic) in map.enumerated() {
                if let ic {
                    for p in info.columns[ic].pages {
                        try out.write(UnsafeRawBufferPointer(rebasing: bytes[p.offset - info.pagesOffset..<p.offset - info.pagesOffset + p.storedSize]))
                    }
                } else {
                    try out.write(fills[oc]!.rawBytes)
                }
            }
        }
    }
}
