#if canImport(Glibc)
import Glibc
#endif

/// The pages of a field an input lacks, in a merge with `--fill-missing` (Formats/EVC.md,
/// section 8.2): constant pages of NaN (floating point), 0 (integers) or false, and for lists
/// offsets of 0 with no values.
enum Fill {
    static func describe(_ schema: Schema, _ field: String) -> String {
        guard let f = schema.field(named: field) else { return "?" }
        switch f.kind {
        case .list, .recordList: return "empty lists"
        case .scalar(let t), .array(let t, _): return t.isFloat ? "NaN" : t == .bool ? "false" : "0"
        }
    }

    /// The chunk of output column `column` for `events` events, and its stored pages back to
    /// back (page offsets are assigned by the writer).
    static func chunk(_ schema: Schema, column: Int, events: Int, pageBytes: Int) -> (ColumnChunkInfo, ColumnBuffer) {
        let col = schema.columns[column]
        let field = schema.fields[col.fieldIndex]
        let count: Int
        switch col.role {
        case .offsets: count = events
        case .values, .member: count = (field.elementsPerEvent ?? 0) * events
        }
        let w = col.type.width
        var value = [UInt8](repeating: 0, count: w)
        if col.role != .offsets {
            if col.type == .float32 { withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { value = Array($0) } }
            if col.type == .float64 { withUnsafeBytes(of: Double.nan.bitPattern.littleEndian) { value = Array($0) } }
        }
        let nan = col.role != .offsets && col.type.isFloat
        let perPage = max(1, min(Layout.maxPageValues - 1, pageBytes / w))
        let data = ColumnBuffer(type: .uint8)
        var pages: [PageInfo] = []
        var done = 0
        let checksum = value.withUnsafeBytes { Checksum.xxh3($0) }
        while done < count {
            let n = min(perPage, count - done)
            let stats = Statistics(hasRange: !nan, min: 0, max: 0, nanCount: nan ? UInt64(n) : 0)
            pages.append(PageInfo(offset: 0, count: n, encoding: .constant, codec: 0, storedSize: w, encodedSize: w, stats: stats, checksum: checksum))
            value.withUnsafeBytes { data.appendRaw($0.baseAddress!, count: w) }
            done += n
        }
        let chunkStats = Statistics(hasRange: !nan && count > 0, min: 0, max: 0, nanCount: nan ? UInt64(count) : 0)
        return (ColumnChunkInfo(column: column, elementCount: count, stats: chunkStats, pages: pages), data)
    }

    /// Decoded bytes a filled column adds per event.
    static func bytesPerEvent(_ schema: Schema, column: Int) -> Int {
        let col = schema.columns[column]
        switch col.role {
        case .offsets: return 8
        case .values, .member: return (schema.fields[col.fieldIndex].elementsPerEvent ?? 0) * col.type.width
        }
    }
}

extension FileSystem {
    /// Device and inode of a path (nil when it does not exist).
    static func identity(_ path: String) -> [UInt64]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [UInt64(st.st_dev), UInt64(st.st_ino)]
    }

    static func size(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_size)
    }
}
