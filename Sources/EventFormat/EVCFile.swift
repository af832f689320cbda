import Synchronization

/// An EVC file opened for reading. Opening maps the file and reads only the header, trailer and
/// footer; the index (page locations and statistics) is loaded and checked on first use.
/// Immutable after opening: any number of threads may read from one `EVCFile` at once.
public final class EVCFile: Sendable {
    public let path: String
    public let version: (major: UInt16, minor: UInt16)
    public let schema: Schema
    public let eventCount: Int
    public let metadata: [(key: String, value: String)]
    public let clusterSummaries: [ClusterSummary]
    public var fileSize: Int { map.bytes.count }

    let map: MappedFile
    let footer: Footer
    private let index = Mutex<[ClusterInfo]?>(nil)

    public convenience init(path: String) throws(EVCError) {
        let map = try MappedFile(path: path)
        try self.init(map: map)
    }

    init(map: MappedFile) throws(EVCError) {
        self.path = map.path
        self.map = map
        let bytes = map.bytes
        do throws(EVCError) {
            version = try FileHeader.check(bytes)
            let trailer = try Trailer.read(bytes, endingAt: bytes.count)
            let payload = try Block.read(bytes, at: trailer.footerOffset, expected: .footer)
            guard Layout.blockOverhead + payload.count == trailer.footerSize else {
                throw EVCError(.corrupt, "footer block is \(Layout.blockOverhead + payload.count) bytes, the trailer says \(trailer.footerSize)", offset: trailer.footerOffset)
            }
            let footer = try Footer.parse(payload, fileOffset: trailer.footerOffset + Layout.blockHeaderSize)
            let features = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
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
            for (i, c) in footer.clusters.enumerated() where c.blockOffset < Layout.headerSize || c.blockOffset > footer.indexOffset {
                throw EVCError(.corrupt, "cluster \(i) block offset \(c.blockOffset) lies outside the data area", offset: trailer.footerOffset)
            }
            self.footer = footer
        } catch {
            throw error.with(path: map.path)
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
        let payload = try Block.read(map.bytes, at: footer.indexOffset, expected: .index)
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
