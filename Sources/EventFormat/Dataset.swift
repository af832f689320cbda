#if canImport(Glibc)
import Glibc
#endif

/// Several EVC files read as one: a list of paths, globs or directories (every `*.evc` inside).
/// Their schemas must agree; the first difference is named in the error.
public final class EVCDataset: Sendable {
    public let files: [EVCFile]
    public var schema: Schema { files[0].schema }
    public var eventCount: Int { files.reduce(0) { $0 + $1.eventCount } }

    /// Opens every file (footers only, 16 at once) and checks that their schemas agree. Paths
    /// may be local or `root://` / `http(s)://` URLs.
    public convenience init(paths: [String]) throws(EVCError) {
        try self.init(paths: paths, openWidth: 16)
    }

    /// The same, opening `openWidth` files at once.
    public init(paths: [String], openWidth: Int) throws(EVCError) {
        let expanded = try EVCDataset.expand(paths)
        guard !expanded.isEmpty else { throw EVCError(.badArgument, "no input files") }
        // The first file alone, so that every other can share its schema's storage.
        let first = try EVCFile(path: expanded[0])
        let rest = Array(expanded.dropFirst())
        let opened = Parallel.map(rest.count, width: openWidth) { (i) -> Result<EVCFile, EVCError> in
            Result { () throws(EVCError) in try EVCFile(source: ByteSources.open(rest[i]), schemaLike: first.schema) }
        }
        var files = [first]
        files.reserveCapacity(expanded.count)
        for r in opened {
            let f = try r.get()
            if let diff = first.schema.firstDifference(from: f.schema) {
                throw EVCError(.schemaMismatch, "schema differs from \(first.path): \(diff)", path: f.path)
            }
            // An idle local file keeps no descriptor (the pool reopens it when read).
            f.source.relinquish()
            files.append(f)
        }
        self.files = files
    }

    public init(files: [EVCFile]) throws(EVCError) {
        guard let first = files.first else { throw EVCError(.badArgument, "no input files") }
        for f in files.dropFirst() {
            if let diff = first.schema.firstDifference(from: f.schema) {
                throw EVCError(.schemaMismatch, "schema differs from \(first.path): \(diff)", path: f.path)
            }
        }
        self.files = files
    }

    /// Turns arguments into file paths: a job manifest (`OUT.d/manifest.json`, or a directory
    /// holding one) gives its part files in order once it is found complete and its parts
    /// unchanged; another directory gives its `*.evc` files (sorted), a pattern with `*`, `?` or
    /// `[` is globbed (sorted), anything else is taken as a file.
    public static func expand(_ args: [String]) throws(EVCError) -> [String] {
        var out: [String] = []
        for a in args {
            if ByteSources.isRemote(a) {
                out += try expandRemote(a)
                continue
            }
            var st = stat()
            if let m = JobManifest.location(of: a) {
                let manifest = try JobManifest(path: m)
                try manifest.checkParts()
                out += manifest.parts.map(\.path)
            } else if stat(a, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                let matches = glob(a.hasSuffix("/") ? a + "*.evc" : a + "/*.evc")
                guard !matches.isEmpty else { throw EVCError(.badArgument, "directory holds no .evc files", path: a) }
                out += matches
            } else if a.contains(where: { "*?[".contains($0) }) {
                let matches = glob(a)
                guard !matches.isEmpty else { throw EVCError(.badArgument, "pattern matches no files", path: a) }
                out += matches
            } else {
                out.append(a)
            }
        }
        return out
    }

    /// A remote argument: `root://host//dir/` gives the directory's `*.evc` files, a pattern in
    /// the last path component is matched against the directory's listing (sorted); anything
    /// else is taken as a file.
    static func expandRemote(_ url: String) throws(EVCError) -> [String] {
        guard url.hasPrefix("root://") || url.hasPrefix("roots://") || url.hasPrefix("xroot://") else { return [url] }
        let slash = url.lastIndex(of: "/")!
        let dir = String(url[...slash]), last = String(url[url.index(after: slash)...])
        let pattern = last.isEmpty ? "*.evc" : last
        guard last.isEmpty || last.contains(where: { "*?[".contains($0) }) else { return [url] }
        let matches = try XRootDFile.list(dir).filter { fnmatch(pattern, $0, 0) == 0 }.map { dir + $0 }
        guard !matches.isEmpty else {
            throw EVCError(.badArgument, last.isEmpty ? "directory holds no .evc files" : "pattern matches no files", path: url)
        }
        return matches
    }

    /// The paths matching a shell pattern, sorted (none when nothing matches).
    public static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// Iterates the dataset's events in file order as batches of at most `batchSize` events,
    /// reading only `fields` (all when nil).
    public func batches(fields: [String]? = nil, batchSize: Int = 65536, verify: Bool = true) throws(EVCError) -> BatchSequence {
        let indices = try fields.map { (names) throws(EVCError) in try files[0].fieldIndices(names) }
        return BatchSequence(files: files, fields: indices, batchSize: max(1, batchSize), verify: verify)
    }
}

extension EVCFile {
    /// Iterates this file's events as batches; see `EVCDataset.batches`.
    public func batches(fields: [String]? = nil, batchSize: Int = 65536, verify: Bool = true) throws(EVCError) -> BatchSequence {
        let indices = try fields.map { (names) throws(EVCError) in try fieldIndices(names) }
        return BatchSequence(files: [self], fields: indices, batchSize: max(1, batchSize), verify: verify)
    }
}

/// Batches in file order; each batch lies within one cluster. `firstEvent` counts across the
/// whole sequence. Iteration throws through `next()`; use `for try await`-free code:
/// `var it = seq.makeIterator(); while let b = try it.next() { … }`, or the `forEach` helper.
public struct BatchSequence: Sendable {
    let files: [EVCFile]
    let fields: [Int]?
    let batchSize: Int
    let verify: Bool

    public struct Iterator {
        let seq: BatchSequence
        var file = 0, cluster = 0, event = 0, base = 0

        /// The index of the cluster being read, loaded when it is entered.
        var info: ClusterInfo? = nil

        public mutating func next() throws(EVCError) -> EventBatch? {
            while file < seq.files.count {
                let f = seq.files[file]
                if cluster >= f.clusterCount {
                    base += f.eventCount
                    f.source.relinquish()
                    file += 1
                    cluster = 0
                    event = 0
                    continue
                }
                let count = f.clusterSummaries[cluster].eventCount
                if event >= count {
                    cluster += 1
                    event = 0
                    info = nil
                    continue
                }
                let end = min(count, event + seq.batchSize)
                if info == nil { info = try f.cluster(cluster) }
                var b = try f.readEvents(cluster: info!, events: event..<end, fields: seq.fields, verify: seq.verify)
                b.firstEvent += base
                event = end
                return b
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(seq: self) }

    /// Calls `body` with every batch in order.
    public func forEach(_ body: (EventBatch) throws -> Void) throws {
        var it = makeIterator()
        while let b = try it.next() { try body(b) }
    }
}
