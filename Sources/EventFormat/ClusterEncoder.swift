import Dispatch

/// Turns the columns of a closing cluster into pages: statistics, encoding by trial, codec,
/// checksum. Columns are independent, so they are encoded in parallel.
enum ClusterEncoder {
    /// A column chunk's page records and its stored pages, back to back in `data` (page offsets
    /// are relative to `data` until the writer places them in the file).
    struct EncodedColumn: Sendable {
        var chunk: ColumnChunkInfo
        var data: ColumnBuffer
    }

    final class Results: @unchecked Sendable {
        // Safe: each concurrentPerform iteration writes only its own slot.
        var slots: [EncodedColumn?]
        init(_ n: Int) { slots = Array(repeating: nil, count: n) }
    }

    static func encode(schema: Schema, columns: [ColumnBuffer], options: WriterOptions) -> [EncodedColumn] {
        let results = Results(columns.count)
        let work: @Sendable (Int) -> Void = { ci in
            results.slots[ci] = encodeColumn(schema.columns[ci], columns[ci], options: options)
        }
        if options.threads > 1 && columns.count > 1 {
            // Hand out columns largest first so that one big array column does not finish last.
            let order = columns.indices.sorted { columns[$0].count * columns[$0].type.width > columns[$1].count * columns[$1].type.width }
            let next = Counter()
            DispatchQueue.concurrentPerform(iterations: min(options.threads, columns.count)) { _ in
                while let k = next.take(limit: order.count) { work(order[k]) }
            }
        } else {
            for ci in columns.indices { work(ci) }
        }
        return results.slots.map { $0! }
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLockLike()
        func take(limit: Int) -> Int? {
            lock.withLock {
                guard value < limit else { return nil }
                value += 1
                return value - 1
            }
        }
    }

    static func encodeColumn(_ col: Column, _ buf: ColumnBuffer, options: WriterOptions) -> EncodedColumn {
        let w = col.type.width
        let perPage = max(1, options.pageBytes / w)
        let all = buf.rawBytes
        // Offsets columns carry statistics of the list lengths, not of the offsets.
        var lengths: ColumnBuffer? = nil
        if col.role == .offsets {
            let o = buf.buffer(UInt64.self)
            let l = ColumnBuffer(type: .uint64, capacity: o.count)
            var prev: UInt64 = 0
            for v in o {
                l.append(v &- prev)
                prev = v
            }
            lengths = l
        }
        let scratch = PageEncoder.Scratch()
        let encoded = ColumnBuffer(type: .uint8, capacity: min(options.pageBytes, buf.count * w) + 64)
        let data = ColumnBuffer(type: .uint8, capacity: buf.count * w / 2 + 64)
        var pages: [PageInfo] = []
        var chunkStats = Statistics.empty
        var floatChoice: Encoding? = nil
        var start = 0
        while start < buf.count {
            let n = min(perPage, buf.count - start)
            let values = UnsafeRawBufferPointer(rebasing: all[start * w..<(start + n) * w])
            let stats: Statistics
            if let lengths {
                stats = Statistics.compute(UnsafeRawBufferPointer(rebasing: lengths.rawBytes[start * 8..<(start + n) * 8]), count: n, type: .uint64)
            } else {
                stats = Statistics.compute(values, count: n, type: col.type)
            }
            chunkStats = chunkStats.merged(with: stats, type: col.role == .offsets ? .uint64 : col.type)
            var encoding: Encoding
            var chosen = true
            if let forced = options.encoding, forced.applies(to: col.type), forced != .constant || allEqual(values, n, w) {
                encoding = forced
                chosen = false
            } else {
                encoding = PageEncoder.choose(values, count: n, type: col.type, codec: options.codec, scratch: scratch, trialResult: floatChoice)
                // Pages of one column chunk hold the same quantity: one trial decides split or plain.
                if col.type.isFloat && (encoding == .byteSplit || encoding == .plain) { floatChoice = encoding }
            }
            PageEncoder.encode(values, count: n, type: col.type, as: encoding, into: encoded, scratch: scratch)
            // Compress straight onto the end of the column's data; keep the encoded bytes when
            // the codec does not save enough of them (WriterOptions.minimumSaving).
            let at = data.count
            var codec = options.codec
            var storedSize = encoded.count
            if codec != .none {
                data.resize(at + codec.bound(encoded.count))
                let size = codec.compress(encoded.rawBytes, into: UnsafeMutableRawBufferPointer(rebasing: data.mutableRawBytes[at...]))
                let limit = encoded.count - Int((Double(encoded.count) * options.requiredSaving).rounded(.up))
                if let size, size < encoded.count, size <= limit {
                    storedSize = size
                } else {
                    codec = .none
                    if encoding == .byteSplit && chosen {
                        // Split values only help a codec: uncompressed, plain ones decode by copy.
                        encoding = .plain
                        PageEncoder.encode(values, count: n, type: col.type, as: .plain, into: encoded, scratch: scratch)
                        storedSize = encoded.count
                    }
                }
            }
            if codec == .none {
                data.resize(at + encoded.count)
                UnsafeMutableRawBufferPointer(rebasing: data.mutableRawBytes[at...]).copyMemory(from: encoded.rawBytes)
            }
            data.resize(at + storedSize)
            let stored = UnsafeRawBufferPointer(rebasing: data.rawBytes[at..<at + storedSize])
            pages.append(PageInfo(offset: at, count: n, encoding: encoding, codec: codec.id, storedSize: storedSize,
                                  encodedSize: encoded.count, stats: stats, checksum: Checksum.xxh3(stored)))
            start += n
        }
        return EncodedColumn(chunk: ColumnChunkInfo(column: col.index, elementCount: buf.count, stats: chunkStats, pages: pages), data: data)
    }

    static func allEqual(_ values: UnsafeRawBufferPointer, _ n: Int, _ w: Int) -> Bool {
        (1..<max(n, 1)).allSatisfy { PageEncoder.sameValue(values, 0, $0, w) }
    }
}
