import ArgumentParser
import Darkscan
import Foundation
import Plot

/// `--hist` and `--hists`, shared by count, skim and hist.
struct HistogramOptionGroup: ParsableArguments {
    @Option(name: .customLong("hist"), help: ArgumentHelp("A histogram to fill (repeatable), e.g. \"ecal_e: 150 bins 0 GeV .. 150 GeV\" or \"ecal_e vs hcal_e: 150 bins 0 GeV .. 150 GeV, 60 bins 0 GeV .. 60 GeV\"; Formats/QUERY.md, section 9.", valueName: "spec"))
    var specs: [String] = []

    @Option(name: .customLong("hists"), help: ArgumentHelp("A file of histogram specs, one a line (# starts a comment).", valueName: "file"))
    var file: String?

    /// Every spec, from the file first, then the options.
    func all() throws -> [String] {
        var out: [String] = []
        if let file {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                Terminal.error("\(file): cannot read the histogram specs: \(error.localizedDescription)")
                throw ExitCode(1)
            }
            out += text.split(separator: "\n").map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0] }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return out + specs
    }
}

/// Printing histograms: in the terminal, in JSON, and their warnings.
enum HistogramOutput {
    static var style: TerminalStyle {
        var w = winsize()
        let columns = ioctl(1, UInt(TIOCGWINSZ), &w) == 0 && w.ws_col > 0 ? Int(w.ws_col) : nil
        return TerminalStyle.detect(isTerminal: isatty(1) != 0, environment: ProcessInfo.processInfo.environment, columns: columns)
    }

    /// Each histogram drawn for the terminal (or as plain numbers), separated by blank lines.
    static func printAll(_ hs: [Histogram], log: Bool = false) {
        var s = style
        s.log = log
        for h in hs { print("\n" + TerminalPlot.render(h, s)) }
    }

    /// Entries left out for a NaN or infinite weight, said on stderr.
    static func warn(_ hs: [Histogram]) {
        for h in hs where h.nonFiniteWeights > 0 {
            Terminal.error("warning: histogram '\(h.name)': \(Terminal.count(Int(h.nonFiniteWeights))) entries with a NaN or infinite weight were not filled")
        }
    }

    /// The histograms as UHI JSON objects, for `--json`.
    static func json(_ hs: [Histogram]) -> Any {
        foundation(.object(hs.map { ($0.name, UHI.encode($0)) }))
    }

    static func foundation(_ v: JSON) -> Any {
        switch v {
        case .null: return NSNull()
        case .bool(let b): return b
        case .number(let x, let isInteger): return isInteger && abs(x) < 9e15 ? Int(x) as Any : x as Any
        case .string(let s): return s
        case .numbers(let xs): return xs.map { $0 == $0.rounded() && abs($0) < 9e15 ? Int($0) as Any : $0 as Any }
        case .array(let items): return items.map(foundation)
        case .object(let pairs): return Dictionary(pairs.map { ($0.0, foundation($0.1)) }, uniquingKeysWith: { $1 })
        }
    }
}
