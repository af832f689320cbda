import Synchronization

/// An EVC file opened for reading, local or remote. Opening reads only the header, trailer and
/// footer through the file's `ByteSource`; a cluster's page index is read from its CLUS block
/// when the cluster is read, and dropped after use (or, through `clusters()`, from the INDX
/// block of every cluster at once, kept). Immutable after opening: any number of threads may
/// read from one `EVCFile` at once.
public final class EVCFile: Sendable {
    public let path: String
    public let version: (major: UInt16, minor: UInt16)
    public let schema: Schema
    public let eventCount: Int
    public let metadata: [(key: String, value: String)]
    public let clusterSummaries: [ClusterSummary]
    public var fileSize: Int { source.size }

    /// Where the bytes come from: `pread` on a local file, XRootD or HTTP for a URL.
    public let source: ByteSource
    let footer: Footer
    private let index = Mutex<[ClusterInfo]?>(nil)

    /// Opens a local path or a `root://` / `http(s)://` URL.
    public convenience init(path: String) throws(EVCError) {
        try self.init(source: ByteSources.open(path))
    }

    public convenience init(source: ByteSource) throws(EVCError) {
        try self.init(source: source, schemaLike: nil)
    }

    /// `schemaLike`: a schema already in memory (another file's); when this file's equals it,
    /// the two share storage, so a dataset of many files holds one schema.
    init(source: ByteSource, schemaLike: Schema?) throws(EVCError) {
        self.path = source.name
        self.source = source
        do throws(EVCError) {
            let head = try source.bytes(at: 0, count: min(Layout.headerSize, source.size))
            version = try head.withBytes { (b) throws(EVCError) in try FileHeader.check(b) }
            let trailer = try Trailer.read(source, endingAt: source.size)
            let payload = try Block.read(source, at: trailer.footerOffset, expected: .footer)
            guard Layout.blockOverhead + payload.count == trailer.footerSize else {
                throw EVCError(.corrupt, "footer block is \(Layout.blockOverhead + payload.count) bytes, the trailer says \(trailer.footerSize)", offset: trailer.footerOffset)
            }
            var footer = try payload.withBytes { (b) throws(EVCError) in
                try Footer.parse(b, fileOffset: trailer.footerOffset + Layout.blockHeaderSize)
            }
            let features = head.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) }
            guard footer.major == version.0, footer.minor == version.1, footer.features == features else {
                throw EVCError(.corrupt, "header says version \(version.0).\(version.1) features 0x\(String(features, radix: 16)), the footer \(footer.major).\(footer.minor) features 0x\(String(footer.features, radix: 16))", offset: 8)
            }
            guard !footer.checkpoint else {
                throw EVCError(.incomplete, "file ends in a checkpoint footer: it was not closed; `darkscan recover` finishes it", offset: trailer.footerOffset)
            }
            guard footer.indexOffset >= Layout.headerSize, footer.indexSize >= Layout.blockOverhead,
                  footer.indexOffset <= trailer.footerOffset, footer.indexSize <= trailer.footerOffset - footer.indexOffset else {
                throw EVCError(.corrupt, "footer points at an index block (offset \(footer.indexOffset), size \(footer.indexSize)) outside the file", offset: trailer.footerOffset)
            }
            guard footer.exposureOffset == 0 || (footer.exposureOffset >= Layout.headerSize && footer.exposureSize >= Layout.blockOverhead
                    && footer.exposureOffset <= trailer.footerOffset && footer.exposureSize <= trailer.footerOffset - footer.exposureOffset) else {
                throw EVCError(.corrupt, "footer points at an exposure block (offset \(footer.exposureOffset), size \(footer.exposureSize)) outside the file", offset: trailer.footerOffset)
            }
            for (i, c) in footer.clusters.enumerated() {
                guard c.blockOffset >= Layout.headerSize, c.blockSize >= Layout.blockOverhead, c.blockOffset <= footer.indexOffset,
                      c.blockSize <= footer.indexOffset - c.blockOffset else {
                    throw EVCError(.corrupt, "cluster \(i) block (offset \(c.blockOffset), size \(c.blockSize)) lies outside the data area", offset: trailer.footerOffset)
                }
            }
            if let schemaLike, schemaLike == footer.schema { footer.schema = schemaLike }
            self.footer = footer
        } catch {
            throw error.with(path: source.name)
        }
        schema = footer.schema
        eventCount = footer.eventCount
        metadata = footer.metadata.map { (key: $0.0, value: $0.1) }
        clusterSummaries = footer.clusters
    }

    public var clusterCount: Int { clusterSummaries.count }

    public func metadata(_ key: String) -> String? { metadata.last { $0.key == key }?.value }

    /// The page index of every cluster, read and checked against the schema on first use.
    public func clusters() throws(EVCError) -> [ClusterInfo] {
        let result: Result<[ClusterInfo], EVCError> = index.withLock { cache in
            if let cache { return .success(cache) }
            do throws(EVCError) {
                let loaded = try loadIndex()
                cache = loaded
                return .success(loaded)
            } catch {
                return .failure(error.with(path: path))
            }
        }
        return try result.get()
    }

    private func loadIndex() throws(EVCError) -> [ClusterInfo] {
        let block = try Block.read(source, at: footer.indexOffset, expected: .index)
        return try block.withBytes { (payload) throws(EVCError) in try parseIndex(payload) }
    }

    private func parseIndex(_ payload: UnsafeRawBufferPointer) throws(EVCError) -> [ClusterInfo] {
        var r = ByteReader(payload, fileOffset: footer.indexOffset + Layout.blockHeaderSize, context: "index")
        let n = try r.listCount("cluster", minItemSize: 48)
        guard n == footer.clusters.count else { throw r.error("index lists \(n) clusters, the footer \(footer.clusters.count)") }
        var clusters: [ClusterInfo] = []
        clusters.reserveCapacity(n)
        for i in 0..<n {
            let c = try ClusterInfo.read(&r)
            let s = footer.clusters[i]
            guard c.index == i, c.firstEvent == s.firstEvent, c.eventCount == s.eventCount,
                  c.pagesOffset == s.blockOffset + s.blockSize else {
                throw r.error("cluster \(i) in the index disagrees with the footer")
            }
            try c.validate(schema: schema, fileSize: footer.indexOffset)
            clusters.append(c)
        }
        return clusters
    }

    /// The page index of cluster `i`: from the index when `clusters()` loaded it, otherwise
    /// read from the cluster's CLUS block and checked as the index would be (Formats/EVC.md,
    /// section 8). Not kept: a scan holds the indexes of the clusters it is reading only.
    public func cluster(_ i: Int) throws(EVCError) -> ClusterInfo {
        guard clusterSummaries.indices.contains(i) else { throw EVCError(.badArgument, "no cluster \(i) (the file has \(clusterCount))", path: path) }
        if let cached = index.withLock({ $0 }) { return cached[i] }
        let s = clusterSummaries[i]
        do throws(EVCError) {
            let payload = try Block.read(source, at: s.blockOffset, expected: .cluster)
            guard Layout.blockOverhead + payload.count == s.blockSize else {
                throw EVCError(.corrupt, "cluster \(i) block is \(Layout.blockOverhead + payload.count) bytes, the footer says \(s.blockSize)", offset: s.blockOffset)
            }
            return try payload.withBytes { (b) throws(EVCError) in
                var r = ByteReader(b, fileOffset: s.blockOffset + Layout.blockHeaderSize, context: "cluster block")
                let c = try ClusterInfo.read(&r)
                guard c.index == i, c.firstEvent == s.firstEvent, c.eventCount == s.eventCount, c.pagesOffset == s.blockOffset + s.blockSize else {
                    throw r.error("cluster \(i) block disagrees with the footer")
                }
                try c.validate(schema: schema, fileSize: footer.indexOffset)
                return c
            }
        } catch {
            throw error.with(path: path).with(place: "cluster \(i)")
        }
    }

    /// The byte range of cluster `i`'s CLUS block (read before its pages).
    public func clusterBlockRange(_ i: Int) -> ByteRange {
        ByteRange(offset: clusterSummaries[i].blockOffset, count: clusterSummaries[i].blockSize)
    }

    /// The cluster that holds `event`.
    public func clusterIndex(ofEvent event: Int) -> Int? {
        guard event >= 0, event < eventCount else { return nil }
        var lo = 0, hi = clusterSummaries.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if clusterSummaries[mid].firstEvent <= event { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}
