import Testing
@testable import Histograms
@testable import Plot

@Suite struct TerminalPlotTests {
    static func h1() -> Histogram {
        var h = Histogram(name: "ecal_e", axes: [Axis(.regular(bins: 10, lower: 0, upper: 100), name: "ecal_e", unit: "GeV")], weighted: false)
        for i in 0..<500 { h.fill(Double(i % 120)) }
        return h
    }

    static func h2() -> Histogram {
        var h = Histogram(name: "eh", axes: [Axis(.regular(bins: 150, lower: 0, upper: 150), name: "ecal_e"), Axis(.regular(bins: 60, lower: 0, upper: 60), name: "hcal_e")],
                          weighted: false)
        for i in 0..<5000 { h.fill(Double(i % 150), Double(i % 61)) }
        return h
    }

    @Test func styleFollowsTheEnvironment() {
        #expect(TerminalStyle.detect(isTerminal: false, environment: [:], columns: 100).plain)
        #expect(TerminalStyle.detect(isTerminal: true, environment: ["NO_COLOR": "1"], columns: 100).plain)
        #expect(!TerminalStyle.detect(isTerminal: true, environment: ["NO_COLOR": ""], columns: 100).plain)
        #expect(TerminalStyle.detect(isTerminal: true, environment: ["TERM": "dumb"], columns: 100).plain)
        let t = TerminalStyle.detect(isTerminal: true, environment: ["COLORTERM": "truecolor", "TERM": "xterm"], columns: 100)
        #expect(!t.plain && t.color == .truecolor && t.width == 100)
        #expect(TerminalStyle.detect(isTerminal: true, environment: ["COLORTERM": "24bit"], columns: nil).color == .truecolor)
        #expect(TerminalStyle.detect(isTerminal: true, environment: ["TERM": "xterm-256color"], columns: nil).color == .palette256)
        #expect(TerminalStyle.detect(isTerminal: true, environment: ["COLUMNS": "132"], columns: nil).width == 132)
    }

    /// Visible width of a line: escape sequences take no room.
    static func width(_ line: Substring) -> Int {
        line.replacing(/\u{1B}\[[0-9;]*m/, with: "").count
    }

    @Test(arguments: [60, 80, 200])
    func barsAndHeatMapsFitTheWidth(columns: Int) {
        for color in [TerminalStyle.Color.truecolor, .palette256] {
            var s = TerminalStyle(plain: false, color: color, width: columns)
            let bars = TerminalPlot.render(Self.h1(), s)
            #expect(bars.contains("█"))
            #expect(bars.contains("≥ 100 or NaN"))  // the overflow row
            for line in bars.split(separator: "\n") { #expect(Self.width(line) <= columns, "\(line)") }
            let map = TerminalPlot.render(Self.h2(), s)
            #expect(map.contains("▀"))
            #expect(map.contains(color == .truecolor ? "\u{1B}[38;2;" : "\u{1B}[38;5;"))
            #expect(map.contains(color == .truecolor ? "\u{1B}[48;2;" : "\u{1B}[48;5;"))
            for line in map.split(separator: "\n") { #expect(Self.width(line) <= columns, "\(line)") }
            s.log = true
            #expect(TerminalPlot.render(Self.h1(), s).contains("logarithmic"))
        }
    }

    @Test func plainNumbersHaveNoEscapesOrBlocks() {
        let s = TerminalStyle(plain: true, color: .truecolor, width: 80)
        for h in [Self.h1(), Self.h2()] {
            let text = TerminalPlot.render(h, s)
            #expect(!text.contains("\u{1B}") && !text.contains("█") && !text.contains("▀"))
        }
        let lines = TerminalPlot.render(Self.h1(), s).split(separator: "\n")
        #expect(lines[2] == "lower\tupper\tvalue")
        #expect(lines[3] == "-inf\t0\t0" && lines.last == "100\tinf\t80")
    }

    @Test func edgesArePrintedAsWritten() {
        // 0.1 steps computed in binary: 3.4000000000000004, -0.3999999999999999, 0.30000000000000004.
        let a = Axis(.regular(bins: 120, lower: -2, upper: 10), name: "hcal_e", unit: "GeV")
        let texts = (1...a.bins).map { TerminalPlot.edges(a, $0).0 }
        #expect(texts.allSatisfy { $0.count <= 4 }, "\(texts.filter { $0.count > 4 })")
        #expect(texts.contains("3.4") && texts.contains("-0.4") && texts.contains("0.3") && texts.contains("-2") && texts.contains("0"))
        #expect(TerminalPlot.edge(1e-30) == "1e-30" && TerminalPlot.edge(123456.789) == "123456.789" && TerminalPlot.edge(-2.5e20) == "-2.5e+20")
    }
}
