import Darkscan
import Foundation
import Simulation
import Testing

/// A real `xrootd` server (Debian's xrootd-server) on 127.0.0.1 serving a test folder: counts,
/// skims and cut flows over root:// equal the local ones; a server that stops answering mid-scan
/// gives an error within the timeout, not a hang.
@Suite(.serialized) struct XRootDTests {
    /// A running server; `stop()` (or the end of the test process) ends it.
    final class Server {
        let data: String
        let port: Int
        let process: Process
        var url: String { "root://127.0.0.1:\(port)/" }

        init?() throws {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/xrootd") else { return nil }
            let dir = CLI.scratch("xrootd")
            data = dir + "/data"
            try FileManager.default.createDirectory(atPath: dir + "/admin", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            port = 20000 + Int(getpid() % 20000)
            try """
                all.export /
                xrd.port \(port)
                all.adminpath \(dir)/admin
                all.pidpath \(dir)/admin
                oss.localroot \(data)
                """.write(toFile: dir + "/xrootd.cfg", atomically: true, encoding: .utf8)
            // It refuses to run as root: it runs as the `xrootd` user the package creates.
            for d in [CLI.scratchDirectory, dir, dir + "/admin", data] { chmod(d, 0o777) }
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/xrootd")
            process.arguments = getuid() == 0 ? ["-R", "xrootd", "-c", dir + "/xrootd.cfg", "-l", dir + "/log"] : ["-c", dir + "/xrootd.cfg", "-l", dir + "/log"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait until it answers (at most 15 s).
            for _ in 0..<150 {
                if try CLI.system("/usr/bin/xrdfs", ["root://127.0.0.1:\(port)", "ls", "/"]).status == 0 { return }
                usleep(100_000)
            }
            stop()
            Issue.record("xrootd did not answer on port \(port); log in \(dir)/log")
            return nil
        }

        /// Puts a file where the server serves it, readable by its user.
        func serve(_ path: String, as name: String) throws {
            try FileManager.default.copyItem(atPath: path, toPath: data + "/" + name)
            chmod(data + "/" + name, 0o644)
        }

        /// Kills the server, also when it is stopped (SIGSTOP), which Foundation may already
        /// count as not running.
        func stop() {
            let pid = process.processIdentifier
            guard pid > 0 else { return }
            kill(pid, SIGKILL)
            kill(pid, SIGCONT)
            if process.isRunning { process.waitUntilExit() }
        }

        deinit { stop() }
    }

    static func server() throws -> Server? {
        // Short timeouts, so that the stopped-server test ends in seconds.
        Remote.timeout = 4
        guard let s = try Server() else {
            print("XRootDTests skipped: no /usr/bin/xrootd (tools/setup installs xrootd-server)")
            return nil
        }
        return s
    }

    static let seed = "missing energy > 50 GeV, veto == 0"

    @Test func countsSkimsAndCutFlowsEqualTheLocalOnes() throws {
        guard let server = try Self.server() else { return }
        defer { server.stop() }
        let a = try ReadingTests.smallClusters("a.evc", events: 6000, clusterEvents: 500)
        let b = try ReadingTests.smallClusters("b.evc", events: 3000, clusterEvents: 700)
        try server.serve(a, as: "a.evc")
        try server.serve(b, as: "b.evc")
        var options = QueryOptions()
        options.nMinusOne = true
        let local = try EVCDataset(paths: [a, b])
        for remote in [[server.url + "/a.evc", server.url + "/b.evc"], [server.url + "/*.evc"], [server.url + "/"]] {
            let ds = try EVCDataset(paths: remote)
            #expect(ds.files.count == 2)
            #expect(ds.eventCount == local.eventCount)
            let flow = try ds.count(Self.seed, options: options)
            #expect(flow.table() == (try local.count(Self.seed, options: options)).table(), "\(remote)")
        }
        // A skim: the same events, byte for byte the same values.
        let remote = try EVCDataset(paths: [server.url + "/a.evc", server.url + "/b.evc"])
        let out = CLI.scratch("remote-skim.evc"), expected = CLI.scratch("local-skim.evc")
        try remote.skim("missing energy > 20 GeV", to: out)
        try local.skim("missing energy > 20 GeV", to: expected)
        var got: [EventBatch] = [], want: [EventBatch] = []
        try EVCDataset(paths: [out]).batches().forEach { got.append($0) }
        try EVCDataset(paths: [expected]).batches().forEach { want.append($0) }
        #expect(got.count == want.count)
        for (g, w) in zip(got, want) {
            for c in g.schema.columns.indices { #expect(g.columns[c]!.rawBytes.elementsEqual(w.columns[c]!.rawBytes)) }
        }
        // The command line too: count --json and verify.
        let r = try CLI.run(["count", server.url + "/a.evc", "--where", Self.seed, "--json"])
        let l = try CLI.run(["count", a, "--where", Self.seed, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let lj = try JSONSerialization.jsonObject(with: Data(l.stdout.utf8)) as! [String: Any]
        let events = { (o: [String: Any]) in (o["cuts"] as? [[String: Any]])?.map { $0["events"] as? Int ?? -1 } ?? [] }
        #expect(events(rj) == events(lj) && rj["total"] as? Int == 6000)
        let v = try CLI.run(["verify", server.url + "/b.evc"])
        #expect(v.status == 0, "\(v.stdout) \(v.stderr)")
        // A permanent error is one line, exit 1, without retries.
        let missing = try CLI.run(["count", server.url + "/none.evc", "--where", "veto == 0"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("none.evc") && missing.stderr.contains("no such file"), "\(missing.stderr)")
    }

    @Test func serverStoppedMidScanIsAnErrorNotAHang() throws {
        guard let server = try Self.server() else { return }
        defer { server.stop() }
        let path = try ReadingTests.smallClusters("stopped.evc", events: 40_000, clusterEvents: 100)
        try server.serve(path, as: "stopped.evc")
        let ds = try EVCDataset(paths: [server.url + "/stopped.evc"])
        var options = QueryOptions()
        options.threads = 1
        var stopped = false
        let start = Date()
        // After the first window of clusters the server freezes: no answer, connection open.
        let thrown = #expect(throws: EVCError.self) {
            _ = try ds.count(Self.seed, options: options) { _ in
                if !stopped {
                    stopped = true
                    kill(server.process.processIdentifier, SIGSTOP)
                }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        #expect(stopped)
        #expect(seconds < 60, "the error took \(seconds) s")
        let e = try #require(thrown)
        #expect(e.code == .io, "\(e)")
        #expect(e.path == server.url + "/stopped.evc", "\(e)")
        #expect(!e.description.contains("\n"))
    }
}
