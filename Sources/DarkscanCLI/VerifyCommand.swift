import ArgumentParser
import Darkscan
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every checksum of EVC files and decode every page.",
        discussion: """
            Checks the trailer, footer, index and cluster blocks and every page (XXH3-64), and \
            decodes every page. Problems are listed by cluster, column and page; verification goes \
            on after a bad page. A job manifest (OUT.d or OUT.d/manifest.json) verifies its part \
            files, each also against the whole-file checksum the manifest records. Exit code 1 \
            when any file has a problem.

            Examples:
              darkscan verify run4242.evc
              darkscan verify --json data/
              darkscan verify candidates.d
            """
    )

    @Argument(help: "EVC files, globs, directories or job manifests.")
    var files: [String]

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let paths: [String]
        do { paths = try EVCDataset.expand(files) } catch { throw Terminal.fail(error) }
        // Parts of job manifests: the XXH3-64 of each whole file, as the job wrote it.
        var recorded: [String: UInt64] = [:]
        for f in files {
            guard let m = JobManifest.location(of: f), let manifest = try? JobManifest(path: m) else { continue }
            for p in manifest.parts { recorded[p.path] = p.checksum }
        }
        var results: [[String: Any]] = []
        var bad = 0
        for path in paths {
            let start = Date()
            var problems: [String] = []
            var pages = 0, bytes = 0
            do {
                let f = try EVCFile(path: path)
                let bar = ProgressBar("verify", total: f.fileSize, unit: "B")
                let report = f.verify { bar.update($0) }
                bar.finish()
                problems = report.problems.map(\.description)
                pages = report.pagesChecked
                bytes = report.bytesChecked
                if let expected = recorded[path] {
                    let found = try FileIdentity.contentChecksum(path: path)
                    if found != expected {
                        problems.append("whole-file checksum \(FileIdentity.hex(found)) differs from the manifest's \(FileIdentity.hex(expected))")
                    }
                }
            } catch {
                problems = ["\(error)"]
            }
            let seconds = Date().timeIntervalSince(start)
            if !problems.isEmpty { bad += 1 }
            if json {
                results.append(["path": path, "ok": problems.isEmpty, "problems": problems, "pages": pages, "bytes": bytes, "seconds": seconds])
            } else if problems.isEmpty {
                print("\(path): OK (\(Terminal.count(pages)) pages, \(Terminal.bytes(bytes)) in \(String(format: "%.2f", seconds)) s)")
            } else {
                print("\(path): \(problems.count) problem\(problems.count == 1 ? "" : "s")")
                for p in problems { print("  \(p)") }
            }
        }
        if json { Terminal.printJSON(results) }
        if !json && paths.count > 1 { print("\(paths.count - bad) of \(paths.count) files OK") }
        if bad > 0 { throw ExitCode(1) }
    }
}
