import Darkscan
import Foundation
import Simulation
import Testing

/// Friend joins by (run, event) against a join done in the test: friends in the same order, in
/// another order, lacking events, holding one twice, shorter, and not EVC at all.
@Suite struct FriendTests {
    static let friendSchema = try! Schema([
        Field(id: 1, name: "run", kind: .scalar(.uint32)),
        Field(id: 2, name: "event", kind: .scalar(.uint64)),
        Field(id: 3, name: "kind", kind: .scalar(.uint8)),
        Field(id: 4, name: "true_e", kind: .scalar(.float32), unit: Unit("GeV")),
        Field(id: 5, name: "pair", kind: .array(.int32, shape: [2])),
        Field(id: 6, name: "hits", kind: .list(.uint16)),
    ])

    /// The main dataset: 6,000 summary events of run 90 (events 0…5999), in clusters of 700.
    static let main: String = {
        let path = CLI.scratch("main.evc")
        var o = WriterOptions()
        o.clusterEvents = 700
        let sim = RecoSimulator(run: 90, seed: 4, signalRate: 0.02, profile: .summary)
        let w = try! EVCWriter(path: path, schema: sim.schema, options: o)
        try! sim.write(events: 6000, to: w, threads: 1)
        try! w.close()
        return path
    }()

    /// The values a friend row has for (run, event): a function of the key, so a reference
    /// join needs no lookup table.
    static func kind(_ e: UInt64) -> UInt8 { UInt8((e * 7) % 5) }
    static func trueE(_ e: UInt64) -> Float { Float(e) * 0.25 }

    /// A friend holding `keys` (run, event) in that order, in clusters of `clusterEvents`.
    static func friend(_ keys: [(UInt32, UInt64)], clusterEvents: Int = 900) throws -> String {
        let path = CLI.scratch("friend.evc")
        var o = WriterOptions()
        o.clusterEvents = clusterEvents
        let w = try EVCWriter(path: path, schema: friendSchema, options: o)
        var b = EventBatch(schema: friendSchema, capacity: keys.count)
        var total: UInt64 = 0
        for (r, e) in keys {
            b.column("run")!.append(r)
            b.column("event")!.append(e)
            b.column("kind")!.append(kind(e))
            b.column("true_e")!.append(trueE(e))
            b.column("pair")!.append(Int32(e))
            b.column("pair")!.append(-Int32(e))
            total += e % 3
            for k in 0..<e % 3 { b.column("hits")!.append(UInt16(k)) }
            b.offsets("hits")!.append(total)
        }
        b.noteAppendedEvents(keys.count)
        try w.write(b)
        try w.close()
        return path
    }

    static var mainEvents: [UInt64] { (0..<6000).map(UInt64.init) }

    func options(_ friend: String, prefix: String = "f", missing: FriendMissing = .error, threads: Int = 2) -> QueryOptions {
        var o = QueryOptions()
        o.threads = threads
        o.friends = [Friend(paths: [friend], prefix: prefix)]
        o.friendMissing = missing
        return o
    }

    /// The joined fields of every event passing `query`, in order.
    func joined(_ query: String, _ o: QueryOptions) throws -> (events: [UInt64], kind: [UInt8], trueE: [Float], pair: [Int32], flow: CutFlow) {
        var events: [UInt64] = [], kinds: [UInt8] = [], es: [Float] = [], pairs: [Int32] = []
        let flow = try EVCDataset(paths: [Self.main]).forEachSelected(query, fields: ["event", "f.kind", "f.true_e", "f.pair"], options: o) { b in
            events += b.values("event")!.values(UInt64.self)
            kinds += b.values("f.kind")!.values(UInt8.self)
            es += b.values("f.true_e")!.values(Float.self)
            pairs += b.values("f.pair")!.values(Int32.self)
        }
        return (events, kinds, es, pairs, flow)
    }

    func expectReference(_ j: (events: [UInt64], kind: [UInt8], trueE: [Float], pair: [Int32], flow: CutFlow), _ where_: String) {
        #expect(j.kind == j.events.map(Self.kind), "\(where_)")
        #expect(j.trueE == j.events.map(Self.trueE), "\(where_)")
        #expect(j.pair == j.events.flatMap { [Int32($0), -Int32($0)] }, "\(where_)")
    }

    @Test(arguments: [1, 2])
    func sameOrderJoinsByPosition(threads: Int) throws {
        let f = try Self.friend(Self.mainEvents.map { (90, $0) })
        let j = try joined("true", options(f, threads: threads))
        #expect(j.events == Self.mainEvents)
        expectReference(j, "positional")
        #expect(j.flow.joins.first?.mode == "positional")
        #expect(j.flow.joins.first?.indexedBatches == 0)
        // A cut on a friend field counts what the reference join counts.
        let flow = try EVCDataset(paths: [Self.main]).count("f.kind == 3, ecal_e < 90 GeV", options: options(f, threads: threads))
        #expect(flow.lines[0].events == Self.mainEvents.filter { Self.kind($0) == 3 }.count)
    }

    @Test(arguments: [1, 2])
    func shuffledOrderJoinsThroughTheIndex(threads: Int) throws {
        var rng = SystemRandomNumberGenerator()
        var keys = Self.mainEvents.map { (UInt32(90), $0) }
        keys.shuffle(using: &rng)
        // Extra events the data does not have, and another run, change nothing.
        keys += (6000..<6500).map { (90, UInt64($0)) } + (0..<300).map { (91, UInt64($0)) }
        let f = try Self.friend(keys, clusterEvents: 1000)
        let j = try joined("true", options(f, threads: threads))
        #expect(j.events == Self.mainEvents)
        expectReference(j, "shuffled")
        #expect(j.flow.joins.first?.positionalBatches == 0)
        #expect(j.flow.joins.first?.valueBytes ?? 0 > 0)
    }

    @Test func subsetInOrderJoinsThroughTheIndexWithCursors() throws {
        // The friend holds every second event plus more: data in the same order, with gaps.
        let f = try Self.friend((0..<12000).map { (90, UInt64($0)) })
        let j = try joined("event < 6000", options(f))
        expectReference(j, "subset")
        let r = try #require(j.flow.joins.first)
        #expect(r.valueBytes == 0)
        // A skim of the data (events kept sparse) joined with the whole friend.
        let skim = CLI.scratch("sparse.evc")
        try EVCDataset(paths: [Self.main]).skim("ecal_e < 80 GeV", to: skim)
        var events: [UInt64] = [], kinds: [UInt8] = []
        try EVCDataset(paths: [skim]).forEachSelected("true", fields: ["event", "f.kind"], options: options(f)) { b in
            events += b.values("event")!.values(UInt64.self)
            kinds += b.values("f.kind")!.values(UInt8.self)
        }
        #expect(!events.isEmpty && kinds == events.map(Self.kind))
        // A friend holding exactly the skim's events: positional, its keys decoded and compared.
        let exact = try Self.friend(events.map { (90, $0) })
        var kinds2: [UInt8] = []
        let flow = try EVCDataset(paths: [skim]).forEachSelected("true", fields: ["f.kind"], options: options(exact)) { b in
            kinds2 += b.values("f.kind")!.values(UInt8.self)
        }
        #expect(kinds2 == kinds)
        #expect(flow.joins.first?.mode == "positional")
    }

    @Test func shiftedKeysAreNotTakenByPosition() throws {
        // Events 1…6000 against the data's 0…5999: by position every key differs by one.
        let f = try Self.friend((1...6000).map { (90, UInt64($0)) })
        #expect { _ = try joined("true", options(f)) } throws: { ($0 as! EVCError).message.contains("run 90 event 0 ") }
        let j = try joined("true", options(f, missing: .skip))
        #expect(j.events == Array(1..<6000))
        expectReference(j, "shifted")
    }

    @Test func missingEventsAreAnErrorOrSkippedOrNull() throws {
        // The friend lacks events 1000…1009 (and holds the rest in order).
        let keys = Self.mainEvents.filter { !(1000..<1010).contains($0) }.map { (UInt32(90), $0) }
        let f = try Self.friend(keys)
        #expect { _ = try joined("true", options(f)) } throws: {
            let e = $0 as! EVCError
            return e.code == .conflict && e.message.contains("run 90 event 1000") && e.message.contains(f)
        }
        let skipped = try joined("true", options(f, missing: .skip))
        #expect(skipped.events == keys.map(\.1))
        expectReference(skipped, "skip")
        #expect(skipped.flow.lines[0].name == "friend f has the event" && skipped.flow.lines[0].events == 5990)
        #expect(skipped.flow.joins.first?.unmatched == 10 && skipped.flow.joins.first?.firstUnmatchedEvent == 1000)
        let nulled = try joined("true", options(f, missing: .null))
        #expect(nulled.events == Self.mainEvents)
        for (i, e) in nulled.events.enumerated() {
            if (1000..<1010).contains(e) {
                #expect(nulled.trueE[i].isNaN && nulled.kind[i] == 0 && nulled.pair[2 * i] == 0)
            } else {
                #expect(nulled.trueE[i] == Self.trueE(e))
            }
        }
        // NaN fails every cut: the null events do not pass a cut on the friend's energy.
        let flow = try EVCDataset(paths: [Self.main]).count("f.true_e >= 0 GeV", options: options(f, missing: .null))
        #expect(flow.selected == 5990)
    }

    @Test func shorterFriendAndDuplicatesAreErrors() throws {
        let short = try Self.friend(Self.mainEvents.prefix(5000).map { (90, $0) })
        #expect { _ = try joined("true", options(short)) } throws: {
            ($0 as! EVCError).message.contains("run 90 event 5000") && ($0 as! EVCError).message.contains("shorter")
        }
        var keys = Self.mainEvents.map { (UInt32(90), $0) }
        keys.insert((90, 42), at: 3000)
        let dup = try Self.friend(keys)
        #expect { _ = try joined("true", options(dup, missing: .skip)) } throws: {
            ($0 as! EVCError).message.contains("event 42 twice")
        }
    }

    @Test func friendThatIsNotEVCOrLacksKeys() throws {
        let text = CLI.scratch("notes.txt")
        try "not an EVC file".write(toFile: text, atomically: true, encoding: .utf8)
        #expect { _ = try EVCDataset(paths: [Self.main]).count("true", options: options(text)) } throws: {
            ($0 as! EVCError).code == .notEVC && ($0 as! EVCError).path == text
        }
        let keyless = CLI.scratch("keyless.evc")
        let w = try EVCWriter(path: keyless, schema: try Schema([Field(id: 1, name: "x", kind: .scalar(.float32))]))
        try w.close()
        #expect { _ = try EVCDataset(paths: [Self.main]).count("true", options: options(keyless)) } throws: {
            ($0 as! EVCError).message.contains("'run'")
        }
        // Lists are not joined, and said.
        let f = try Self.friend(Self.mainEvents.map { (90, $0) })
        let flow = try EVCDataset(paths: [Self.main]).count("true", options: options(f))
        #expect(flow.joins.first?.notJoined == ["hits"])
    }

    @Test func skimOutputCarriesFriendFields() throws {
        let f = try Self.friend(Self.mainEvents.reversed().map { (90, $0) })
        let out = CLI.scratch("with-friend.evc")
        try EVCDataset(paths: [Self.main]).skim("f.kind == 2", to: out, select: ["event", "f.*"], options: options(f))
        let file = try EVCFile(path: out)
        #expect(file.schema.fields.map(\.name) == ["event", "f.run", "f.event", "f.kind", "f.true_e", "f.pair"])
        var events: [UInt64] = [], kinds: [UInt8] = [], es: [Float] = []
        try file.batches().forEach { b in
            events += b.values("event")!.values(UInt64.self)
            kinds += b.values("f.kind")!.values(UInt8.self)
            es += b.values("f.true_e")!.values(Float.self)
        }
        #expect(events == Self.mainEvents.filter { Self.kind($0) == 2 })
        #expect(kinds.allSatisfy { $0 == 2 } && es == events.map(Self.trueE))
        #expect(file.metadata("friend")?.contains(f) == true)
    }

    @Test func prefixesFromFileNames() throws {
        #expect(try Friend(parsing: "sim/cdr01001-004242.truth.evc").prefix == "truth")
        #expect(try Friend(parsing: "sim/run.evc:mc").prefix == "mc")
        #expect(try Friend(parsing: "sim/run.evc:mc").paths == ["sim/run.evc"])
        #expect(try Friend(parsing: "data/2024").prefix == "friend_2024")
        #expect(throws: EVCError.self) { try Friend(parsing: "x.evc:9lives") }
    }
}
