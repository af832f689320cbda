import ArgumentParser
import Darkscan
import Foundation

/// Options shared by the commands that run a query.
struct QueryOptionGroup: ParsableArguments {
    @Option(name: .customLong("where"), help: "The cuts, comma-separated, e.g. \"missing energy > 50 GeV, veto == 0\".")
    var query: String

    @Option(name: .customLong("define"), help: "An alias 'name = expr' (repeatable).")
    var defines: [String] = []

    @Option(help: "A file of aliases, one 'name = expr' per line (# starts a comment).")
    var aliases: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Skip page checksum verification.")
    var noVerify = false

    @OptionGroup var join: JoinOptionGroup

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func options() throws -> QueryOptions {
        var o = try join.options()
        o.threads = threads
        o.verifyChecksums = !noVerify
        if let aliases {
            let text: String
            do { text = try String(contentsOfFile: aliases, encoding: .utf8) } catch {
                Terminal.error("\(aliases): cannot read the aliases file: \(error.localizedDescription)")
                throw ExitCode(1)
            }
            o.defines += text.split(separator: "\n").map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0] }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        o.defines += defines
        return o
    }

    /// Opens the dataset and checks the query against it: a bad file exits 1, a bad query 2.
    static func open(_ files: [String], query: String?, options: QueryOptions) throws -> EVCDataset {
        let ds: EVCDataset
        do { ds = try EVCDataset(paths: files) } catch { throw Terminal.fail(error) }
        if query != nil || !options.friends.isEmpty || options.spills != nil {
            let text = query ?? "true"
            do { _ = try ds.check(text, options: options) } catch let e as QueryError { throw report(e, options: options, query: text) } catch {
                throw Terminal.fail(error)
            }
        }
        return ds
    }

    /// Prints a query error with its caret rendering, naming the option it came from.
    static func report(_ e: QueryError, options: QueryOptions, query: String) -> ExitCode {
        let origin: String
        if e.source == query { origin = "--where" } else if e.source == options.weight { origin = "--weight" } else { origin = "--define" }
        Terminal.note("darkscan: error in \(origin):\n\(e.rendered())")
        return ExitCode(2)
    }
}
