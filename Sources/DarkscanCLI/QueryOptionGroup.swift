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

    @Option(help: "A quick look: read only the first N events (in file order).")
    var limit: Int?

    @Option(help: "A quick look: read only this fraction (0 < F <= 1) of the clusters, whole ones chosen by --seed.")
    var sample: Double?

    @Option(help: "Seed of --sample: the same seed and files give the same clusters.")
    var seed: UInt64 = 1

    @OptionGroup var join: JoinOptionGroup

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        if let sample, !(sample > 0 && sample <= 1) { throw ValidationError("--sample must be a fraction in (0, 1]") }
    }

    func options() throws -> QueryOptions {
        var o = try Self.options(threads: threads, noVerify: noVerify, aliases: aliases, defines: defines, base: join.options())
        o.limit = limit
        o.sample = sample.map { Sampling(fraction: $0, seed: seed) }
        return o
    }

    /// Query options from the values of these flags (also for commands whose --where is optional),
    /// on top of `base` (a spill list and friends).
    static func options(threads: Int, noVerify: Bool, aliases: String?, defines: [String], base: QueryOptions = QueryOptions()) throws -> QueryOptions {
        var o = base
        o.threads = threads
        o.verifyChecksums = !noVerify
        if let aliases { o.defines += try lines(aliases, "the aliases file") }
        o.defines += defines
        return o
    }

    /// The non-empty lines of a file, without what follows '#': exit 1 if it cannot be read.
    static func lines(_ path: String, _ what: String) throws -> [String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            Terminal.error("\(path): cannot read \(what): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        return text.split(separator: "\n").map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0] }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Opens the dataset and checks the query against it: a bad file exits 1, a bad query 2.
    static func open(_ files: [String], query: String?, options: QueryOptions) throws -> EVCDataset {
        let ds: EVCDataset
        do { ds = try EVCDataset(paths: files) } catch { throw Terminal.fail(error) }
        if query != nil || !options.friends.isEmpty || options.spills != nil { try check(ds, query ?? "true", options: options) }
        return ds
    }

    /// Checks the query against the dataset (with its friends and spill list): a query error
    /// exits 2 with its caret, a friend that cannot be opened or joined 1.
    static func check(_ ds: EVCDataset, _ query: String, options: QueryOptions) throws {
        do { _ = try ds.check(query, options: options) } catch let e as QueryError { throw report(e, options: options, query: query) } catch {
            throw Terminal.fail(error)
        }
    }

    /// Prints a query error with its caret rendering, naming the option it came from.
    static func report(_ e: QueryError, options: QueryOptions, query: String) -> ExitCode {
        let origin: String
        if e.source == query { origin = "--where" } else if e.source == options.weight { origin = "--weight" } else if options.histograms.contains(e.source) { origin = "--hist" } else { origin = "--define" }
        Terminal.note("darkscan: error in \(origin):\n\(e.rendered())")
        return ExitCode(2)
    }
}
