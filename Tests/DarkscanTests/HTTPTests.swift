import Darkscan
import Foundation
import Testing

/// http:// URLs against a small HTTP server started here (Python's http.server does not answer
/// Range requests, so the test brings a handler that does, and can be told not to).
@Suite(.serialized) struct HTTPTests {
    static let handler = """
        import http.server, os, re, sys
        root, port, ranges = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "ranges"

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def target(self):
                path = os.path.join(root, self.path.lstrip("/"))
                if not os.path.isfile(path):
                    self.send_error(404)
                    return None
                return path

            def do_HEAD(self):
                path = self.target()
                if path:
                    self.send_response(200)
                    self.send_header("Content-Length", str(os.path.getsize(path)))
                    self.end_headers()

            def do_GET(self):
                path = self.target()
                if not path:
                    return
                size = os.path.getsize(path)
                m = re.match(r"bytes=(\\d+)-(\\d+)$", self.headers.get("Range", ""))
                with open(path, "rb") as f:
                    if not (ranges and m):
                        body, status = f.read(), 200
                    else:
                        a, b = int(m[1]), min(int(m[2]), size - 1)
                        f.seek(a)
                        body, status = f.read(b - a + 1), 206
                self.send_response(status)
                if status == 206:
                    self.send_header("Content-Range", f"bytes {a}-{b}/{size}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
        """

    /// Serves a copy of `file` as `/a.evc` on a free port until `stop`; returns the server and
    /// the base URL.
    static func serve(_ file: String, ranges: Bool) throws -> (Process, String) {
        let root = CLI.scratch(ranges ? "http" : "http-whole")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: root + "/a.evc")
        let script = CLI.scratch("range_server.py")
        try handler.write(toFile: script, atomically: true, encoding: .utf8)
        let port = 30000 + Int(getpid() % 20000) + (ranges ? 0 : 1)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, root, String(port), ranges ? "ranges" : "whole"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, "http://127.0.0.1:\(port)")
    }

    static func stop(_ server: Process) {
        kill(server.processIdentifier, SIGKILL)
        if server.isRunning { server.waitUntilExit() }
    }

    static func waitUntilServed(_ url: String) throws {
        for _ in 0..<100 {
            if (try? HTTPFile(url: url)) != nil { return }
            usleep(100_000)
        }
        Issue.record("the HTTP server at \(url) did not answer")
    }

    @Test func countsAndSkimsOverHTTPEqualTheLocalOnes() throws {
        let a = try ReadingTests.smallClusters("ha.evc", events: 5000, clusterEvents: 400)
        let (server, base) = try Self.serve(a, ranges: true)
        defer { Self.stop(server) }
        try Self.waitUntilServed(base + "/a.evc")

        let query = "missing energy > 20 GeV, veto == 0"
        let remote = try EVCDataset(paths: [base + "/a.evc"])
        let local = try EVCDataset(paths: [a])
        #expect(try remote.count(query).table() == (try local.count(query)).table())
        let out = CLI.scratch("http-skim.evc"), expected = CLI.scratch("local-skim.evc")
        try remote.skim(query, to: out)
        try local.skim(query, to: expected)
        let got = try EVCDataset(paths: [out]), want = try EVCDataset(paths: [expected])
        #expect(got.eventCount == want.eventCount)
        let g = try got.files[0].readEvents(cluster: 0), w = try want.files[0].readEvents(cluster: 0)
        for c in g.schema.columns.indices { #expect(g.columns[c]!.rawBytes.elementsEqual(w.columns[c]!.rawBytes)) }

        let missing = try CLI.run(["count", base + "/none.evc", "--where", "veto == 0"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("none.evc") && missing.stderr.contains("404"), "\(missing.stderr)")
        let cli = try CLI.run(["verify", base + "/a.evc"])
        #expect(cli.status == 0, "\(cli.stdout) \(cli.stderr)")
    }

    @Test func aServerWithoutRangesIsAnError() throws {
        let a = try ReadingTests.smallClusters("hb.evc", events: 2000, clusterEvents: 400)
        let (server, base) = try Self.serve(a, ranges: false)
        defer { Self.stop(server) }
        // Opening reads the header and tail with Range requests: refused at once.
        var opened = false
        var message = ""
        for _ in 0..<100 {
            do {
                _ = try EVCFile(path: base + "/a.evc")
                opened = true
                break
            } catch where error.message.contains("ignores range") {
                message = error.description
                break
            } catch {
                usleep(100_000)
            }
        }
        #expect(!opened)
        #expect(message.contains("ignores range requests"), "\(message)")
    }
}
