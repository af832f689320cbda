extension EVCFile {
    /// The encoded bytes of a small page (at most 4 KiB encoded): its stored bytes read, checked
    /// against the checksum and decompressed, before any value is decoded. Readers that can
    /// tell a page's values from its encoding's header (a zero-width `delta` page is an
    /// arithmetic progression) look at them instead of decoding the page.
    public func encodedBytes(cluster: ClusterInfo, column: Int, page: Int) throws(EVCError) -> [UInt8]? {
        let p = cluster.columns[column].pages[page]
        guard p.encodedSize <= 4096 else { return nil }
        let stored = try source.bytes(at: p.offset, count: p.storedSize)
        let place = "cluster \(cluster.index), column \(schema.columns[column].path), page \(page)"
        guard Checksum.xxh3(stored) == p.checksum else {
            throw EVCError(.checksumMismatch, "page checksum does not match its bytes", path: path, offset: p.offset, place: place)
        }
        var out = [UInt8](repeating: 0, count: p.encodedSize)
        let message = stored.withUnsafeBytes { s in out.withUnsafeMutableBytes { Decompressor.decompress(codec: p.codec, s, into: $0) } }
        if let message { throw EVCError(.corrupt, message, path: path, offset: p.offset, place: place) }
        return out
    }
}
