import JSON
#if canImport(Glibc)
import Glibc
#endif

/// The manifest of a distributed job (`OUT.d/manifest.json`, Formats/DISTRIBUTED.md section 6),
/// read as the list of its part files. Only a complete manifest of a skim opens: an incomplete
/// one, or one whose parts are missing or changed, is an error naming the manifest.
public struct JobManifest: Sendable {
    public struct Part: Sendable {
        public var id: Int
        /// Absolute, or relative to the working directory when the manifest's path is.
        public var path: String
        public var events: Int
        public var bytes: Int
        public var footerChecksum: UInt64
        /// XXH3-64 of the whole file.
        public var checksum: UInt64
    }

    public let path: String
    public let job: String
    public let kind: String
    public let parts: [Part]
    /// The whole document, for readers that want the cut flow, inputs or summary.
    public let document: JSON

    /// The largest manifest read: 256 MiB (about a million partitions).
    static let maxBytes = 256 << 20

    /// `DIR/manifest.json` when `path` is a directory holding one, `path` itself when it names
    /// a `.json` file, else nil (not a manifest).
    public static func location(of path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            let m = (path.hasSuffix("/") ? path : path + "/") + "manifest.json"
            return access(m, F_OK) == 0 ? m : nil
        }
        return path.hasSuffix(".json") ? path : nil
    }

    /// Reads and checks the manifest at `path` (not yet its part files: see `checkParts`).
    public init(path: String) throws(EVCError) {
        self.path = path
        let bytes = try Self.readFile(path)
        let doc: JSON
        do { doc = try JSON.parse(bytes) } catch { throw EVCError(.corrupt, "not valid JSON: \(error)", path: path) }
        func fail(_ m: String) -> EVCError { EVCError(.corrupt, "not a darkscan manifest: \(m)", path: path) }
        guard doc["format"]?.string == "darkscan-manifest" else { throw fail("its format is not \"darkscan-manifest\"") }
        guard let version = doc["version"]?.int, version >= 1 else { throw fail("no version") }
        guard version == 1 else {
            throw EVCError(.unsupportedVersion, "manifest version \(version) is newer than this darkscan reads (1)", path: path)
        }
        document = doc
        job = doc["job"]?.string ?? "?"
        kind = doc["kind"]?.string ?? "?"
        guard let partitions = doc["partitions"]?.int, partitions >= 0 else { throw fail("\"partitions\" must be the number of partitions, 0 or more") }
        let missing = doc["missing"]?.array ?? []
        let list = doc["parts"]?.array ?? []
        let state = doc["state"]?.string ?? "?"
        guard doc["complete"]?.bool == true, state == "complete", missing.isEmpty, list.count == partitions else {
            var what = "\(max(0, partitions - list.count)) of \(partitions) partitions missing"
            if state == "running" { what = "the job is running or its driver was killed (state \"running\")" }
            if let first = missing.first {
                let file = first["file"]?.string ?? "?"
                what += " (partition \(first["id"]?.int ?? -1), \(file) events \(first["first_event"]?.int ?? 0)..<\(first["end_event"]?.int ?? 0): \(first["reason"]?.string ?? "no reason given"))"
            }
            throw EVCError(.incomplete, "incomplete job manifest: \(what); run the job again with --resume", path: path)
        }
        guard kind == "skim" else {
            throw EVCError(.badArgument, "the manifest of a \(kind) job holds no event files (only skims write parts)", path: path)
        }
        let dir = path.contains("/") ? String(path[...path.lastIndex(of: "/")!]) : ""
        var parts: [Part] = []
        parts.reserveCapacity(list.count)
        for (i, p) in list.enumerated() {
            guard let id = p["id"]?.int, let rel = p["path"]?.string, !rel.isEmpty, let events = p["events"]?.int, events >= 0,
                  let bytes = p["bytes"]?.int, bytes >= 0, let fc = p["footer_checksum"]?.string.flatMap(FileIdentity.parseHex),
                  let sum = p["checksum"]?.string.flatMap(FileIdentity.parseHex) else {
                throw fail("part \(i) lacks id, path, events, bytes, footer_checksum or checksum")
            }
            guard parts.last.map({ $0.id < id }) ?? true else { throw fail("parts are not in increasing id order at part \(i)") }
            guard !rel.hasPrefix("/"), !rel.split(separator: "/").contains("..") else {
                throw fail("part \(id) path '\(rel)' leaves the job directory")
            }
            parts.append(Part(id: id, path: dir + rel, events: events, bytes: bytes, footerChecksum: fc, checksum: sum))
        }
        self.parts = parts
    }

    /// Checks that every part file exists with the size and footer checksum the manifest lists
    /// (a stat and two small reads each).
    public func checkParts() throws(EVCError) {
        for p in parts {
            let id: FileIdentity
            do { id = try FileIdentity(path: p.path) } catch {
                throw EVCError(error.code, "part \(p.id) of the job: \(error.message)", path: path)
            }
            guard id.size == p.bytes, id.footerChecksum == p.footerChecksum else {
                throw EVCError(.corrupt, "part \(p.id) (\(p.path)) is not the file the job wrote: \(id.size) bytes with footer checksum \(id.footerChecksumHex), the manifest says \(p.bytes) bytes with \(FileIdentity.hex(p.footerChecksum))", path: path)
            }
        }
    }

    static func readFile(_ path: String) throws(EVCError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EVCError(.io, "cannot open: \(String(cString: strerror(errno)))", path: path) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw EVCError(.io, "cannot read: \(String(cString: strerror(errno)))", path: path) }
            if n == 0 { return out }
            guard out.count + n <= maxBytes else { throw EVCError(.badArgument, "larger than \(maxBytes >> 20) MiB: not a manifest", path: path) }
            out += chunk[0..<n]
        }
    }
}
