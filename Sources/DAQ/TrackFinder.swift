/// The spectrometer track from Micromegas X-plane clusters (Formats/RAW.md section 12): a line
/// through MM1X-MM2X upstream of the magnet, a straight-line fit through MM3X-MM6X downstream,
/// and the momentum from the deflection between them.
struct TrackFinder {
    struct Track {
        var momentum: Double
        var chi2: Double
        var count: Int
    }

    /// Per X plane: the strongest cluster's position (mm) and charge; cluster counts.
    private var position = [Double](repeating: 0, count: Geometry.mmZ.count)
    private var charge = [Double](repeating: 0, count: Geometry.mmZ.count)
    private var clusters = [Int](repeating: 0, count: Geometry.mmZ.count)
    private var strips: [(strip: Int, amp: Double)] = []

    mutating func find(_ ev: DecodedEvent, nominal: Double) -> Track {
        let stations = Geometry.mmZ.count
        for s in 0..<stations {
            (position[s], charge[s], clusters[s]) = (0, 0, 0)
            strips.removeAll(keepingCapacity: true)
            for i in ev.stripPlane.indices where Int(ev.stripPlane[i]) == 2 * s {
                let (a0, a1, a2) = ev.stripFrames[i]
                strips.append((Int(ev.stripNumber[i]), Double(max(a0, a1, a2))))
            }
            strips.sort { $0.strip < $1.strip }
            // Clusters: runs of adjacent strips.
            var k = 0
            while k < strips.count {
                var q = 0.0, xq = 0.0, end = k
                while end < strips.count && (end == k || strips[end].strip == strips[end - 1].strip + 1) {
                    q += strips[end].amp
                    xq += strips[end].amp * Double(strips[end].strip)
                    end += 1
                }
                if q >= Geometry.minClusterCharge { clusters[s] += 1 }
                if q >= Geometry.minClusterCharge && q > charge[s] {
                    charge[s] = q
                    let z = Geometry.mmZ[s]
                    position[s] = (xq / q - Geometry.centreStrip) * Geometry.stripPitch + Geometry.centreOffset(z: z, nominal: nominal)
                }
                k = end
            }
        }
        let count = max(clusters[0], clusters[1])
        guard clusters.allSatisfy({ $0 > 0 }) else { return Track(momentum: .nan, chi2: .nan, count: 0) }
        let up = Geometry.upstreamStations
        let slopeIn = (position[1] - position[0]) / (Geometry.mmZ[1] - Geometry.mmZ[0]) / 1000
        // Least-squares line x = a + b z through the downstream stations.
        var sz = 0.0, sx = 0.0, szz = 0.0, szx = 0.0
        let n = Double(stations - up)
        for s in up..<stations {
            let z = Geometry.mmZ[s]
            sz += z
            sx += position[s]
            szz += z * z
            szx += z * position[s]
        }
        let b = (n * szx - sz * sx) / (n * szz - sz * sz)
        let a = (sx - b * sz) / n
        var chi2 = 0.0
        for s in up..<stations {
            let r = (position[s] - a - b * Geometry.mmZ[s]) / Geometry.stripResolution
            chi2 += r * r
        }
        let deflection = b / 1000 - slopeIn
        let p = deflection > 0 ? 0.299_792_458 * Geometry.bendingPower / deflection : .nan
        return Track(momentum: p, chi2: chi2 / (n - 2), count: count)
    }
}
