import ArgumentParser
import Darkscan
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show schema, units, events, clusters and per-column storage of EVC files.",
        discussion: """
            For each file: events, clusters, the exposure (EOT, spills, runs, triggers, flagged \
            spills; none for a file without an exposure table), metadata (run numbers, producer, \
            skim query and cut flow), the schema with units, and per column the codecs and \
            encodings used, stored and decoded sizes, the compression ratio, and the min/max of \
            the values.

            Examples:
              darkscan info run4242.evc
              darkscan info --json run4242.evc | jq '.[0].columns[] | {path, ratio}'
            """
    )

    @Argument(help: "EVC files, globs or directories.")
    var files: [String]

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        let paths: [String]
        do { paths = try EVCDataset.expand(files) } catch { throw Terminal.fail(error) }
        var out: [[String: Any]] = []
        for path in paths {
            do {
                let file = try EVCFile(path: path)
                let summary = try ColumnSummary.of(file)
                let exposure = try file.exposure()
                if json {
                    var o = jsonObject(file, summary)
                    o["exposure"] = exposure.map(\.totals.json) ?? NSNull()
                    out.append(o)
                } else {
                    printText(file, summary, exposure)
                }
            } catch {
                throw Terminal.fail(error)
            }
        }
        if json { Terminal.printJSON(out) }
    }

    static func exposureText(_ e: Exposure?) -> String {
        guard let e else { return "none (no exposure table: the EOT of these events is unknown)" }
        let t = e.totals
        guard t.spills > 0 else { return "an empty table (no counted spill)" }
        let runs = Array(Set(e.rows.map(\.run))).sorted()
        let runText = runs.count <= 4 ? runs.map(String.init).joined(separator: ",") : "\(runs.first!)…\(runs.last!)"
        return String(format: "%@ EOT in %d spill%@ of %d run%@ (%@), triggers %@ of %@ offered, %.0f s of beam", ExposureReport.sci(Double(t.eot)),
                      t.spills, t.spills == 1 ? "" : "s", t.runs, t.runs == 1 ? "" : "s", runText, Terminal.count(Int(t.triggersAccepted)),
                      Terminal.count(Int(t.triggersOffered)), Double(t.lengthMicroseconds) / 1e6)
            + (t.flaggedSpills > 0 ? ", \(t.flaggedSpills) spill\(t.flaggedSpills == 1 ? "" : "s") flagged by their scalers" : "")
    }

    func printText(_ f: EVCFile, _ columns: [ColumnSummary], _ exposure: Exposure?) {
        print("\(f.path)")
        print("  format   EVC \(f.version.major).\(f.version.minor), \(Terminal.bytes(f.fileSize))")
        print("  events   \(Terminal.count(f.eventCount)) in \(f.clusterCount) cluster\(f.clusterCount == 1 ? "" : "s")")
        print("  exposure \(Self.exposureText(exposure))")
        let keyWidth = max(8, f.metadata.map(\.key.count).max() ?? 0)
        for (k, var v) in f.metadata {
            if k == "histograms" {
                // Histograms kept by a skim: named here, drawn by darkscan plot.
                let names = (try? UHI.decode(Array(v.utf8)))?.map(\.name)
                v = names.map { "\($0.count) (\($0.joined(separator: ", "))): darkscan plot \(f.path)" } ?? "(not readable as histograms)"
            }
            let lines = v.split(separator: "\n", omittingEmptySubsequences: false)
            print("  \(k.padding(toLength: keyWidth, withPad: " ", startingAt: 0)) \(lines.first ?? "")")
            for l in lines.dropFirst() { print("   " + String(repeating: " ", count: keyWidth) + l) }
        }
        print("")
        print(Terminal.table(["field", "type", "unit", "description"], f.schema.fields.map {
            [$0.name, $0.typeDescription, $0.unit.description, $0.description]
        }).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        print("")
        let rows = columns.map { c in
            [c.path, c.type, c.codecs, c.encodings, Terminal.bytes(c.stored), Terminal.bytes(c.decoded),
             String(format: "%.3f", c.ratio), c.range]
        }
        let total = columns.reduce((0, 0)) { ($0.0 + $1.stored, $0.1 + $1.decoded) }
        let footer = ["total", "", "", "", Terminal.bytes(total.0), Terminal.bytes(total.1),
                      String(format: "%.3f", total.1 == 0 ? 0 : Double(total.0) / Double(total.1)), ""]
        print(Terminal.table(["column", "type", "codec", "encoding", "stored", "decoded", "ratio", "min … max"], rows + [footer])
            .split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        print("")
    }

    func jsonObject(_ f: EVCFile, _ columns: [ColumnSummary]) -> [String: Any] {
        [
            "path": f.path,
            "version": "\(f.version.major).\(f.version.minor)",
            "bytes": f.fileSize,
            "events": f.eventCount,
            "clusters": f.clusterCount,
            "metadata": Dictionary(f.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b }),
            "fields": f.schema.fields.map { ["name": $0.name, "type": $0.typeDescription, "unit": $0.unit.symbol,
                                             "description": $0.description, "id": Int($0.id)] as [String: Any] },
            "columns": columns.map { c -> [String: Any] in
                var o: [String: Any] = ["path": c.path, "type": c.type, "codecs": c.codecs, "encodings": c.encodings,
                                        "stored_bytes": c.stored, "decoded_bytes": c.decoded, "ratio": c.ratio, "nan_count": c.nanCount]
                if let r = c.numericRange { o["min"] = r.lowerBound; o["max"] = r.upperBound }
                return o
            },
        ]
    }
}

/// Storage figures of one column over a whole file.
struct ColumnSummary {
    var path: String
    var type: String
    var codecs: String
    var encodings: String
    var stored: Int
    var decoded: Int
    var numericRange: ClosedRange<Double>?
    var nanCount: Int
    var ratio: Double { decoded == 0 ? 0 : Double(stored) / Double(decoded) }
    var range: String {
        guard let r = numericRange else { return "" }
        return "\(short(r.lowerBound)) … \(short(r.upperBound))"
    }

    func short(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.4g", v)
    }

    static func of(_ f: EVCFile) throws -> [ColumnSummary] {
        let clusters = try f.clusters()
        return f.schema.columns.map { col in
            var codecs: [String: Int] = [:], encodings: [String: Int] = [:]
            var stored = 0, decoded = 0
            var stats = Statistics.empty
            let statsType: ScalarType = col.role == .offsets ? .uint64 : col.type
            for c in clusters {
                let chunk = c.columns[col.index]
                stats = stats.merged(with: chunk.stats, type: statsType)
                for p in chunk.pages {
                    codecs[Codec.named(p.codec) ?? "?", default: 0] += p.storedSize
                    encodings[p.encoding.description, default: 0] += p.storedSize
                    stored += p.storedSize
                    decoded += p.count * col.type.width
                }
            }
            func list(_ d: [String: Int]) -> String { d.sorted { $0.value > $1.value }.map(\.key).joined(separator: ",") }
            let path = col.role == .offsets ? col.path.replacingOccurrences(of: "#offsets", with: "#lengths") : col.path
            return ColumnSummary(path: path, type: col.role == .offsets ? "uint64" : col.type.description, codecs: list(codecs),
                                 encodings: list(encodings), stored: stored, decoded: decoded,
                                 numericRange: stats.range(as: statsType), nanCount: Int(stats.nanCount))
        }
    }
}
