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
        #expect(l.canonical == "4242 1-121 125 130-201\n4243 *\n4244 1-5\n4245 1-5\n4246 1-5")
        #expect(try SpillList(text: l.canonical, name: "again") .runs == l.runs)
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
        #expect(error("1-4000000000 1").contains("million"))
    }
}
