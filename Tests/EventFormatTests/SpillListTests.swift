import Testing
@testable import EventFormat

/// Good-spill lists (Formats/SPILLS.md): what they select, and bad lines named by file:line.
@Suite struct SpillListTests {
    @Test func parsesRangesRunsAndStars() throws {
        let text = """
            # good spills of the 2018 run
            4242  1-120 125, 130-200   # comment after the spills
            4243  *

            4244-4246 1-5
            4242 121 201
            """
        let l = try SpillList(text: text, name: "good.txt")
        #expect(l.contains(run: 4242, spill: 1) && l.contains(run: 4242, spill: 125) && l.contains(run: 4242, spill: 200))
        #expect(!l.contains(run: 4242, spill: 122) && !l.contains(run: 4242, spill: 0) && !l.contains(run: 4242, spill: 202))
        #expect(l.contains(run: 4243, spill: 0) && l.contains(run: 4243, spill: .max))
        #expect(l.contains(run: 4245, spill: 5) && !l.contains(run: 4245, spill: 6) && !l.contains(run: 4247, spill: 1))
        // Adjacent and overlapping ranges merge; the canonical form reads back to the same list.
        #expect(l.canonical == "4242 1-121 125 130-201\n4243 *\n4244-4246 1-5")
        #expect(try SpillList(text: l.canonical, name: l.name) == l)
        // Overlapping run ranges: each run gets the union of its lines.
        let o = try SpillList(text: "10-20 1\n15-30 2\n25 3", name: "o")
        #expect(o.canonical == "10-14 1\n15-20 1-2\n21-24 2\n25 2-3\n26-30 2")
        #expect(o.contains(run: 15, spill: 1) && o.contains(run: 25, spill: 3) && !o.contains(run: 26, spill: 3) && !o.contains(run: 31, spill: 2))
        #expect(try SpillList(text: "0-4294967295 *", name: "all").contains(run: .max, spill: 7))
    }

    @Test func windowsAndOldMacLineEndsReadAsLines() throws {
        // Swift reads "\r\n" as one Character: a list saved on Windows must still be lines.
        let crlf = try SpillList(text: "# good\r\n100 1-5\r\n101 *\r\n", name: "w.txt")
        #expect(crlf.canonical == "100 1-5\n101 *")
        #expect(try SpillList(text: "100 1-5\r101 *", name: "m.txt").canonical == "100 1-5\n101 *")
        do { _ = try SpillList(text: "100 1\r\n100 x\r\n", name: "w.txt"); Issue.record("accepted") } catch {
            #expect("\(error)".hasPrefix("w.txt:2: expected a spill number"))
        }
    }

    @Test func badLinesNameFileAndLine() {
        func error(_ text: String) -> String {
            do { _ = try SpillList(text: text, name: "good.txt"); return "" } catch { return "\(error)" }
        }
        #expect(error("4242 1-10\n4243 20-10") == "good.txt:2: spill range 20-10 runs backwards")
        #expect(error("# header\n\n4242 abc").hasPrefix("good.txt:3: expected a spill number"))
        #expect(error("4242").hasPrefix("good.txt:1: run 4242 lists no spills"))
        #expect(error("x12 1").hasPrefix("good.txt:1: expected a run number"))
        #expect(error("4242 -5").hasPrefix("good.txt:1: expected a spill number"))
        #expect(error("4242 99999999999").hasPrefix("good.txt:1: expected a spill number"))
        #expect(error("10-5 1").hasPrefix("good.txt:1: run range 10-5 runs backwards"))
        #expect(error("# nothing\n") == "good.txt: the list names no spill (only comments or blank lines)")
    }
}
