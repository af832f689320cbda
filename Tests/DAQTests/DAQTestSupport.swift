import CKernels
import DAQ
import EventFormat
import Foundation
import Simulation

enum Scratch {
    /// This process's scratch folder, removed when the test process exits.
    static let scratchDirectory: String = {
        let dir = NSTemporaryDirectory() + "darkscan-daq-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "darkscan-daq-tests-\(getpid())") }
        return dir
    }()

    /// A fresh path in a per-process scratch folder.
    static func path(_ name: String) -> String {
        let dir = scratchDirectory
        return dir + "/" + UUID().uuidString.prefix(8) + "-" + name
    }

    static func write(_ bytes: [UInt8], _ name: String) -> String {
        let p = path(name)
        precondition(FileManager.default.createFile(atPath: p, contents: Data(bytes)), "cannot write \(p)")
        return p
    }

    static func read(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path) ?? Data()) }
}

/// Small simulated raw runs, made once per process and shared by the tests.
enum SampleRuns {
    struct Run {
        var raw: String
        var truth: String
        var events: Int
    }

    /// `events` physics events of run 4242 (seed 7, 5% A' signal), or of `physics`.
    static func make(events: Int, signalRate: Double = 0.05, seed: UInt64 = 7, threads: Int = 2, physics given: PhysicsGenerator? = nil) throws -> Run {
        let raw = Scratch.path("cdr01001-004242.dat")
        let truth = raw + ".truth.evc"
        let physics = given ?? PhysicsGenerator(beam: .electron, energy: 100, signalRate: signalRate, massMeV: 10, pileUp: .window)
        let sim = try RawSimulator(run: 4242, seed: seed, physics: physics)
        try sim.write(events: events, to: raw, truthPath: truth, threads: threads)
        return Run(raw: raw, truth: truth, events: events)
    }

    static let small: Run = try! make(events: 600)
}

/// Events of a raw file: offset and size, from a clean read.
func eventOffsets(_ path: String) throws -> [(offset: Int, size: Int, type: UInt32)] {
    let bytes = Scratch.read(path)
    var out: [(Int, Int, UInt32)] = []
    var p = 0
    while p + 68 <= bytes.count {
        let size = Int(word(bytes, p))
        out.append((p, size, word(bytes, p + 16)))
        p += size
    }
    return out
}

func word(_ b: [UInt8], _ at: Int) -> UInt32 {
    UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
}

func setWord(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
    for k in 0..<4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
}

/// Recomputes the CRC32C word of the event at `offset` (so that a deeper check must catch an edit).
func resealCRC(_ b: inout [UInt8], event offset: Int) {
    let size = Int(word(b, offset))
    let crc = b.withUnsafeBytes { dk_crc32c(0, $0.baseAddress! + offset, size - 4) }
    setWord(&b, offset + size - 4, crc)
}

func convert(_ inputs: [String], strict: Bool = false, resume: Bool = false, output: String? = nil,
             configure: (inout ConvertOptions) -> Void = { _ in }) throws -> (ConvertReport, String) {
    let out = output ?? Scratch.path("out.evc")
    var options = ConvertOptions()
    options.strict = strict
    options.resume = resume
    options.threads = 2
    configure(&options)
    let report = try Converter(inputs: inputs, output: out, options: options).run()
    return (report, out)
}

/// All values of a column of an EVC file (`mm_hits.strip` for a record-list member), as doubles.
func column(_ path: String, _ name: String) throws -> [Double] {
    let f = try EVCFile(path: path)
    var out: [Double] = []
    let fields = try f.fieldIndices([String(name.prefix { $0 != "." })])
    for ci in 0..<f.clusterCount {
        let b = try f.readEvents(cluster: ci, fields: fields)
        let c = b.column(name)!
        for i in 0..<c.count { out.append(c.double(at: i)) }
    }
    return out
}

/// Takes raw files apart into events and equipments and puts them back together with every
/// size and CRC32C made right again, so that a test can change what one field says and leave
/// the rest of the file valid.
struct RawEdit {
    struct Equipment {
        var words: [UInt32]
        var type: UInt32 { get { words[1] } set { words[1] = newValue } }
        var id: UInt32 { get { words[2] } set { words[2] = newValue } }
        var source: Int { Int(words[7] >> 16 & 0x3FF) }
        var isCRC: Bool { words[1] == 0xC0C }
        mutating func setSlinkType(_ t: UInt32) { words[7] = words[7] & ~(0x1F << 26) | (t & 0x1F) << 26 }
        mutating func setFormat(_ f: UInt32) { words[9] = words[9] & 0x00FF_FFFF | f << 24 }
        mutating func setSource(_ s: Int) { words[7] = words[7] & ~(0x3FF << 16) | UInt32(s & 0x3FF) << 16 }
    }

    struct Event {
        var header: [UInt32]
        var equipments: [Equipment]
        var type: UInt32 { header[4] }
    }

    var events: [Event] = []

    init(_ bytes: [UInt8]) {
        var p = 0
        while p + 68 <= bytes.count {
            let size = Int(word(bytes, p))
            let words = stride(from: p, to: p + size, by: 4).map { word(bytes, $0) }
            var eqs: [Equipment] = []
            var q = 17
            while q < words.count {
                let n = Int(words[q]) / 4
                eqs.append(Equipment(words: Array(words[q..<q + n])))
                q += n
            }
            events.append(Event(header: Array(words[..<17]), equipments: eqs))
            p += size
        }
    }

    /// The file: sizes recomputed, each CRC32C equipment (kept last) resealed.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        for e in events {
            var words = e.header
            for var q in e.equipments {
                q.words[0] = UInt32(4 * q.words.count)
                q.words[7] = q.words[7] & 0xFFFF_0000 | UInt32(q.words.count - 7)
                words += q.words
            }
            words[0] = UInt32(4 * words.count)
            if e.equipments.last?.isCRC == true {
                words[words.count - 1] = words.withUnsafeBufferPointer { dk_crc32c(0, $0.baseAddress!, 4 * (words.count - 1)) }
            }
            for w in words { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: w >> (8 * k))) } }
        }
        return out
    }
}
