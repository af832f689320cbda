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
        try (file.map { try QueryOptionGroup.lines($0, "the histogram specs") } ?? []) + specs
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
        case .int(let i): return i
        case .double(let x): return x
        case .string(let s): return s
        case .numbers(let xs): return xs.map { $0 == $0.rounded() && abs($0) < 9e15 ? Int($0) as Any : $0 as Any }
        case .array(let items): return items.map(foundation)
        case .object(let pairs): return Dictionary(pairs.map { ($0.0, foundation($0.1)) }, uniquingKeysWith: { $1 })
        }
    }
}

extension HistogramOutput {
    /// A file name for a histogram: letters, digits, '.', '-' and '_' kept, the rest '_'.
    static func fileName(_ name: String) -> String {
        let s = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        return s.isEmpty || s.hasPrefix(".") ? "h" + s : s
    }

    /// Paths of a glob (sorted), or the path itself when it has no pattern.
    static func expand(_ pattern: String) -> [String] {
        pattern.contains(where: { "*?[".contains($0) }) ? EVCDataset.glob(pattern) : [pattern]
    }

    /// Draws histograms into `dir`: the ecal-hcal picture when its histograms are there and
    /// `preset` asks for it, 1D histograms of one spec overlaid when `overlay`, the rest one
    /// picture each. Prints each file written; a failure exits 1.
    static func draw(_ hs: [Histogram], into dir: String, format: ImageFormat, options: PlotOptions, preset: Bool, overlay: Bool = false) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            Terminal.error("\(dir): cannot create the folder: \(error.localizedDescription)")
            throw ExitCode(1)
        }
        var used = Set<String>()
        func path(_ name: String) -> String {
            var base = fileName(name), k = 2
            while used.contains(base) { base = fileName(name) + "-\(k)"; k += 1 }
            used.insert(base)
            return dir + "/" + base + "." + format.rawValue
        }
        var rest = hs
        do {
            if preset {
                let p = path(ECalHCal.preset)
                try ECalHCal.write(hs, to: p, format: format, options: options)
                print(p)
                let mine = Set([ECalHCal.main, ECalHCal.zoom] + ECalHCal.zones)
                rest.removeAll { mine.contains($0.name) }
            }
            var groups: [[Histogram]] = []
            for h in rest {
                let key = h.metadata["darkscan.spec"]
                if overlay, h.axes.count == 1, let k = groups.firstIndex(where: { $0[0].axes.count == 1 && $0[0].metadata["darkscan.spec"] == key && key != nil && $0[0].axes == h.axes }) {
                    groups[k].append(h)
                } else {
                    groups.append([h])
                }
            }
            for g in groups {
                let name = g.count > 1 ? (g[0].name.components(separatedBy: " @ ").first ?? g[0].name) + " stages" : g[0].name
                let p = path(name)
                try Figure.write(g, to: p, format: format, options: options)
                print(p)
            }
        } catch {
            throw Terminal.fail(error)
        }
    }
}
