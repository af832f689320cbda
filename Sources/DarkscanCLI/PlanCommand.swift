import ArgumentParser
import Darkscan
import Foundation

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Split a dataset into partitions for a distributed job, from footers only.",
        discussion: """
            Each partition is whole clusters of one file, about --events-per-task events, with \
            the file's identity (size, modification time, footer checksum) so that a task can \
            tell the file changed since planning. Only headers, trailers and footers are read: \
            thousands of files plan in seconds. With --where (and --hist, --friend, --spills) the query is checked too (exit 2). \
            Formats/DISTRIBUTED.md defines the JSON; drivers run each entry with \
            `darkscan count|skim --partition ENTRY`.

            Examples:
              darkscan plan 'runs/*.evc'
              darkscan plan runs/ --events-per-task 5000000 --json > plan.json
              darkscan plan runs/ --where "missing energy > 50 GeV, veto == 0" --json

            Exit codes: 0 success; 1 damaged, unreadable or mismatched files; 2 an error in the \
            query; 64 bad usage.
            """
    )

    @Argument(help: "EVC files, globs or directories.")
    var files: [String]

    @Option(help: "Events per partition (partitions hold whole clusters, so they may hold more).")
    var eventsPerTask: Int = PlanCommand.defaultEventsPerTask

    @Option(name: .customLong("where"), help: "Also check this query against the schema.")
    var query: String?

    @Option(name: .customLong("define"), help: "An alias 'name = expr' for the check (repeatable).")
    var defines: [String] = []

    @Option(help: "A per-event weight expression for the check.")
    var weight: String?

    @Option(name: .customLong("hist"), help: ArgumentHelp("A histogram spec for the check (repeatable).", valueName: "spec"))
    var histograms: [String] = []

    @OptionGroup var join: JoinOptionGroup

    @Flag(help: "Print the plan as JSON (Formats/DISTRIBUTED.md).")
    var json = false

    static let defaultEventsPerTask = 10_000_000

    func validate() throws {
        guard eventsPerTask >= 1 else { throw ValidationError("--events-per-task must be at least 1") }
    }

    func run() throws {
        let start = Date()
        let plan: Plan
        do { plan = try Plan(paths: files, eventsPerTask: eventsPerTask) } catch { throw Terminal.fail(error) }
        if query != nil || !histograms.isEmpty {
            var options = try join.options()
            options.defines = defines
            options.weight = weight
            options.histograms = histograms
            let first = try QueryOptionGroup.open([plan.inputs[0].path], query: nil, options: QueryOptions())
            try QueryOptionGroup.check(first, query ?? "", options: options)
        }
        if json {
            Terminal.printJSON(Self.json(plan))
            return
        }
        let sizes = plan.partitions.map(\.events).sorted()
        print(Terminal.table(["files", "events", "partitions", "events per partition (min / median / max)"], [[
            Terminal.count(plan.inputs.count), Terminal.count(plan.events), Terminal.count(plan.partitions.count),
            "\(Terminal.count(sizes.first ?? 0)) / \(Terminal.count(sizes[sizes.count / 2])) / \(Terminal.count(sizes.last ?? 0))",
        ]]))
        Terminal.note(String(format: "planned from footers in %.2f s", Date().timeIntervalSince(start)))
    }

    /// The plan as Formats/DISTRIBUTED.md section 2 writes it.
    static func json(_ plan: Plan) -> [String: Any] {
        let inputs: [[String: Any]] = plan.inputs.map {
            ["path": $0.path, "size": $0.identity.size, "mtime_ns": $0.identity.mtimeNanoseconds,
             "footer_checksum": $0.identity.footerChecksumHex, "events": $0.events, "clusters": $0.clusters]
        }
        return ["format": "darkscan-plan", "version": 1, "darkscan_version": DarkscanVersion.current,
                "events_per_task": plan.eventsPerTask, "events": plan.events, "inputs": inputs,
                "partitions": plan.partitions.map(\.planEntry)]
    }
}
