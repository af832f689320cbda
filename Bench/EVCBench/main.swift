// EVC format benchmark: per column of NA64-like data, for each codec, encoding and page size,
// the encode and decode throughput per core (GB/s of decoded values), the compression ratio
// and the cost of checksum verification. One warm-up and >= 5 timed runs; medians and min-max.
//
//   swift run -c release evc-bench [--events N] [--runs R] [--out DIR]
import EventFormat
import Foundation
import DAQ
import Simulation
import BenchSupport

let config = BenchConfig(name: "evc-bench", defaultEvents: 2_000_000)
let columns = ["ecal_e", "ecal_cells", "missing_energy", "veto_e", "event", "mm_hits.strip"]
FileHandle.standardError.write(Data("generating \(config.events) NA64-like events...\n".utf8))
let sim = RecoSimulator(run: 4242, seed: 1, signalRate: 1e-4)
let schema = NA64Schema.make()
var data: [String: ColumnBuffer] = [:]
do {
    let blocks = (config.events + RecoSimulator.blockSize - 1) / RecoSimulator.blockSize
    for c in columns { data[c] = ColumnBuffer(type: schema.columns.first { $0.path == c }!.type) }
    for b in 0..<blocks {
        let batch = sim.block(b, count: min(RecoSimulator.blockSize, config.events - b * RecoSimulator.blockSize))
        for c in columns {
            let src = batch.column(c)!
            data[c]!.append(src, range: 0..<src.count)
        }
    }
}

struct Row: Codable {
    var column: String
    var codec: String
    var encoding: String
    var pageKiB: Int
    var ratio: Double
    var encodeGBs: Double
    var decodeGBs: Double
    var decodeGBsMin: Double
    var decodeGBsMax: Double
    var decodeNoVerifyGBs: Double
    var checksumCostPercent: Double
}

/// Writes one column into a one-column EVC file, then measures reading it back.
@MainActor func measure(_ column: String, codec: Codec, encoding: Encoding?, pageBytes: Int) throws -> Row {
    let src = data[column]!
    let schemaCol = schema.columns.first { $0.path == column }!
    let field = Field(id: 1, name: "v", kind: .scalar(schemaCol.type), unit: schema.fields[schemaCol.fieldIndex].unit)
    let one = try Schema([field])
    var options = WriterOptions()
    options.codec = codec
    // Measure the codec asked for, even on pages it barely shrinks.
    options.minimumSaving = 0
    options.encoding = encoding
    options.pageBytes = pageBytes
    options.threads = 1
    options.clusterBytes = 1 << 40
    options.clusterEvents = 1 << 40
    // tmpfs: the write figure is encoding, compression and copying, not the disk's fsync.
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
    let path = dir + "evc-bench-\(getpid()).evc"
    defer { unlink(path) }
    var batch = EventBatch(schema: one)
    batch.columns[0]!.append(src, range: 0..<src.count)
    try batch.commitEvents(src.count)
    let bytes = Double(src.count * schemaCol.type.width)
    // Encode: the whole write path (statistics, encoding trial, encoding, codec, checksum, I/O).
    let enc = try timed(config.runs) {
        let w = try EVCWriter(path: path, schema: one, options: options)
        try w.write(batch)
        try w.close()
    }
    let file = try EVCFile(path: path)
    let cluster = try file.clusters()[0]
    let stored = cluster.columns[0].storedSize
    let page = ColumnBuffer(type: schemaCol.type)
    let scratch = ColumnBuffer(type: .uint8)
    func decodeAll(verify: Bool) throws {
        for (pi, p) in cluster.columns[0].pages.enumerated() {
            page.resize(p.count)
            try file.decodePage(cluster: cluster, column: 0, page: pi, into: page.mutableRawBytes, scratch: scratch, verify: verify)
        }
    }
    let dec = try timed(config.runs) { try decodeAll(verify: true) }
    let decNo = try timed(config.runs) { try decodeAll(verify: false) }
    let encodings = Set(cluster.columns[0].pages.map(\.encoding.description)).sorted().joined(separator: ",")
    return Row(column: column, codec: codec.description, encoding: encoding == nil ? "auto:" + encodings : encodings,
               pageKiB: pageBytes / 1024, ratio: Double(stored) / bytes, encodeGBs: bytes / enc.median / 1e9,
               decodeGBs: bytes / dec.median / 1e9, decodeGBsMin: bytes / dec.max / 1e9, decodeGBsMax: bytes / dec.min / 1e9,
               decodeNoVerifyGBs: bytes / decNo.median / 1e9, checksumCostPercent: (dec.median - decNo.median) / dec.median * 100)
}

var rows: [Row] = []
@MainActor func report(_ r: Row) {
    rows.append(r)
    print(String(format: "%-15@ %-8@ %-16@ %5d %7.3f %8.2f %8.2f (%5.2f–%5.2f) %8.2f %6.1f%%",
                 r.column, r.codec, r.encoding, r.pageKiB, r.ratio, r.encodeGBs, r.decodeGBs, r.decodeGBsMin, r.decodeGBsMax,
                 r.decodeNoVerifyGBs, r.checksumCostPercent))
}

print("column          codec    encoding          page   ratio  enc GB/s dec GB/s (min–max)     noverify  cksum")
let codecs: [Codec] = [.none, .lz4, .zstd(level: 1), .zstd(level: 3)]
for column in columns {
    for codec in codecs {
        try report(measure(column, codec: codec, encoding: nil, pageBytes: 512 * 1024))
    }
    if data[column]!.type.isFloat {
        for codec in [Codec.lz4, .zstd(level: 3)] {
            try report(measure(column, codec: codec, encoding: .plain, pageBytes: 512 * 1024))
            try report(measure(column, codec: codec, encoding: .byteSplit, pageBytes: 512 * 1024))
        }
    }
}
print("\npage size sweep (decode GB/s per core; L2 is 1 MiB per core on this machine)")
for column in ["ecal_e", "ecal_cells"] {
    for codec in [Codec.lz4, .zstd(level: 3)] {
        for kib in [64, 256, 512, 1024, 4096] {
            try report(measure(column, codec: codec, encoding: .byteSplit, pageBytes: kib * 1024))
        }
    }
}
print("\nwrote \(try config.write(rows, suffix: "evc"))")
