#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Histogram files on disk (UHI JSON) and the sum of several: what `darkscan hist merge` and
/// the distributed runner use.
public enum HistogramFile {
    /// Largest file read: a histogram at the cell limit with weighted storage is ~200 MB of text.
    public static let maxBytes = 1 << 30

    /// Reads every histogram of a UHI JSON file, in file order.
    public static func read(_ path: String) throws(HistogramError) -> [Histogram] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HistogramError("cannot open: \(String(cString: strerror(errno)))", path: path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw HistogramError("cannot stat: \(String(cString: strerror(errno)))", path: path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw HistogramError("not a regular file", path: path) }
        guard st.st_size <= maxBytes else { throw HistogramError("\(st.st_size) bytes is more than a histogram file may hold (\(maxBytes))", path: path) }
        guard st.st_size > 0 else { throw HistogramError("file is empty", path: path) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var got = 0
        while got < bytes.count {
            let n = bytes.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + got, $0.count - got) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw HistogramError(n == 0 ? "file shrank while being read" : "cannot read: \(String(cString: strerror(errno)))", path: path) }
            got += n
        }
        return try UHI.decode(bytes, path: path)
    }

    /// Writes `histograms` to `path` as PATH.partial, renamed when complete.
    public static func write(_ histograms: [Histogram], to path: String) throws(HistogramError) {
        for h in histograms {
            do { try h.checkFinite() } catch { throw HistogramError(error.message, path: path) }
        }
        let text = UHI.encode(histograms)
        let partial = path + ".partial"
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw HistogramError("cannot create: \(String(cString: strerror(errno)))", path: partial) }
        var ok = true
        var utf8 = Array(text.utf8)
        var done = 0
        utf8.withUnsafeMutableBytes { b in
            while done < b.count {
                let n = systemWrite(fd, b.baseAddress! + done, b.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { ok = false; return }
                done += n
            }
        }
        utf8 = []
        if fsync(fd) != 0 { ok = false }
        if close(fd) != 0 { ok = false }
        guard ok, rename(partial, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(partial)
            throw HistogramError("cannot write: \(why)", path: path)
        }
    }

    /// Metadata keys summed when files are added (Formats/HIST.md, section 5).
    public static let summedKeys = ["darkscan.events", "darkscan.eot"]
    /// Keys that must agree: histograms filled by different queries are not added.
    public static let agreeingKeys = ["darkscan.query", "darkscan.defines", "darkscan.weight", "darkscan.stage"]
    /// Keys whose lines are joined (the datasets of each part).
    public static let joinedKeys = ["darkscan.datasets"]

    /// The sum of several files' histograms, matched by name: every input must hold the same
    /// names, with identical axes and storage (the error names the first difference), filled by
    /// the same query. Events read and EOT are summed (EOT only when every input has it), the
    /// dataset lists joined. `names` label the inputs in errors (file paths).
    public static func merge(_ inputs: [[Histogram]], names: [String]) throws(HistogramError) -> [Histogram] {
        precondition(inputs.count == names.count && !inputs.isEmpty)
        var out = inputs[0]
        let first = Set(out.map(\.name))
        for (k, hs) in inputs.enumerated().dropFirst() {
            let these = Set(hs.map(\.name))
            if let missing = out.map(\.name).first(where: { !these.contains($0) }) {
                throw HistogramError("has no histogram '\(missing)' (\(names[0]) has)", path: names[k])
            }
            if let extra = hs.map(\.name).first(where: { !first.contains($0) }) {
                throw HistogramError("has histogram '\(extra)', which \(names[0]) has not", path: names[k])
            }
            for i in out.indices {
                let h = hs.first { $0.name == out[i].name }!
                for key in agreeingKeys where out[i].metadata[key] != h.metadata[key] {
                    throw HistogramError("histogram '\(h.name)': \(key) is \(quoted(h.metadata[key])) here but \(quoted(out[i].metadata[key])) in \(names[0]); histograms of different selections are not added",
                                         path: names[k])
                }
                do { try out[i].add(h) } catch {
                    throw HistogramError(error.message, path: names[k])
                }
                try out[i].checkFinite()
                for key in summedKeys {
                    switch (out[i].metadata[key]?.number, h.metadata[key]?.number) {
                    case (let a?, let b?) where (a + b).isFinite:
                        // A whole sum Int64 holds exactly stays an integer; anything else (a fraction,
                        // beyond ±2^63, hostile negatives) a double.
                        let sum = a + b
                        out[i].metadata[key] = a == a.rounded() && b == b.rounded() ? Int64(exactly: sum).map { .int($0) } ?? .double(sum) : .double(sum)
                    default: out[i].metadata[key] = nil  // unknown for part of the sum
                    }
                }
                for key in joinedKeys {
                    if case .string(let a)? = out[i].metadata[key], case .string(let b)? = h.metadata[key] { out[i].metadata[key] = .string(a + "\n" + b) }
                }
                if case .string(let a)? = out[i].metadata["darkscan.runs"], case .string(let b)? = h.metadata["darkscan.runs"] {
                    let runs = Set((a + "," + b).split(separator: ",").map(String.init)).sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
                    out[i].metadata["darkscan.runs"] = .string(runs.joined(separator: ","))
                }
            }
        }
        return out
    }

    static func systemRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.read(fd, p, n)
        #else
        return Darwin.read(fd, p, n)
        #endif
    }

    static func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, p, n)
        #else
        return Darwin.write(fd, p, n)
        #endif
    }

    static func quoted(_ v: Histogram.Value?) -> String { v.map { "'\($0)'" } ?? "absent" }
}
