import EventFormat

/// Which part of a dataset a quick look reads.
///
/// `--limit N` reads the first N events in file order: the clusters that hold them, the last one
/// only up to the N-th event. `--sample F` reads whole clusters, each kept with probability F by
/// a hash of (seed, file position in the dataset, cluster index): the same files in the same
/// order with the same seed give the same clusters, on any machine and thread count; a cluster
/// is read whole or not at all, so the cut flow counts exactly the events of the chosen
/// clusters (its total says how many). With both, the limit applies to the sampled clusters.
public struct Sampling: Sendable, Equatable {
    public var fraction: Double
    public var seed: UInt64
    public init(fraction: Double, seed: UInt64 = 1) {
        self.fraction = fraction
        self.seed = seed
    }

    /// Whether cluster `cluster` of the dataset's file `file` is in the sample.
    public func keeps(file: Int, cluster: Int) -> Bool {
        guard fraction < 1 else { return true }
        var z = seed &+ (UInt64(truncatingIfNeeded: file) << 32 | UInt64(truncatingIfNeeded: cluster)) &* 0x9E37_79B9_7F4A_7C15
        // splitmix64's finalizer: every input bit moves every output bit.
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53) < fraction
    }
}

extension ReadAhead {
    /// The units of `refs` holding the first `limit` events; the last one cut to what is left.
    static func clip(_ refs: [Ref], files: [EVCFile], to limit: Int) -> [Ref] {
        var out: [Ref] = []
        var left = limit
        for r in refs where left > 0 {
            let n = files[r.file].clusterSummaries[r.cluster].eventCount
            out.append(Ref(file: r.file, cluster: r.cluster, events: n > left ? left : nil))
            left -= min(n, left)
        }
        return out
    }
}
