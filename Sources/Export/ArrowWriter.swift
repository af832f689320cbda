import CLZ4
import CZstd
import EventFormat

/// Writes event batches as an Arrow IPC file (Feather v2) that pyarrow, polars and duckdb open:
/// the magic, a Schema message, one RecordBatch message per batch, the end-of-stream marker,
/// the footer and its length, the magic again. Streaming: one batch in memory at a time.
/// Written as PATH.partial and renamed on close.
public final class ArrowWriter {
    public enum Compression: String, Sendable, CaseIterable { case none, lz4, zstd }

    public let path: String
    public let schema: Schema
    let compression: Compression
    let file: OutputFile
    var blocks: [(offset: Int, metadataLength: Int, bodyLength: Int)] = []
    let schemaObject: FBObject
    let metadata: [(String, String)]
    public private(set) var rowCount = 0
    var closed = false

    public init(path: String, schema: Schema, compression: Compression = .zstd, metadata: [(String, String)] = []) throws(EVCError) {
        self.path = path
        self.schema = schema
        self.compression = compression
        self.metadata = metadata
        schemaObject = ArrowSchema.schema(schema, metadata: metadata)
        file = try OutputFile(creating: path + ".partial")
        try file.write(Array("ARROW1".utf8) + [0, 0])
        try writeMessage(headerType: 1, header: schemaObject, bodyLength: 0, body: [])
    }

    /// The Message table around a header, framed: continuation marker, length, flatbuffer padded
    /// so that the body starts 8-aligned.
    func writeMessage(headerType: UInt8, header: FBObject, bodyLength: Int, body: [[UInt8]]) throws(EVCError) {
        let message = FBObject.table([
            .i16(4),  // 0 version: V5
            .u8(headerType),  // 1 header_type
            .object(header),  // 2 header
            .i64(Int64(bodyLength)),  // 3 bodyLength
        ])
        var fb = FlatBufferWriter.serialize(message)
        while (8 + fb.count) % 8 != 0 { fb.append(0) }
        let offset = file.position
        var prefix = ByteWriter()
        prefix.u32(0xFFFF_FFFF)
        prefix.u32(UInt32(fb.count))
        try file.write(prefix.bytes + fb)
        for part in body { try file.write(part) }
        if headerType == 3 { blocks.append((offset, 8 + fb.count, bodyLength)) }
    }

    /// Appends a batch of events (all columns of `schema` present) as one record batch.
    public func write(_ batch: EventBatch) throws(EVCError) {
        guard batch.eventCount > 0 else { return }
        var body = BodyBuilder(compression: compression)
        var nodes: [(Int, Int)] = []
        for (fi, f) in schema.fields.enumerated() {
            let cols = schema.columns(ofField: fi)
            let n = batch.eventCount
            switch f.kind {
            case .scalar(let t):
                nodes.append((n, 0))
                body.add([])
                body.add(values(batch.columns[cols[0].index]!, t))
            case .array(let t, let shape):
                var count = n
                for d in shape {
                    nodes.append((count, 0))
                    body.add([])
                    count *= d
                }
                nodes.append((count, 0))
                body.add([])
                body.add(values(batch.columns[cols[0].index]!, t))
            case .list, .recordList:
                let offsets = batch.columns[cols[0].index]!.buffer(UInt64.self)
                let total = Int(offsets.last ?? 0)
                guard total <= Int(Int32.max) else {
                    throw EVCError(.badArgument, "list '\(f.name)' has more than 2^31 elements in one batch; Arrow List offsets are 32-bit", path: path)
                }
                nodes.append((n, 0))
                body.add([])
                var o = ByteWriter()
                o.u32(0)
                for v in offsets { o.u32(UInt32(v)) }
                body.add(o.bytes)
                if case .recordList = f.kind {
                    nodes.append((total, 0))
                    body.add([])
                }
                for c in cols.dropFirst() {
                    nodes.append((total, 0))
                    body.add([])
                    body.add(values(batch.columns[c.index]!, c.type))
                }
            }
        }
        let header = FBObject.table([
            .i64(Int64(batch.eventCount)),  // 0 length
            .object(.vectorOfStructs(structs(nodes), count: nodes.count, align: 8)),  // 1 nodes
            .object(.vectorOfStructs(structs(body.buffers), count: body.buffers.count, align: 8)),  // 2 buffers
            compression == .none ? nil : .object(.table([.u8(compression == .lz4 ? 0 : 1), .u8(0)])),  // 3 compression
        ])
        try writeMessage(headerType: 3, header: header, bodyLength: body.length, body: body.parts)
        rowCount += batch.eventCount
    }

    /// Values as Arrow stores them: as they are, except bools, which become bits.
    func values(_ buf: ColumnBuffer, _ t: ScalarType) -> [UInt8] {
        guard t == .bool else { return Array(buf.rawBytes) }
        var bits = [UInt8](repeating: 0, count: (buf.count + 7) / 8)
        let raw = buf.rawBytes
        for i in 0..<buf.count where raw[i] != 0 { bits[i >> 3] |= 1 << UInt8(i & 7) }
        return bits
    }

    /// Pairs of int64 as the little-endian bytes of FieldNode / Buffer structs.
    func structs(_ pairs: [(Int, Int)]) -> [UInt8] {
        var w = ByteWriter()
        for (a, b) in pairs {
            w.u64(UInt64(a))
            w.u64(UInt64(b))
        }
        return w.bytes
    }

    /// Ends the stream, writes the footer, syncs and renames the file into place. `metadata`
    /// known only at the end (a cut flow) goes into the footer's copy of the schema.
    public func close(metadata extra: [(String, String)] = []) throws(EVCError) {
        guard !closed else { return }
        var eos = ByteWriter()
        eos.u32(0xFFFF_FFFF)
        eos.u32(0)
        try file.write(eos.bytes)
        var blockBytes = ByteWriter()
        for b in blocks {
            blockBytes.u64(UInt64(b.offset))
            blockBytes.u32(UInt32(b.metadataLength))
            blockBytes.u32(0)
            blockBytes.u64(UInt64(b.bodyLength))
        }
        let footer = FBObject.table([
            .i16(4),  // 0 version
            .object(extra.isEmpty ? schemaObject : ArrowSchema.schema(schema, metadata: metadata + extra)),  // 1 schema
            .object(.vectorOfStructs([], count: 0, align: 8)),  // 2 dictionaries
            .object(.vectorOfStructs(blockBytes.bytes, count: blocks.count, align: 8)),  // 3 recordBatches
        ])
        let fb = FlatBufferWriter.serialize(footer)
        var tail = ByteWriter()
        tail.u32(UInt32(fb.count))
        try file.write(fb + tail.bytes + Array("ARROW1".utf8))
        try file.sync()
        try file.closeFile()
        try FileSystem.rename(path + ".partial", to: path)
        closed = true
    }

    public func abort() {
        guard !closed else { return }
        closed = true
        try? file.closeFile()
        FileSystem.remove(path + ".partial")
    }
}

/// The body of a record batch: buffers, each compressed as the Arrow format says (an int64
/// uncompressed length, then one LZ4 frame or zstd frame; -1 and the raw bytes when compression
/// does not help; nothing for an empty buffer), each padded to 8 bytes.
struct BodyBuilder {
    let compression: ArrowWriter.Compression
    var parts: [[UInt8]] = []
    var buffers: [(Int, Int)] = []
    var length = 0

    init(compression: ArrowWriter.Compression) { self.compression = compression }

    mutating func add(_ raw: [UInt8]) {
        var data: [UInt8]
        if raw.isEmpty || compression == .none {
            data = raw
        } else {
            var w = ByteWriter()
            if let packed = compress(raw), packed.count < raw.count {
                w.u64(UInt64(raw.count))
                w.raw(packed)
            } else {
                w.u64(UInt64(bitPattern: -1))
                w.raw(raw)
            }
            data = w.bytes
        }
        buffers.append((length, data.count))
        while data.count % 8 != 0 { data.append(0) }
        length += data.count
        parts.append(data)
    }

    func compress(_ raw: [UInt8]) -> [UInt8]? {
        switch compression {
        case .none: return nil
        case .lz4:
            let bound = LZ4F_compressFrameBound(raw.count, nil)
            var out = [UInt8](repeating: 0, count: bound)
            let n = raw.withUnsafeBytes { s in out.withUnsafeMutableBytes { LZ4F_compressFrame($0.baseAddress, bound, s.baseAddress, raw.count, nil) } }
            guard LZ4F_isError(n) == 0 else { return nil }
            return Array(out[0..<n])
        case .zstd:
            let bound = ZSTD_compressBound(raw.count)
            var out = [UInt8](repeating: 0, count: bound)
            let n = raw.withUnsafeBytes { s in out.withUnsafeMutableBytes { ZSTD_compress($0.baseAddress, bound, s.baseAddress, raw.count, 3) } }
            guard ZSTD_isError(n) == 0 else { return nil }
            return Array(out[0..<n])
        }
    }
}
