// libFuzzer entry point for the histogram file reader (UHI JSON, Formats/HIST.md): every input
// is decoded; whatever is accepted must encode and decode back to the same histograms and add to
// itself. Built with the Histograms sources by tools/fuzz; any crash, trap, hang, sanitizer
// report or failed check is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let hs = try? UHI.decode(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    for h in hs { precondition(h.values.count == h.cellCount && h.cellCount <= Axis.maxCells, "storage does not match the axes") }
    let again = try? UHI.decode(Array(UHI.encode(hs).utf8))
    precondition(again == hs, "a file read back differently after writing it")
    if let sum = try? HistogramFile.merge([hs, hs], names: ["a", "b"]) {
        precondition(sum.count == hs.count, "the sum lost histograms")
    }
    return 0
}
