/// A problem `verify` found, named by cluster, column and page.
public struct VerifyProblem: Sendable, CustomStringConvertible {
    public var cluster: Int?
    public var column: String?
    public var page: Int?
    public var offset: Int?
    public var message: String

    public var description: String {
        var parts: [String] = []
        if let cluster { parts.append("cluster \(cluster)") }
        if let column { parts.append("column \(column)") }
        if let page { parts.append("page \(page)") }
        if let offset { parts.append("byte \(offset)") }
        return (parts.isEmpty ? "" : parts.joined(separator: ", ") + ": ") + message
    }
}

public struct VerifyReport: Sendable {
    public var pagesChecked = 0
    public var bytesChecked = 0
    public var problems: [VerifyProblem] = []
    public var ok: Bool { problems.isEmpty }
}

extension EVCFile {
    /// Checks every block and page checksum and decodes every page, listing each problem found
    /// (it goes on after a bad page). `progress` is called with bytes checked so far.
    public func verify(progress: ((Int) -> Void)? = nil) -> VerifyReport {
        var report = VerifyReport()
        let clusters: [ClusterInfo]
        do {
            clusters = try self.clusters()
        } catch {
            report.problems.append(VerifyProblem(offset: error.offset, message: error.message))
            return report
        }
        // Walk every block from the start: the schema block, cluster blocks and checkpoint
        // footers are what recovery relies on, so they must be intact too.
        do throws(EVCError) {
            let scan = try Recovery.walk(source, checkPages: false, strict: true)
            if let reason = scan.stopReason { report.problems.append(VerifyProblem(message: "block walk: \(reason)")) }
            if scan.schema != schema { report.problems.append(VerifyProblem(offset: Layout.headerSize, message: "schema block differs from the footer's schema")) }
            if scan.stopReason == nil && scan.clusters != clusters {
                report.problems.append(VerifyProblem(message: "block walk finds \(scan.clusters.count) clusters, the index \(clusters.count)"))
            }
        } catch {
            report.problems.append(VerifyProblem(offset: error.offset, message: "block walk: \(error.message)"))
        }
        // The exposure table (1.1) is read by the tools that report exposure: it must be intact.
        do throws(EVCError) {
            _ = try exposure()
        } catch {
            report.problems.append(VerifyProblem(offset: error.offset, message: error.message))
        }
        // The cluster blocks are copies of the index entries: check them too (recovery uses them).
        for (i, s) in clusterSummaries.enumerated() {
            do throws(EVCError) {
                let payload = try Block.read(source, at: s.blockOffset, expected: .cluster)
                let c = try payload.withBytes { (b) throws(EVCError) in
                    var r = ByteReader(b, fileOffset: s.blockOffset + Layout.blockHeaderSize, context: "cluster block")
                    return try ClusterInfo.read(&r)
                }
                if c != clusters[i] { report.problems.append(VerifyProblem(cluster: i, offset: s.blockOffset, message: "cluster block differs from the index")) }
            } catch {
                report.problems.append(VerifyProblem(cluster: i, offset: error.offset, message: error.message))
            }
        }
        let scratch = ColumnBuffer(type: .uint8)
        let out = ColumnBuffer(type: .uint8)
        for c in clusters {
            for (ci, chunk) in c.columns.enumerated() {
                let w = schema.columns[ci].type.width
                for (pi, p) in chunk.pages.enumerated() {
                    out.resize(p.count * w)
                    do throws(EVCError) {
                        try decodePage(cluster: c, column: ci, page: pi, into: out.mutableRawBytes, scratch: scratch, verify: true)
                    } catch {
                        report.problems.append(VerifyProblem(cluster: c.index, column: schema.columns[ci].path, page: pi, offset: p.offset, message: error.message))
                    }
                    report.pagesChecked += 1
                    report.bytesChecked += p.storedSize
                }
            }
            progress?(report.bytesChecked)
        }
        return report
    }
}
