// Friend files for Bench/friends: the truth-like companion of a simulated run (`darkscan
// simulate --profile summary --run R --events N`, whose events are R/0…N-1), holding for each
// (run, event) a `kind` (uint8) and a `true_e` (float32, GeV) drawn from a hash of the key, in
// the run's order or shuffled (the rows in the order k ↦ (a·k + b) mod N with a prime to N: every
// event once, consecutive rows far apart). No table of the permutation is kept: any N fits.
//
//   friend-bench --run R --events N --order same|shuffled -o OUT.evc
import Darkscan
import Foundation

func argument(_ name: String) -> String? {
    let a = CommandLine.arguments
    guard let i = a.firstIndex(of: name), i + 1 < a.count else { return nil }
    return a[i + 1]
}

guard let out = argument("-o"), let n = argument("--events").flatMap({ Double($0) }).map(Int.init), n > 0,
      let order = argument("--order"), order == "same" || order == "shuffled" else {
    FileHandle.standardError.write(Data("usage: friend-bench --run R --events N --order same|shuffled -o OUT.evc\n".utf8))
    exit(64)
}
let run = UInt32(argument("--run") ?? "4242")!

/// SplitMix64 of the key: the friend's values are a function of (run, event).
func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
// A multiplier near N·0.618 prime to N.
var a = max(1, Int(Double(n) * 0.6180339887))
while gcd(a, n) != 1 { a += 1 }
let b = n / 3

let schema = try Schema([
    Field(id: 1, name: "run", kind: .scalar(.uint32), description: "run number"),
    Field(id: 2, name: "event", kind: .scalar(.uint64), description: "event number in the run"),
    Field(id: 3, name: "kind", kind: .scalar(.uint8), description: "0…5, from a hash of the key"),
    Field(id: 4, name: "true_e", kind: .scalar(.float32), unit: Unit("GeV"), description: "0…100 GeV, from a hash of the key"),
])
let writer = try EVCWriter(path: out, schema: schema, metadata: [("producer", "friend-bench"), ("order", order)])
let block = 1 << 20
var k = 0
while k < n {
    let m = min(block, n - k)
    var batch = EventBatch(schema: schema, capacity: m)
    let runs = batch.column("run")!, events = batch.column("event")!, kinds = batch.column("kind")!, es = batch.column("true_e")!
    for i in k..<k + m {
        let e = order == "same" ? UInt64(i) : UInt64((Int(truncatingIfNeeded: (UInt64(a) &* UInt64(i)) % UInt64(n)) + b) % n)
        let h = mix(UInt64(run) << 40 ^ e)
        runs.append(run)
        events.append(e)
        kinds.append(UInt8(h % 6))
        es.append(Float(h >> 40 & 0xFFFF) / 655.36)
    }
    batch.noteAppendedEvents(m)
    try writer.write(batch)
    k += m
}
try writer.close()
FileHandle.standardError.write(Data("\(out): \(n) friend events, \(order) order\n".utf8))
