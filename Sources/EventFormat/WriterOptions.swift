/// How an `EVCWriter` lays out and compresses its data. The defaults are measured choices;
/// see Formats/EVC.md, "Sizes".
public struct WriterOptions: Sendable {
    /// Codec applied to every page after its encoding (a page that does not shrink is stored
    /// with codec none). lz4 by default: on NA64 data an lz4 EVC file is smaller than zstd
    /// Parquet and scans 2.4-2.6x faster than a zstd EVC file, which is 7% smaller
    /// (Bench/README.md); choose zstd for archives.
    public var codec: Codec = .lz4
    /// A compressed page is kept only when the codec saves at least this fraction of its encoded
    /// bytes; otherwise it is stored with codec none (byte-split floats as plain values, since
    /// the split only served the codec, unless `encoding` forces the split). nil: 1/8 for lz4, a codec chosen for speed — a float
    /// page lz4 shrinks by 6-12% decodes 3x slower than a raw one (Bench/README.md) — and any
    /// saving for zstd, chosen for size.
    public var minimumSaving: Double? = nil
    /// Forces one encoding wherever it applies to a column's type; nil picks per page by trial.
    public var encoding: Encoding? = nil
    /// Largest decoded page, in bytes (pages hold at most this many bytes of values; at most
    /// 256 MiB).
    public var pageBytes: Int = 512 * 1024
    /// A cluster is closed once its columns hold this many decoded bytes (at most 512 MiB, the
    /// format's limit, which no cluster passes).
    public var clusterBytes: Int = 64 * 1024 * 1024
    /// Largest number of events in a cluster, whatever their size.
    public var clusterEvents: Int = 1 << 24
    /// A checkpoint footer is written after every this many clusters (0: never).
    public var checkpointEvery: Int = 8
    /// Threads that encode and compress the columns of a closing cluster.
    public var threads: Int = ProcessInfoCores.count
    /// Sync the file and its directory when closing (Formats/EVC.md, section 9). Without, the
    /// file is still complete when it appears under its name, but a power failure may lose it.
    public var sync = true

    public init() {}

    /// The fraction of a page's encoded bytes the codec must save for the page to stay compressed.
    var requiredSaving: Double { minimumSaving ?? (codec == .lz4 ? 0.125 : 0) }
}

enum ProcessInfoCores {
    static var count: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
