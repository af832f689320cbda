import ArgumentParser
import Darkscan
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write events as an Arrow IPC file (Feather v2) for pyarrow, polars and duckdb.",
        discussion: """
            Fixed-size arrays become FixedSizeList (nested, one level per dimension), lists become \
            List (of Struct for record lists); units and descriptions are field metadata, the \
            query and its cut flow schema metadata. Buffers are compressed as the Arrow format \
            defines it (one LZ4 frame or zstd frame per buffer). Memory stays bounded: one batch \
            at a time.

            Examples:
              darkscan export run4242.evc --format arrow -o run4242.arrow
              darkscan export 'runs/*.evc' --where "missing energy > 50 GeV, veto == 0" --columns run,event,ecal_e,ecal_cells -o cand.arrow
              python3 -c "import pyarrow.ipc as i; print(i.open_file('cand.arrow').read_all())"

            Exit codes: 0 success; 1 damaged or unreadable input, or an output that cannot be \
            written; 2 an error in the query; 64 bad usage.
            """
    )

    enum Format: String, ExpressibleByArgument { case arrow }

    @Argument(help: "EVC files, globs or directories (read as one dataset).")
    var files: [String]

    @Option(help: "Output format (arrow: Arrow IPC file).")
    var format: Format = .arrow

    @Option(name: .customLong("where"), help: "Export only the events passing these cuts.")
    var query: String?

    @Option(name: .customLong("define"), help: "An alias 'name = expr' for --where (repeatable).")
    var defines: [String] = []

    @Option(help: "Fields to export, comma-separated (default: all); friends' fields as PREFIX.field, PREFIX.* for all of a friend's.")
    var columns: String?

    @OptionGroup var join: JoinOptionGroup

    @Option(help: "Buffer compression: zstd, lz4 or none.")
    var compression: String = "zstd"

    @Option(name: .shortAndLong, help: "Output file.")
    var output: String

    func validate() throws {
        guard ArrowWriter.Compression(rawValue: compression) != nil else { throw ValidationError("--compression must be zstd, lz4 or none") }
    }

    func run() throws {
        var options = try join.options()
        options.defines = defines
        let ds = try QueryOptionGroup.open(files, query: query, options: options)
        let fields = columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let bar = ProgressBar("export", total: ds.eventCount, unit: "events")
        let flow = try bar.run {
            try ds.exportArrow(to: output, query: query, fields: fields, compression: ArrowWriter.Compression(rawValue: compression)!,
                               options: options) { bar.update($0) }
        }
        if let flow {
            print(flow.table())
            JoinOptionGroup.notes(flow)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        Terminal.note(String(format: "%@: %@ events, %@, %.2f s", output, Terminal.count(flow?.selected ?? ds.eventCount), Terminal.bytes(size), bar.seconds))
    }
}
