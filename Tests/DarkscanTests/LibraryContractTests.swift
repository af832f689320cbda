import Darkscan
import Foundation
import Testing

/// What the C library's zero-copy stream relies on: batches handed to `forEachSelected` stay the
/// caller's after the scan, and an error thrown by the caller stops the scan.
@Suite struct LibraryContractTests {
    @Test func batchesKeptAfterTheScanKeepTheirValues() throws {
        let ds = try EVCDataset(paths: [CLI.sample, CLI.sample, CLI.sample])
        var options = QueryOptions()
        options.threads = 2
        var kept: [(EventBatch, [UInt64], [Float])] = []
        try ds.forEachSelected("ecal_e < 80 GeV", fields: ["event", "ecal_e"], options: options) { b in
            kept.append((b, b.values("event")!.values(UInt64.self), b.values("ecal_e")!.values(Float.self)))
        }
        #expect(kept.count > 1)
        for (b, events, energies) in kept {
            #expect(b.values("event")!.values(UInt64.self) == events)
            #expect(b.values("ecal_e")!.values(Float.self) == energies)
        }
    }

    @Test func anErrorFromTheCallerStopsTheScan() throws {
        // Eight good files (one cluster each: the first window of a 1-thread scan), then one
        // with a damaged ecal_e page: a scan that went on after the caller's error would reach
        // it and report the damage instead.
        struct Stop: Error {}
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.sample)))
        let page = try EVCFile(path: CLI.sample).clusters()[0].columns[6].pages[0]  // ecal_e
        bytes[page.offset + page.storedSize / 2] ^= 0x10
        let bad = CLI.scratch("bad-last.evc")
        #expect(FileManager.default.createFile(atPath: bad, contents: Data(bytes)))
        let ds = try EVCDataset(paths: Array(repeating: CLI.sample, count: 8) + [bad])
        var options = QueryOptions()
        options.threads = 1
        var calls = 0
        #expect(throws: Stop.self) {
            try ds.forEachSelected("ecal_e < 80 GeV", fields: ["event"], options: options) { _ in
                calls += 1
                throw Stop()
            }
        }
        #expect(calls == 1)
    }
}
