import Simulation
import Testing

/// The simulator's Gaussian draws: moments and tail probabilities of a standard normal.
@Suite struct RandomTests {
    @Test func zigguratIsStandardNormal() {
        var rng = SimRandom(seed: 42)
        let n = 2_000_000
        var sum = 0.0, sum2 = 0.0, sum4 = 0.0
        var beyond = [0, 0, 0, 0]  // |z| > 1, 2, 3, 4
        for _ in 0..<n {
            let z = rng.gauss()
            sum += z
            sum2 += z * z
            sum4 += z * z * z * z
            for k in 0..<4 where abs(z) > Double(k + 1) { beyond[k] += 1 }
        }
        let mean = sum / Double(n), variance = sum2 / Double(n) - mean * mean
        #expect(abs(mean) < 0.003)
        #expect(abs(variance - 1) < 0.004)
        #expect(abs(sum4 / Double(n) - 3) < 0.03)
        // Two-sided normal tails: 0.3173, 0.0455, 0.0027, 6.3e-5; within 5 sigma of counting.
        for (k, p) in [0.317_311, 0.045_500, 0.002_700, 0.000_063_3].enumerated() {
            let expected = p * Double(n)
            #expect(abs(Double(beyond[k]) - expected) < 5 * expected.squareRoot() + 1, "P(|z| > \(k + 1)): \(beyond[k]) vs \(expected)")
        }
    }

    @Test func fastGaussHasUnitVariance() {
        var rng = SimRandom(seed: 1)
        let n = 1_000_000
        var sum = 0.0, sum2 = 0.0
        for _ in 0..<n {
            let z = rng.fastGauss()
            sum += z
            sum2 += z * z
        }
        #expect(abs(sum / Double(n)) < 0.005)
        #expect(abs(sum2 / Double(n) - 1) < 0.005)
    }
}
