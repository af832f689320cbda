import ArgumentParser
import Darkscan
import Foundation

/// Output helpers shared by the subcommands: errors on stderr, progress bars, sizes, JSON.
enum Terminal {
    static let stderrIsTTY = isatty(2) != 0

    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("darkscan: " + message + "\n").utf8))
    }

    static func note(_ message: String) {
        fflush(nil)  // what was printed before comes first, also when both go to one pipe
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Exit code 1 with a one-line message, for bad input.
    /// The process's peak resident memory (its own buffers: files are read, not mapped).
    /// This process's peak resident memory: VmHWM of /proc/self/status, which exec resets.
    /// (getrusage's ru_maxrss is kept across exec, so a child spawned by a large process would
    /// report its parent's size.)
    static func peakResidentBytes() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kb = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") {
            return kb * 1024
        }
        var u = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &u)
        return u.ru_maxrss * 1024
    }

    static func fail(_ e: Error) -> ExitCode {
        error("\(e)")
        return ExitCode(1)
    }

    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }

    static func count(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// One line of JSON for programs (partition results): keys sorted, no spaces, written by the
    /// JSON target, which takes a few milliseconds where Foundation's pretty printer takes
    /// hundreds on a file's exposure rows (3,334 spills in 1e7 events).
    static func printCompactJSON(_ value: Any) {
        print(JSONWriter.compact(JSON(any: value, nonFinite: JSON.nonFiniteAsString)))
    }

    /// Prints `value` as JSON for people: keys sorted, two-space indent, an item a line (the
    /// layout of the C library's JSON too). JSON has no NaN or infinity (a NaN weight makes Σw
    /// NaN): they are written as the strings "nan", "inf" and "-inf".
    static func printJSON(_ value: Any) {
        print(JSONWriter.encode(JSON(any: value, nonFinite: JSON.nonFiniteAsString), style: .expanded))
    }

    /// Pads each column of `rows` to a common width; numbers right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return Double(c.replacingOccurrences(of: ",", with: "")) != nil ? pad + c : c + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}


/// A progress bar on stderr, drawn only when stderr is a terminal, at most ten times a second.
final class ProgressBar {
    let label: String
    private(set) var total: Int
    let unit: String
    let start = Date()
    var lastDraw = Date.distantPast
    let enabled: Bool

    init(_ label: String, total: Int, unit: String) {
        self.label = label
        self.total = max(total, 1)
        self.unit = unit
        enabled = Terminal.stderrIsTTY
    }

    /// Progress against a total learnt while running (bytes of the inputs).
    func update(_ done: Int, of total: Int) {
        self.total = max(total, 1)
        update(done)
    }

    func update(_ done: Int) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done >= total else { return }
        lastDraw = Date()
        let f = min(1, Double(done) / Double(total))
        let width = 30
        let filled = Int(f * Double(width))
        let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-6)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = String(format: "\r%@ [%@] %3.0f%%  %@ %@/s", label, bar, f * 100, Terminal.count(Int(rate)), unit)
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Runs `body` with this bar, clearing it afterwards; a failure becomes a one-line message
    /// and exit code 1.
    func run<T>(_ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            finish()
            return result
        } catch {
            finish()
            throw Terminal.fail(error)
        }
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    var seconds: Double { Date().timeIntervalSince(start) }
}
