import ArgumentParser
import Darkscan

/// `--partition`: run a command on one partition of a distributed job and print its result as
/// JSON (Formats/DISTRIBUTED.md, section 3).
struct PartitionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run on one partition only: FILE:START:END (events, on cluster boundaries) or a plan entry in JSON; prints the partition result as JSON.",
                               valueName: "spec"))
    var partition: String?

    @Option(help: "The partition's id when --partition is FILE:START:END (names the skim's part file).")
    var partitionId: Int?

    @Option(help: ArgumentHelp("The job's hash, recorded in the result and the part file.", valueName: "hash"))
    var job: String?

    var active: Bool { partition != nil }

    func validate() throws {
        if partition == nil && (partitionId != nil || job != nil) { throw ValidationError("--partition-id and --job go with --partition") }
        if let id = partitionId, id < 0 { throw ValidationError("--partition-id must be 0 or more") }
    }

    /// The partition named by `--partition`, its file opened (footer only), its identity checked
    /// against the plan entry. Exit 1 for a missing, damaged or changed file; 64 for a bad spec.
    func resolve() throws -> (Partition, EVCFile) {
        let spec = partition!
        var p: Partition
        if spec.hasPrefix("{") {
            p = try Self.entry(spec)
        } else {
            let parsed: (file: String, events: Range<Int>)
            do { parsed = try Partition.parse(spec, id: partitionId ?? 0) } catch { throw ValidationError(error.description) }
            p = Partition(id: partitionId ?? 0, input: 0, file: parsed.file, identity: nil, firstEvent: parsed.events.lowerBound,
                          endEvent: parsed.events.upperBound, clusters: 0..<0)
        }
        let label = p.label
        func fail(_ why: String) -> ExitCode {
            Terminal.error("\(label): \(why)")
            return ExitCode(1)
        }
        if let planned = p.identity {
            let found: FileIdentity
            do { found = try FileIdentity(path: p.file) } catch { throw fail(error.message) }
            if let d = planned.difference(to: found) { throw fail("the file changed since planning: \(d)") }
        }
        let file: EVCFile
        do { file = try EVCFile(path: p.file) } catch { throw fail(error.message) }
        do { p.clusters = try Partition.clusters(of: file, events: p.firstEvent..<p.endEvent) } catch {
            if p.identity != nil { throw fail(error.description) }
            Terminal.error(error.description)
            throw ExitCode(64)
        }
        return (p, file)
    }

    /// A plan entry (Formats/DISTRIBUTED.md section 2) given as JSON.
    static func entry(_ text: String) throws -> Partition {
        func bad(_ why: String) -> ValidationError { ValidationError("--partition: not a plan entry: \(why)") }
        let o: JSON
        do { o = try JSON.parse(text) } catch { throw bad("invalid JSON (\(error))") }
        guard case .object = o, let id = o["id"]?.int, id >= 0, let file = o["file"]?.string, !file.isEmpty,
              let first = o["first_event"]?.int, let end = o["end_event"]?.int, first >= 0, end >= first else {
            throw bad("it needs id, file, first_event and end_event (0 <= first_event <= end_event)")
        }
        var identity: FileIdentity? = nil
        if let i = o["identity"] {
            guard let size = i["size"]?.int, let mtime = i["mtime_ns"]?.int, let sum = i["footer_checksum"]?.string.flatMap(FileIdentity.parseHex) else {
                throw bad("identity needs size, mtime_ns and footer_checksum (16 hex digits)")
            }
            identity = FileIdentity(size: size, mtimeNanoseconds: mtime, footerChecksum: sum)
        }
        return Partition(id: id, input: o["input"]?.int ?? 0, file: file, identity: identity, firstEvent: first, endEvent: end, clusters: 0..<0)
    }
}
