/// Reading values: pages decoded straight into caller buffers, whole clusters or event ranges,
/// with column projection.
extension EVCFile {
    /// Reads the stored bytes of pages `pages` of `column` in `cluster` with one request into
    /// `buffer` and returns the file offset of `buffer[0]`: the bytes from the lowest page start
    /// to the highest page end (a column chunk's pages are contiguous in files written by the
    /// reference writer; the pages area bounds them in any valid file).
    public func readStoredPages(cluster: ClusterInfo, column: Int, pages: Range<Int>, into buffer: ColumnBuffer) throws(EVCError) -> Int {
        let chunk = cluster.columns[column].pages[pages]
        guard let lo = chunk.map(\.offset).min(), let hi = chunk.map({ $0.offset + $0.storedSize }).max() else { return 0 }
        buffer.resize(hi - lo)
        do throws(EVCError) {
            try source.read([ByteRange(offset: lo, count: hi - lo)], into: buffer.mutableRawBytes)
        } catch {
            throw error.with(path: path).with(place: "cluster \(cluster.index), column \(schema.columns[column].path)")
        }
        return lo
    }

    /// Decodes page `page` of column `column` in `cluster` into `dst` (exactly count × width
    /// bytes), reading its stored bytes first. `scratch` holds decompressed bytes between the
    /// codec and the encoding.
    public func decodePage(
        cluster: ClusterInfo, column: Int, page: Int, into dst: UnsafeMutableRawBufferPointer,
        scratch: ColumnBuffer, verify: Bool = true
    ) throws(EVCError) {
        let stored = ColumnBuffer(type: .uint8)
        let base = try readStoredPages(cluster: cluster, column: column, pages: page..<page + 1, into: stored)
        try decodePage(cluster: cluster, column: column, page: page, stored: stored.rawBytes, at: base, into: dst, scratch: scratch, verify: verify)
    }

    /// Decodes page `page` from `stored`, bytes the caller read from the file starting at offset
    /// `at` (they must hold the whole page).
    public func decodePage(
        cluster: ClusterInfo, column: Int, page: Int, stored all: UnsafeRawBufferPointer, at base: Int,
        into dst: UnsafeMutableRawBufferPointer, scratch: ColumnBuffer, verify: Bool = true
    ) throws(EVCError) {
        let p = cluster.columns[column].pages[page]
        let col = schema.columns[column]
        func fail(_ code: EVCError.Code, _ message: String) -> EVCError {
            EVCError(code, message, path: path, offset: p.offset, place: "cluster \(cluster.index), column \(col.path), page \(page)")
        }
        precondition(p.offset >= base && p.offset + p.storedSize <= base + all.count, "page bytes not in the buffer read for them")
        let stored = UnsafeRawBufferPointer(rebasing: all[p.offset - base..<p.offset - base + p.storedSize])
        if verify && Checksum.xxh3(stored) != p.checksum {
            throw fail(.checksumMismatch, "page checksum does not match its bytes")
        }
        if p.codec == 0 {
            if let message = PageDecoder.decode(p.encoding, type: col.type, count: p.count, from: stored, into: dst) {
                throw fail(.corrupt, message)
            }
            return
        }
        if p.encoding == .plain && p.encodedSize == dst.count {
            // Plain values decompress straight into place.
            if let message = Decompressor.decompress(codec: p.codec, stored, into: dst) { throw fail(.corrupt, message) }
            if col.type == .bool { for i in 0..<dst.count where dst[i] > 1 { dst[i] = 1 } }
            return
        }
        scratch.resize(p.encodedSize)
        if let message = Decompressor.decompress(codec: p.codec, stored, into: scratch.mutableRawBytes) { throw fail(.corrupt, message) }
        if let message = PageDecoder.decode(p.encoding, type: col.type, count: p.count, from: scratch.rawBytes, into: dst) {
            throw fail(.corrupt, message)
        }
    }

    /// Appends the values `elements` (cluster-relative) of `column` to `out`, decoding only the
    /// pages that overlap them.
    public func readValues(cluster: ClusterInfo, column: Int, elements: Range<Int>, into out: ColumnBuffer, verify: Bool = true) throws(EVCError) {
        guard !elements.isEmpty else { return }
        let chunk = cluster.columns[column]
        let w = schema.columns[column].type.width
        // The pages that overlap `elements`, and where each starts.
        var starts: [Int] = []
        var pages = 0..<0
        var first = 0
        for (pi, p) in chunk.pages.enumerated() {
            if first + p.count > elements.lowerBound && first < elements.upperBound {
                if pages.isEmpty { pages = pi..<pi }
                pages = pages.lowerBound..<pi + 1
                starts.append(first)
            }
            first += p.count
            if first >= elements.upperBound { break }
        }
        guard !pages.isEmpty else { return }
        let stored = ColumnBuffer(type: .uint8)
        let base = try readStoredPages(cluster: cluster, column: column, pages: pages, into: stored)
        let scratch = ColumnBuffer(type: .uint8)
        var pageTemp: ColumnBuffer? = nil
        out.reserve(out.count + elements.count)
        for (k, pi) in pages.enumerated() {
            let p = chunk.pages[pi]
            let pageRange = starts[k]..<starts[k] + p.count
            let overlap = pageRange.clamped(to: elements)
            if overlap == pageRange {
                let at = out.count
                out.resize(at + p.count)
                let dst = UnsafeMutableRawBufferPointer(rebasing: out.mutableRawBytes[at * w..<(at + p.count) * w])
                try decodePage(cluster: cluster, column: column, page: pi, stored: stored.rawBytes, at: base, into: dst, scratch: scratch, verify: verify)
            } else {
                let temp = pageTemp ?? ColumnBuffer(type: out.type, capacity: p.count)
                pageTemp = temp
                temp.resize(p.count)
                try decodePage(cluster: cluster, column: column, page: pi, stored: stored.rawBytes, at: base, into: temp.mutableRawBytes, scratch: scratch, verify: verify)
                out.append(temp, range: (overlap.lowerBound - pageRange.lowerBound)..<(overlap.upperBound - pageRange.lowerBound))
            }
        }
    }

    /// Reads events `events` (cluster-relative) of `cluster` for the fields `fields` (indices
    /// into `schema.fields`; nil reads all). List offsets come back batch-relative.
    public func readEvents(cluster ci: Int, events: Range<Int>? = nil, fields: [Int]? = nil, verify: Bool = true) throws(EVCError) -> EventBatch {
        try readEvents(cluster: cluster(ci), events: events, fields: fields, verify: verify)
    }

    /// The same for a cluster whose index the caller holds.
    public func readEvents(cluster: ClusterInfo, events: Range<Int>? = nil, fields: [Int]? = nil, verify: Bool = true) throws(EVCError) -> EventBatch {
        let ci = cluster.index
        let range = events ?? 0..<cluster.eventCount
        guard range.lowerBound >= 0, range.upperBound <= cluster.eventCount else {
            throw EVCError(.badArgument, "events \(range) lie outside cluster \(ci) of \(cluster.eventCount)", path: path)
        }
        let wanted = Set(fields ?? Array(schema.fields.indices))
        var columns: [ColumnBuffer?] = Array(repeating: nil, count: schema.columns.count)
        for col in schema.columns where wanted.contains(col.fieldIndex) {
            let field = schema.fields[col.fieldIndex]
            let buf = ColumnBuffer(type: col.type)
            switch col.role {
            case .offsets:
                // One offset before the range gives the base to rebase on.
                let lo = max(range.lowerBound - 1, 0)
                try readValues(cluster: cluster, column: col.index, elements: lo..<range.upperBound, into: buf, verify: verify)
                let o = buf.buffer(UInt64.self)
                let base = range.lowerBound == 0 ? 0 : o.first ?? 0
                let rebased = ColumnBuffer(type: .uint64, capacity: range.count)
                var prev = base
                for v in o.dropFirst(range.lowerBound == 0 ? 0 : 1) {
                    guard v >= prev else {
                        throw EVCError(.corrupt, "list offsets decrease", path: path, place: "cluster \(ci), column \(col.path)")
                    }
                    rebased.append(v - base)
                    prev = v
                }
                columns[col.index] = rebased
            case .values, .member:
                if let per = field.elementsPerEvent {
                    try readValues(cluster: cluster, column: col.index, elements: range.lowerBound * per..<range.upperBound * per, into: buf, verify: verify)
                } else {
                    // The offsets column of this list was read just before (it comes first).
                    let offsIndex = col.index - (col.role == .values ? 1 : memberIndex(col.role) + 1)
                    let o = try offsetBounds(cluster: cluster, column: offsIndex, events: range, verify: verify)
                    guard o.upperBound <= cluster.columns[col.index].elementCount else {
                        throw EVCError(.corrupt, "list offsets reach element \(o.upperBound) but the column holds \(cluster.columns[col.index].elementCount)",
                                       path: path, place: "cluster \(ci), column \(col.path)")
                    }
                    try readValues(cluster: cluster, column: col.index, elements: o, into: buf, verify: verify)
                }
                columns[col.index] = buf
            }
        }
        var batch = EventBatch(schema: schema, eventCount: range.count, columns: columns)
        batch.firstEvent = cluster.firstEvent + range.lowerBound
        return batch
    }

    /// The cluster-relative element range of a list for `events`.
    private func offsetBounds(cluster: ClusterInfo, column: Int, events: Range<Int>, verify: Bool) throws(EVCError) -> Range<Int> {
        guard !events.isEmpty else { return 0..<0 }
        let buf = ColumnBuffer(type: .uint64)
        let lo = max(events.lowerBound - 1, 0)
        try readValues(cluster: cluster, column: column, elements: lo..<events.upperBound, into: buf, verify: verify)
        let o = buf.buffer(UInt64.self)
        let start = events.lowerBound == 0 ? 0 : o[0]
        let end = o[o.count - 1]
        guard end >= start, end <= UInt64(Int.max / 2) else {
            throw EVCError(.corrupt, "list offsets decrease", path: path, place: "cluster \(cluster.index), column \(schema.columns[column].path)")
        }
        return Int(start)..<Int(end)
    }

    private func memberIndex(_ role: ColumnRole) -> Int {
        if case .member(let m) = role { return m }
        return 0
    }

    /// Field indices for names, with an error naming the first unknown one.
    public func fieldIndices(_ names: [String]) throws(EVCError) -> [Int] {
        var out: [Int] = []
        for n in names {
            guard let i = schema.fieldIndex(named: n) else {
                throw EVCError(.badArgument, "no field '\(n)' (fields: \(schema.fields.map(\.name).joined(separator: ", ")))", path: path)
            }
            out.append(i)
        }
        return out
    }
}
