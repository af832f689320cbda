import Testing
@testable import Histograms

@Suite struct MergeTests {
    static func h(_ name: String = "h", bins: Int = 4, lower: Double = 0, axisName: String = "x", unit: String = "GeV", weighted: Bool = false,
                  meta: [String: Histogram.Value] = ["darkscan.query": .string("veto == 0")]) -> Histogram {
        var h = Histogram(name: name, axes: [Axis(.regular(bins: bins, lower: lower, upper: 10), name: axisName, unit: unit)], weighted: weighted, metadata: meta)
        h.fill(1, weight: 1)
        h.fill(11, weight: 1)
        return h
    }

    @Test func addingSumsEveryCell() throws {
        var a = Self.h(weighted: true)
        a.fill(3, weight: 0.5)
        let b = Self.h(weighted: true)
        try a.add(b)
        #expect(a.values == [0, 2, 0.5, 0, 0, 2])
        #expect(a.variances == [0, 2, 0.25, 0, 0, 2])
    }

    @Test func refusalsNameTheFirstDifference() {
        let a = Self.h()
        func problem(_ b: Histogram) -> String? {
            var x = a
            do { try x.add(b) } catch { return error.message }
            return nil
        }
        #expect(problem(Self.h(bins: 5))?.hasSuffix("axis 0: 4 bins vs 5") == true)
        #expect(problem(Self.h(lower: 1))?.hasSuffix("axis 0: lower edge 0.0 vs 1.0") == true)
        #expect(problem(Self.h(axisName: "y"))?.hasSuffix("axis 0: name 'x' vs 'y'") == true)
        #expect(problem(Self.h(unit: "MeV"))?.hasSuffix("axis 0: unit 'GeV' vs 'MeV'") == true)
        #expect(problem(Self.h(weighted: true))?.hasSuffix("storage counts vs weighted") == true)
        let twoD = Histogram(name: "h", axes: [Axis(.boolean), Axis(.boolean)], weighted: false)
        #expect(problem(twoD)?.hasSuffix("1 axes vs 2") == true)
        let integer = Histogram(name: "h", axes: [Axis(.integer(lower: 0, upper: 4), name: "x", unit: "GeV")], weighted: false)
        #expect(problem(integer)?.hasSuffix("axis 0: regular vs integer binning") == true)
    }

    @Test func filesMergeByNameAndSumEventsAndEOT() throws {
        let meta: [String: Histogram.Value] = ["darkscan.query": .string("q"), "darkscan.events": .int(10), "darkscan.eot": .int(1000),
                                               "darkscan.datasets": .string("a.evc"), "darkscan.runs": .string("10,2")]
        var meta2 = meta
        meta2["darkscan.datasets"] = .string("b.evc")
        meta2["darkscan.runs"] = .string("3")
        let a = [Self.h("one", meta: meta), Self.h("two", meta: meta)]
        let b = [Self.h("two", meta: meta2), Self.h("one", meta: meta2)]
        let sum = try HistogramFile.merge([a, b], names: ["A.json", "B.json"])
        #expect(sum.map(\.name) == ["one", "two"])
        #expect(sum[0].values == [0, 2, 0, 0, 0, 2])
        #expect(sum[0].metadata["darkscan.events"] == .int(20))
        #expect(sum[0].metadata["darkscan.eot"] == .int(2000))
        #expect(sum[0].metadata["darkscan.datasets"] == .string("a.evc\nb.evc"))
        #expect(sum[0].metadata["darkscan.runs"] == .string("2,3,10"))
        // EOT known for one part only is not known for the sum.
        var noEOT = meta2
        noEOT["darkscan.eot"] = nil
        let partial = try HistogramFile.merge([a, [Self.h("one", meta: noEOT), Self.h("two", meta: noEOT)]], names: ["A", "B"])
        #expect(partial[0].metadata["darkscan.eot"] == nil)
        // Sums beyond Int64 (hostile files) become doubles, never a trap.
        var huge = meta
        huge["darkscan.events"] = .double(-9e18)
        let far = try HistogramFile.merge([[Self.h("one", meta: huge)], [Self.h("one", meta: huge)]], names: ["A", "B"])
        #expect(far[0].metadata["darkscan.events"] == .double(-1.8e19))
    }

    @Test func fileMergeRefusals() {
        let a = [Self.h("one")]
        func refusal(_ b: [Histogram]) -> String {
            do { _ = try HistogramFile.merge([a, b], names: ["A.json", "B.json"]) } catch { return error.description }
            return ""
        }
        #expect(refusal([Self.h("two")]) == "B.json: has no histogram 'one' (A.json has)")
        #expect(refusal([Self.h("one"), Self.h("two")]) == "B.json: has histogram 'two', which A.json has not")
        #expect(refusal([Self.h("one", bins: 3)]) == "B.json: cannot add histogram 'one' to 'one': axis 0: 4 bins vs 3")
        #expect(refusal([Self.h("one", meta: ["darkscan.query": .string("veto == 1")])]).contains("darkscan.query is 'veto == 1' here but 'veto == 0' in A.json"))
    }
}
