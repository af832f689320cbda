import Darkscan
import Foundation
import Testing

/// The Swift side of distributed jobs (Formats/DISTRIBUTED.md): plans from footers, file
/// identities, partitions scanned alone, manifests opened as datasets or refused, and the JSON
/// reader under hostile input. The driver itself is tested from Python (test_distributed.py).
@Suite struct DistributedTests {
    /// Two runs of 2,000 events in clusters of 500.
    static let shards: [String] = (0..<2).map { i in
        let p = CLI.scratch("shard\(i).evc")
        let r = try! CLI.run(["simulate", "--run", "\(7000 + i)", "--events", "2000", "--seed", "\(i + 3)", "--signal-rate", "0.05",
                              "--cluster-events", "500", "--threads", "1", "-o", p])
        precondition(r.status == 0, r.stderr)
        return p
    }

    @Test func partitionsCoverEveryClusterOnceAsEvenlyAsBoundariesAllow() {
        #expect(Partition.split([3000, 3000, 3000, 3000, 3000, 3000, 2000], eventsPerTask: 7000) == [0..<2, 2..<4, 4..<7])
        #expect(Partition.split([], eventsPerTask: 10) == [0..<0])
        #expect(Partition.split([5], eventsPerTask: 1) == [0..<1])
        #expect(Partition.split([100, 1, 1, 1], eventsPerTask: 10) == [0..<1, 1..<4])
        #expect(Partition.split([3, 4], eventsPerTask: .max) == [0..<2])  // no overflow in the ceiling
        var g = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let counts = (0..<Int.random(in: 1...40, using: &g)).map { _ in Int.random(in: 1...1000, using: &g) }
            let n = Int.random(in: 1...20_000, using: &g)
            let ranges = Partition.split(counts, eventsPerTask: n)
            let total = counts.reduce(0, +)
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == counts.count)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(ranges.allSatisfy { !$0.isEmpty })
            #expect(ranges.count <= (total + n - 1) / n)
        }
    }

    @Test func planIsMadeFromFootersWithIdentities() throws {
        let plan = try Plan(paths: Self.shards, eventsPerTask: 900)
        #expect(plan.events == 4000 && plan.inputs.count == 2 && plan.partitions.count == 6)
        #expect(plan.partitions.map(\.id) == Array(0..<6))
        for p in plan.partitions {
            #expect(p.firstEvent % 500 == 0 && p.endEvent % 500 == 0 && p.clusters.count * 500 == p.events)
        }
        let st = try FileManager.default.attributesOfItem(atPath: Self.shards[0])
        #expect(plan.inputs[0].identity.size == (st[.size] as! Int))
        #expect(plan.inputs[0].identity == (try FileIdentity(path: Self.shards[0])))
        #expect(plan.inputs[0].path.hasPrefix("/"))
        #expect(Plan.absolute("/a/./b/../c//d.evc") == "/a/c/d.evc" && Plan.absolute("root://eos//a/../b") == "root://eos//a/../b")
        #expect(Plan.absolute("x/../y.evc") == Plan.absolute("y.evc") && Plan.absolute("y.evc").hasSuffix("/y.evc"))
        // A file with another schema is named.
        let other = CLI.scratch("other.evc")
        #expect(try CLI.run(["simulate", "--events", "10", "--profile", "summary", "-o", other]).status == 0)
        #expect { try Plan(paths: [Self.shards[0], other], eventsPerTask: 100) } throws: { ($0 as! EVCError).path == other }
    }

    @Test func identityNamesWhatChanged() throws {
        let copy = CLI.scratch("copy.evc")
        try FileManager.default.copyItem(atPath: Self.shards[0], toPath: copy)
        let before = try FileIdentity(path: copy)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1e9)], ofItemAtPath: copy)
        let after = try FileIdentity(path: copy)
        #expect(before.footerChecksum == after.footerChecksum && before.size == after.size)
        #expect(before.difference(to: after)?.hasPrefix("mtime_ns ") == true)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: copy))
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: copy))
        #expect { try FileIdentity(path: copy) } throws: { ($0 as! EVCError).code == .incomplete }
        try Data(bytes.prefix(20)).write(to: URL(fileURLWithPath: copy))
        #expect { try FileIdentity(path: copy) } throws: { ($0 as! EVCError).code == .truncated }
    }

    @Test func aPartitionScansOnlyItsClusters() throws {
        let ds = try EVCDataset(paths: [Self.shards[0]])
        var options = QueryOptions()
        options.clusters = 1..<3
        let part = try ds.count("ecal_e < 80 GeV", options: options)
        var expected = 0, total = 0
        try ds.batches(fields: ["ecal_e"]).forEach { b in
            guard (500..<1500).contains(b.firstEvent) else { return }
            total += b.eventCount
            expected += b.values("ecal_e")!.values(Float.self).filter { $0 < 80 }.count
        }
        #expect(part.total == 1000 && total == 1000 && part.selected == expected)
    }

    /// A job directory made with `skim --partition` for each partition, and its manifest.
    static func job(_ name: String) throws -> (dir: String, parts: [[String: Any]], plan: Plan) {
        let dir = CLI.scratch(name)
        let plan = try Plan(paths: Self.shards, eventsPerTask: 1000)
        var parts: [[String: Any]] = []
        for p in plan.partitions {
            let entry = String(decoding: try JSONSerialization.data(withJSONObject: p.planEntry), as: UTF8.self)
            let r = try CLI.run(["skim", "--partition", entry, "--where", "missing energy > 50 GeV", "-o", dir])
            #expect(r.status == 0, "\(r.stderr)")
            let result = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            var part = result["output"] as! [String: Any]
            part["id"] = p.id
            parts.append(part)
        }
        return (dir, parts, plan)
    }

    static func write(_ manifest: [String: Any], in dir: String) throws {
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
    }

    static func manifest(_ parts: [[String: Any]], partitions: Int, complete: Bool = true, kind: String = "skim") -> [String: Any] {
        ["format": "darkscan-manifest", "version": 1, "complete": complete, "state": complete ? "complete" : "incomplete",
         "job": "test", "kind": kind, "partitions": partitions, "parts": parts, "missing": [] as [Any]]
    }

    @Test func aCompleteManifestOpensAsItsPartsInOrder() throws {
        let (dir, parts, plan) = try Self.job("job.d")
        try Self.write(Self.manifest(parts, partitions: plan.partitions.count), in: dir)
        let direct = try EVCDataset(paths: Self.shards).count("missing energy > 50 GeV")
        for path in [dir, dir + "/", dir + "/manifest.json"] {
            let ds = try EVCDataset(paths: [path])
            #expect(ds.files.map(\.path) == parts.map { dir + "/" + ($0["path"] as! String) })
            #expect(ds.eventCount == direct.selected)
        }
        #expect(try CLI.run(["count", dir, "--where", "veto >= 0"]).status == 0)
        #expect(try CLI.run(["verify", dir]).status == 0)
        var wrong = parts
        wrong[0]["checksum"] = "0000000000000001"
        try Self.write(Self.manifest(wrong, partitions: plan.partitions.count), in: dir)
        let r = try CLI.run(["verify", dir])
        #expect(r.status == 1 && r.stdout.contains("differs from the manifest's 0000000000000001"))
    }

    @Test func incompleteOrChangedManifestsAreRefused() throws {
        let (dir, parts, plan) = try Self.job("bad.d")
        let n = plan.partitions.count
        func refused(_ m: [String: Any], _ code: EVCError.Code, _ words: String) throws {
            try Self.write(m, in: dir)
            #expect { try EVCDataset(paths: [dir]) } throws: { e in
                let e = e as! EVCError
                return e.code == code && e.path == dir + "/manifest.json" && e.message.contains(words)
            }
        }
        try refused(Self.manifest(Array(parts.dropLast()), partitions: n), .incomplete, "1 of \(n) partitions missing")
        var missing = Self.manifest(Array(parts.dropLast()), partitions: n, complete: false)
        missing["missing"] = [["id": n - 1, "file": "/x.evc", "first_event": 0, "end_event": 5, "reason": "boom"]]
        try refused(missing, .incomplete, "(partition \(n - 1), /x.evc events 0..<5: boom); run the job again with --resume")
        var running = Self.manifest(parts, partitions: n, complete: false)
        running["state"] = "running"
        try refused(running, .incomplete, "driver was killed")
        try refused(Self.manifest(parts, partitions: n, kind: "count"), .badArgument, "count job holds no event files")
        try refused(Self.manifest(parts, partitions: Int.min), .corrupt, "\"partitions\" must be the number of partitions")
        var v2 = Self.manifest(parts, partitions: n)
        v2["version"] = 2
        try refused(v2, .unsupportedVersion, "newer")
        var changed = parts
        changed[1]["bytes"] = (parts[1]["bytes"] as! Int) + 1
        try refused(Self.manifest(changed, partitions: n), .corrupt, "part 1")
        changed = parts
        changed[0]["footer_checksum"] = "0000000000000000"
        try refused(Self.manifest(changed, partitions: n), .corrupt, "is not the file the job wrote")
        changed = parts
        changed[0]["path"] = "../elsewhere.evc"
        try refused(Self.manifest(changed, partitions: n), .corrupt, "leaves the job directory")
        try Data("{\"format\": \"darkscan-manifest\", \"version\": 1,".utf8).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        #expect { try EVCDataset(paths: [dir]) } throws: { ($0 as! EVCError).message.hasPrefix("not valid JSON: at byte") }
        // The command says the same in one line and exits 1.
        try Self.write(Self.manifest(Array(parts.dropLast()), partitions: n), in: dir)
        let r = try CLI.run(["count", dir, "--where", "veto == 0"])
        #expect(r.status == 1 && r.stderr.contains("incomplete job manifest"))
    }

    @Test func jsonReaderIsExactAndRefusesHostileInput() throws {
        let doc = #"{"a": [1, -0, 9223372036854775807, 1795964951982131219, 1.5e3, true, null], "s": "\u00e9\ud83d\ude00\n\"", "o": {}}"#
        let v = try JSON.parse(Array(doc.utf8))
        #expect(v["a"]?.array?.map(\.int) == [1, 0, Int.max, 1795964951982131219, 1500, nil, nil])
        #expect(v["s"]?.string == "é😀\n\"")
        #expect(v["o"]?.object?.isEmpty == true)
        for cut in 0..<doc.utf8.count {  // every truncation fails cleanly
            #expect(throws: JSONError.self) { try JSON.parse(Array(doc.utf8.prefix(cut))) }
        }
        for bad in ["[01]", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{01}\"", "[1] x", "nul", "1e999", "\"\\x\"", "-"] {
            #expect(throws: JSONError.self, "\(bad)") { try JSON.parse(Array(bad.utf8)) }
        }
        let deep = String(repeating: "[", count: 100_000)
        #expect { try JSON.parse(Array(deep.utf8)) } throws: { ($0 as! JSONError).message.contains("nested deeper") }
        #expect { try JSON.parse([0x22, 0xFF, 0x22]) } throws: { ($0 as! JSONError).message.contains("UTF-8") }
    }
}
