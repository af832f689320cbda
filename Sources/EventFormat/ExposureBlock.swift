/// The EXPO block (Formats/EVC.md, section 8.1): the exposure table as a record of spill
/// records, strictly increasing in (run, spill).
enum ExposureBlock {
    static let spillRecordSize = 48

    static func payload(_ e: Exposure) -> [UInt8] {
        var w = ByteWriter()
        w.record { w in
            w.u32(0)
            w.u32(UInt32(e.rows.count))
            for r in e.rows {
                w.record { w in
                    w.u32(r.run)
                    w.u32(r.spill)
                    w.u32(r.quality)
                    w.u64(r.eot)
                    w.u64(r.triggersAccepted)
                    w.u64(r.triggersOffered)
                    w.u64(r.lengthMicroseconds)
                }
            }
        }
        return w.bytes
    }

    static func parse(_ payload: UnsafeRawBufferPointer, fileOffset: Int) throws(EVCError) -> Exposure {
        var r = ByteReader(payload, fileOffset: fileOffset, context: "exposure table")
        return try r.record("exposure", minSize: 12) { r throws(EVCError) in
            let reserved = try r.u32()
            guard reserved == 0 else { throw r.error("reserved field is \(reserved), must be 0", code: .unknownFeature) }
            let n = try r.listCount("spill", minItemSize: spillRecordSize)
            var rows: [SpillExposure] = []
            rows.reserveCapacity(n)
            for i in 0..<n {
                let row: SpillExposure
                if r.remaining >= spillRecordSize && r.peekU32() == UInt32(spillRecordSize) {
                    // The record as this version writes it: its fields at fixed places.
                    let b = try r.bytes(spillRecordSize)
                    func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
                    func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
                    row = SpillExposure(run: u32(4), spill: u32(8), eot: u64(16), triggersAccepted: u64(24), triggersOffered: u64(32),
                                        lengthMicroseconds: u64(40), quality: u32(12))
                } else {
                    row = try r.record("spill", minSize: spillRecordSize) { r throws(EVCError) in
                        let run = try r.u32(), spill = try r.u32(), quality = try r.u32()
                        return SpillExposure(run: run, spill: spill, eot: try r.u64(), triggersAccepted: try r.u64(), triggersOffered: try r.u64(),
                                             lengthMicroseconds: try r.u64(), quality: quality)
                    }
                }
                if let last = rows.last, !(last.key < row.key) {
                    throw r.error("row \(i) (\(row.key)) does not follow row \(i - 1) (\(last.key)): rows must be in strictly increasing (run, spill) order")
                }
                rows.append(row)
            }
            return Exposure(sortedRows: rows)
        }
    }

    /// Reads and checks the EXPO block at `offset` (`size` bytes in all) of `source`.
    static func read(_ source: ByteSource, at offset: Int, size: Int) throws(EVCError) -> Exposure {
        let payload = try Block.read(source, at: offset, expected: .exposure)
        guard Layout.blockOverhead + payload.count == size else {
            throw EVCError(.corrupt, "exposure block is \(Layout.blockOverhead + payload.count) bytes, the footer says \(size)", offset: offset)
        }
        return try payload.withBytes { (b) throws(EVCError) in try parse(b, fileOffset: offset + Layout.blockHeaderSize) }
    }
}

extension EVCFile {
    /// True when the footer names an exposure table (version 1.1).
    public var hasExposure: Bool { footer.exposureOffset != 0 }

    /// The file's exposure table, read and checked on each call (it is small); nil when the file
    /// has none. A damaged table is an error naming the file and byte.
    public func exposure() throws(EVCError) -> Exposure? {
        guard hasExposure else { return nil }
        do throws(EVCError) {
            return try ExposureBlock.read(source, at: footer.exposureOffset, size: footer.exposureSize)
        } catch {
            throw error.with(path: path).with(place: "exposure table")
        }
    }
}

/// What a dataset's exposure tables say together, and which files have none.
public struct DatasetExposure: Sendable {
    /// The union of the tables of the files that have one.
    public var table: Exposure
    /// Files without a table: their events have unknown exposure.
    public var filesWithout: [String]
    public var filesWith: Int
}

extension EVCDataset {
    /// The union of the files' exposure tables. Two different rows for one (run, spill) are an
    /// error naming both files; a damaged table, one naming its file.
    public func exposure() throws(EVCError) -> DatasetExposure {
        let read = Parallel.map(files.count, width: 8) { (i) -> Result<Exposure?, EVCError> in
            Result { () throws(EVCError) in try self.files[i].exposure() }
        }
        var tables: [(source: String, table: Exposure)] = []
        var without: [String] = []
        for (i, r) in read.enumerated() {
            if let t = try r.get() { tables.append((files[i].path, t)) } else { without.append(files[i].path) }
        }
        do {
            return DatasetExposure(table: try Exposure.merged(tables), filesWithout: without, filesWith: tables.count)
        } catch {
            throw EVCError(.conflict, error.description)
        }
    }
}
