/// The spectrometer tracks from Micromegas X-plane clusters (Formats/RAW.md section 12). Upstream:
/// a line through MM1X-MM2X before the magnet, a straight-line fit through MM3X-MM6X behind it,
/// the momentum from the deflection between them. Downstream (behind the HCAL): the lines
/// through MM7X-MM8X and MM9X-MM10X on either side of the second magnet give the outgoing
/// momentum.
struct TrackFinder {
    struct Track {
        var momentum: Double
        var chi2: Double
        var count: Int
        /// Momentum measured by the downstream spectrometer, NaN without a track there.
        var momentumOut: Double
    }

    /// Per X plane (station): the strongest cluster's position (mm) and charge; cluster counts.
    private var position = [Double](repeating: 0, count: Geometry.stationZ.count)
    private var charge = [Double](repeating: 0, count: Geometry.stationZ.count)
    private var clusters = [Int](repeating: 0, count: Geometry.stationZ.count)
    /// The X-plane strip hits of each station, gathered in one pass over the event's hits.
    private var strips: [[(strip: Int, amp: Double)]] = Array(repeating: [], count: Geometry.stationZ.count)
    private let z = Geometry.stationZ

    mutating func find(_ ev: DecodedEvent, nominal: Double) -> Track {
        for s in z.indices { strips[s].removeAll(keepingCapacity: true) }
        for i in ev.stripPlane.indices where ev.stripPlane[i] & 1 == 0 {
            let (a0, a1, a2) = ev.stripFrames[i]
            strips[Int(ev.stripPlane[i]) / 2].append((Int(ev.stripNumber[i]), Double(max(a0, a1, a2))))
        }
        for s in z.indices { cluster(station: s, nominal: nominal) }
        let stations = Geometry.mmZ.count, up = Geometry.upstreamStations
        let count = max(clusters[0], clusters[1])
        var track = Track(momentum: .nan, chi2: .nan, count: 0, momentumOut: .nan)
        let d = stations..<z.count
        if d.allSatisfy({ clusters[$0] > 0 }) {
            let slopeIn = (position[d.lowerBound + 1] - position[d.lowerBound]) / (z[d.lowerBound + 1] - z[d.lowerBound]) / 1000
            let slopeOut = (position[d.lowerBound + 3] - position[d.lowerBound + 2]) / (z[d.lowerBound + 3] - z[d.lowerBound + 2]) / 1000
            let deflection = slopeOut - slopeIn
            if deflection > 0 { track.momentumOut = 0.299_792_458 * Geometry.downstreamBendingPower / deflection }
        }
        guard (0..<stations).allSatisfy({ clusters[$0] > 0 }) else { return track }
        track.count = count
        let slopeIn = (position[1] - position[0]) / (z[1] - z[0]) / 1000
        // Least-squares line x = a + b z through the downstream stations.
        var sz = 0.0, sx = 0.0, szz = 0.0, szx = 0.0
        let n = Double(stations - up)
        for s in up..<stations {
            sz += z[s]
            sx += position[s]
            szz += z[s] * z[s]
            szx += z[s] * position[s]
        }
        let b = (n * szx - sz * sx) / (n * szz - sz * sz)
        let a = (sx - b * sz) / n
        var chi2 = 0.0
        for s in up..<stations {
            let r = (position[s] - a - b * z[s]) / Geometry.stripResolution
            chi2 += r * r
        }
        let deflection = b / 1000 - slopeIn
        track.momentum = deflection > 0 ? 0.299_792_458 * Geometry.bendingPower / deflection : .nan
        track.chi2 = chi2 / (n - 2)
        return track
    }

    /// Clusters of adjacent strips on the X plane of station `s`: their count, and the
    /// strongest one's position and charge.
    private mutating func cluster(station s: Int, nominal: Double) {
        (position[s], charge[s], clusters[s]) = (0, 0, 0)
        strips[s].sort { $0.strip < $1.strip }
        let strips = self.strips[s]
        var k = 0
        while k < strips.count {
            var q = 0.0, xq = 0.0, end = k
            while end < strips.count && (end == k || strips[end].strip == strips[end - 1].strip + 1) {
                q += strips[end].amp
                xq += strips[end].amp * Double(strips[end].strip)
                end += 1
            }
            if q >= Geometry.minClusterCharge {
                clusters[s] += 1
                if q > charge[s] {
                    charge[s] = q
                    position[s] = (xq / q - Geometry.centreStrip) * Geometry.pitch(station: s) + Geometry.centreOffset(z: z[s], nominal: nominal)
                }
            }
            k = end
        }
    }
}
