import Foundation
import Testing
@testable import Histograms
@testable import Plot

/// Pictures read back by other programs: the SVG by rsvg-convert, the PDF by pdftoppm, the PNG
/// by Cairo's decoder; a 2D histogram with one hot bin has the top colour of the scale at that
/// bin's place; the same histograms give the same bytes.
@Suite struct PictureTests {
    static let dir: String = {
        let d = NSTemporaryDirectory() + "darkscan-plot-\(getpid())"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "darkscan-plot-\(getpid())") }
        return d
    }()

    static func run(_ tool: String, _ args: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        guard (try? p.run()) != nil else { return (127, "\(tool) not found") }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self))
    }

    static func oneD() -> Histogram {
        var h = Histogram(name: "ecal_e", axes: [Axis(.regular(bins: 30, lower: 0, upper: 150), name: "ecal_e", unit: "GeV")], weighted: true)
        for i in 0..<3000 { h.fill(Double(i % 160), weight: 0.5 + Double(i % 3)) }
        return h
    }

    static func hotBin(_ i: Int, _ j: Int) -> Histogram {
        var h = Histogram(name: "hot", axes: [Axis(.regular(bins: 10, lower: 0, upper: 10), name: "x"), Axis(.regular(bins: 8, lower: 0, upper: 4), name: "y")],
                          weighted: false)
        for _ in 0..<50 { h.fill(Double(i) + 0.5, (Double(j) + 0.5) / 2) }
        return h
    }

    @Test(arguments: ImageFormat.allCases)
    func picturesRenderInOtherPrograms(format: ImageFormat) throws {
        for (name, hs) in [("one", [Self.oneD()]), ("two", [Self.hotBin(3, 5)]), ("overlay", [Self.oneD(), Self.oneD()])] {
            let path = "\(Self.dir)/\(name).\(format.rawValue)"
            var o = PlotOptions()
            o.log = name == "overlay"
            try Figure.write(hs, to: path, format: format, options: o)
            #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
            switch format {
            case .png:
                let img = DecodedImage.png(path)
                #expect(img?.width == 800 && img?.height == 600)
            case .svg:
                let (status, out) = Self.run("rsvg-convert", [path, "-o", path + ".png"])
                #expect(status == 0, "\(out)")
                #expect(DecodedImage.png(path + ".png")?.width == 800)
            case .pdf:
                let (status, out) = Self.run("pdftoppm", ["-png", "-r", "36", "-singlefile", path, path + ".page"])
                #expect(status == 0, "\(out)")
                #expect(DecodedImage.png(path + ".page.png") != nil)
            }
            // Deterministic bytes (SVG ids count documents within a process: the CLI tests
            // compare SVGs of two runs).
            guard format != .svg else { continue }
            let again = "\(Self.dir)/\(name)-again.\(format.rawValue)"
            try Figure.write(hs, to: again, format: format, options: o)
            #expect(FileManager.default.contents(atPath: path) == FileManager.default.contents(atPath: again))
        }
    }

    @Test func theHotBinHasTheTopColourAtItsPlace() throws {
        let h = Self.hotBin(7, 2)
        let path = "\(Self.dir)/hot.png"
        try Figure.write([h], to: path, format: .png)
        let img = try #require(DecodedImage.png(path))
        let (x, y) = Figure.center(ofBin: 7, 2, of: h)
        #expect(img.color(Int(x), Int(y)) == Viridis.color(1).quantized)
        // The neighbouring bins are empty: white.
        let (nx, ny) = Figure.center(ofBin: 6, 2, of: h)
        #expect(img.color(Int(nx), Int(ny)) == RGB(1, 1, 1))
        let (ux, uy) = Figure.center(ofBin: 7, 3, of: h)
        #expect(img.color(Int(ux), Int(uy)) == RGB(1, 1, 1))
    }

    @Test func theNA64PictureNeedsItsHistograms() throws {
        #expect(throws: HistogramError.self) { try ECalHCal.write([Self.oneD()], to: "\(Self.dir)/x.png", format: .png) }
        let specs = ECalHCal.specs(beamEnergy: 100)
        #expect(specs.count == 6 && specs[0].hasPrefix("ecal_hcal = ecal_e vs hcal_e: 150 bins 0 GeV .. 150 GeV"))
        #expect(ECalHCal.conditions(100)[1] == "hcal_e >= 1 GeV and hcal_e < 20 GeV and ecal_e + hcal_e < 80 GeV")
    }

    @Test func aPictureThatCannotBeWrittenLeavesNothing() {
        #expect(throws: HistogramError.self) { try Figure.write([Self.oneD()], to: "/nonexistent-dir/x.png", format: .png) }
        #expect(throws: HistogramError.self) { try Figure.write([Self.oneD()], to: "/nonexistent-dir/x.pdf", format: .pdf) }
    }
}

extension RGB {
    /// As stored in an 8-bit image.
    var quantized: RGB {
        let (r, g, b) = bytes
        return RGB(Double(r) / 255, Double(g) / 255, Double(b) / 255)
    }
}
