import DAQ
import Foundation
import Testing

/// Channel map and calibration files: the shipped defaults, run ranges, and errors that name the
/// file and line.
@Suite struct ConfigTests {
    static let formats = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Formats/maps").standardized.path

    @Test func shippedDefaultsAreTheSimulatedDetector() throws {
        #expect(try String(contentsOfFile: Self.formats + "/na64-sim.map", encoding: .utf8) == ChannelMap.defaultText())
        #expect(try String(contentsOfFile: Self.formats + "/na64-sim.calib", encoding: .utf8) == CalibrationFile.defaultText())
        let table = try ChannelMap.defaultMap().table(run: 1)
        #expect((0..<Cells.count).filter { table.addresses[$0] != nil }.count == 120)  // 4th SRD module not installed
        #expect(table.cell(sourceID: 600, port: 1, chip: 0, channel: 0) == 64)
        #expect(table.cell(sourceID: 602, port: 0, chip: 0, channel: 11) == Cells.beam + 2)
        #expect(table.cell(sourceID: 602, port: 0, chip: 0, channel: 12) == -1)
        let c = try CalibrationFile.defaultFile().calibration(run: 1, map: table)
        #expect(c.gains[36 + 14] == 30 && c.gains[14] == 200 && c.gains[Cells.hcal] == 40)
        #expect(c.window(.ecal) == -20...20)
    }

    @Test func windowsLineEndsReadAsLines() throws {
        // Swift reads "\r\n" as one Character: a map saved on Windows is the same map, and its
        // errors name the right line.
        let text = ChannelMap.defaultText()
        let crlf = try ChannelMap(text: text.replacingOccurrences(of: "\n", with: "\r\n"), path: "w.map")
        #expect(try crlf.table(run: 1).addresses == ChannelMap.defaultMap().table(run: 1).addresses)
        let calib = try CalibrationFile(text: CalibrationFile.defaultText().replacingOccurrences(of: "\n", with: "\r\n"), path: "w.calib")
        #expect(try calib.calibration(run: 1, map: crlf.table(run: 1)).gains == CalibrationFile.defaultFile().calibration(run: 1, map: crlf.table(run: 1)).gains)
        #expect(mapError("# a\r\nECAL0 600 0 0 0 0\r\nbogus line\r\n").map { "\($0)" }?.contains("test.map:3") == true)
    }

    func mapError(_ text: String) -> DAQError? {
        do {
            _ = try ChannelMap(text: text, path: "test.map")
            return nil
        } catch { return error }
    }

    @Test func mapErrorsNameTheLine() {
        let cases: [(String, Int, String)] = [
            ("runs 0 -\nECAL0 600 0 0 0 0\nECAL7 600 0 1 0 0\n", 3, "unknown detector 'ECAL7'"),
            ("ECAL0 600 0 0 6 0\n", 1, "outside"),
            ("ECAL0 600 0 0 0 0\nECAL0 600 0 0 0 1\n", 2, "mapped twice"),
            ("ECAL0 600 0 0 0 0\nECAL0 600 0 1 0 0\n", 2, "mapped twice"),
            ("# c\n\nECAL0 600 zero 0 0 0\n", 3, "integers"),
            ("ECAL0 1024 0 0 0 0\n", 1, "out of range"),
            ("runs 9 5\nECAL0 600 0 0 0 0\n", 1, "FIRST <= LAST"),
        ]
        for (text, line, message) in cases {
            let e = mapError(text)
            #expect(e?.line == line, "\(text)")
            #expect(e?.message.contains(message) == true, "\(String(describing: e))")
            #expect(e?.description.hasPrefix("test.map:\(line): ") == true)
        }
        #expect(mapError("# nothing\n")?.message.contains("no channels") == true)
    }

    @Test func runRangesPickTheirOwnMapAndCalibration() throws {
        let map = try ChannelMap(text: "runs 1 99\nECAL1 600 0 0 2 2\nruns 100 -\nECAL1 600 0 0 3 3\nS0 602 0 0 0 0\n", path: "m")
        #expect(try map.table(run: 50).cell(sourceID: 600, port: 0, chip: 0, channel: 0) == 36 + 14)
        #expect(try map.table(run: 100).cell(sourceID: 600, port: 0, chip: 0, channel: 0) == 36 + 21)
        #expect(throws: DAQError.self) { try map.table(run: 0) }
        let calib = try CalibrationFile(text: "runs 1 99\ngain ECAL1 2 2 31\nruns 100 -\ngain ECAL1 3 3 29\nthreshold ECAL 5\n", path: "c")
        #expect(try calib.calibration(run: 7, map: map.table(run: 7)).gains[36 + 14] == 31)
        let late = try calib.calibration(run: 200, map: map.table(run: 200))
        #expect(late.gains[36 + 21] == 29 && late.threshold(.ecal) == 5)
        // A mapped cell without a gain is an error, naming it.
        #expect { try calib.calibration(run: 200, map: map.table(run: 50)) } throws: {
            ($0 as? DAQError)?.message.contains("no gain for mapped cell ECAL1 2 2") == true
        }
    }

    @Test func calibrationErrorsNameTheLine() {
        let cases: [(String, Int, String)] = [
            ("gain ECAL1 2 2 -3\n", 1, "positive"),
            ("sample_ns 12.5\nfrobnicate 3\n", 2, "unknown keyword"),
            ("window ECAL 20 -20\n", 1, "must not exceed"),
            ("pedestal_samples 1\n", 1, "2 to 32"),
            ("threshold CALO 3\n", 1, "unknown detector group"),
            ("gain ECAL9 0 0 30\n", 1, "unknown detector"),
            ("trigger_ns soon\n", 1, "needs a number"),
            ("threshold ECAL 5 6\n", 1, "takes 2 values"),
        ]
        for (text, line, message) in cases {
            do {
                _ = try CalibrationFile(text: text, path: "test.calib")
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.line == line)
                #expect(error.message.contains(message), "\(error)")
            }
        }
    }
}
