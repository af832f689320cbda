// swift-tools-version: 6.0
// Darkscan: a columnar event store and query engine for fixed-target missing-energy experiments.
import PackageDescription

let package = Package(
    name: "Darkscan",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Darkscan", targets: ["Darkscan"]),
        .executable(name: "darkscan", targets: ["DarkscanCLI"]),
        // The C library (include/darkscan.h), built as libDarkscanC.so with the SONAME
        // libdarkscan.so.0 and the Swift runtime inside; tools/install-c installs it as
        // libdarkscan.so with its header and darkscan.pc.
        .library(name: "DarkscanC", type: .dynamic, targets: ["CDarkscan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found with pkg-config; never vendored.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"]), .brew(["xxhash"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"]), .brew(["cairo"])]),
        // The XRootD client (Debian's libxrootd-client-dev, C++) behind a small C interface:
        // open, stat, vector read, directory listing, for root:// URLs.
        // Its headers include each other as "XrdCl/…" from /usr/include/xrootd, which has no
        // pkg-config file: the link xrootd-headers -> /usr/include/xrootd is the search path, a
        // setting SwiftPM allows in dependencies (an -I flag would keep the Darkscan product from
        // being used as one).
        .target(name: "CXRootD", exclude: ["xrootd-headers"], cxxSettings: [.headerSearchPath("xrootd-headers")], linkerSettings: [.linkedLibrary("XrdCl")]),
        // Ranged HTTP(S) reads through libcurl (Debian's libcurl4-openssl-dev), for http(s):// URLs.
        .target(name: "CHTTP", linkerSettings: [.linkedLibrary("curl")]),
        // The few hot byte-shuffling loops (byte-stream split, bit unpacking), in C with SIMD.
        .target(name: "CKernels", dependencies: ["CXXHash"]),
        // JSON: one bounded parser (exact offsets in errors) and one deterministic writer, no Foundation.
        .target(name: "JSON"),
        // The EVC file format: schema, units, encodings, codecs, writer, reader, recovery.
        .target(name: "EventFormat", dependencies: ["CZstd", "CLZ4", "CKernels", "CXRootD", "CHTTP", "JSON"]),
        // Histograms: axes, storage, fill kernels (hot loops in C), UHI JSON files, merging.
        .target(name: "CHistograms"),
        .target(name: "Histograms", dependencies: ["CHistograms", "JSON"]),
        // The query language: lexer, parser, checker (names, types, units, shapes) and plan.
        .target(name: "Query", dependencies: ["EventFormat", "Histograms"]),
        // The scan engine: batches, selection vectors, kernels, cut flow, skim.
        .target(name: "Engine", dependencies: ["Query", "EventFormat", "CKernels", "Histograms"]),
        // Export to other formats: Arrow IPC (Feather v2).
        .target(name: "Export", dependencies: ["EventFormat", "CZstd", "CLZ4"]),
        // NA64 raw DAQ data: DATE/MSADC decoding, channel maps, calibration, reconstruction, converter.
        .target(name: "DAQ", dependencies: ["EventFormat", "CKernels"]),
        // Event generators that write NA64-like data: reconstructed-level EVC and raw DATE files.
        .target(name: "Simulation", dependencies: ["EventFormat", "DAQ"]),
        // Pictures of histograms (PNG, SVG, PDF through Cairo) and terminal plots.
        .target(name: "Plot", dependencies: ["Histograms", "CCairo"]),
        // The embeddable reader library: the public Swift API.
        .target(name: "Darkscan", dependencies: ["EventFormat", "Query", "Engine", "Export", "Histograms", "JSON"]),
        // The C interface: the stable header and the small C part (last error, Python capsule
        // destructors), and the Swift functions exported with @c. The unsafe linker flags (a
        // static Swift runtime, a SONAME) are on this target only, which only the DarkscanC
        // product contains: packages depending on the Darkscan product never see them.
        .target(name: "CDarkscanABI", exclude: ["darkscan.map", "darkscan.pc.in"]),
        .target(
            name: "CDarkscan",
            dependencies: ["Darkscan", "CDarkscanABI"],
            linkerSettings: [.unsafeFlags([
                "-static-stdlib", "-Xlinker", "--no-undefined", "-Xlinker", "-soname=libdarkscan.so.0",
                "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/CDarkscanABI/darkscan.map",
                "-lswiftSynchronization",
            ])]
        ),
        .executableTarget(
            name: "DarkscanCLI",
            dependencies: [
                "Darkscan", "Simulation", "DAQ", "Plot",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Format benchmark (Bench/README.md): encode/decode throughput and ratios per codec.
        .target(name: "BenchSupport", path: "Bench/BenchSupport"),
        .executableTarget(name: "evc-bench", dependencies: ["EventFormat", "DAQ", "Simulation", "BenchSupport"], path: "Bench/EVCBench"),
        // Scan benchmark: count and skim events/s against the machine's decode-and-cut bound.
        .executableTarget(name: "scan-bench", dependencies: ["Darkscan", "DAQ", "Simulation", "CKernels", "BenchSupport"], path: "Bench/ScanBench"),
        // Histogram benchmark: fill cost during the count, hist throughput (Bench/hist adds the peers).
        .executableTarget(name: "hist-bench", dependencies: ["Darkscan", "BenchSupport"], path: "Bench/HistBench"),
        // Friend files for Bench/friends: a run's keys in its own order or shuffled.
        .executableTarget(name: "friend-bench", dependencies: ["Darkscan"], path: "Bench/FriendBench"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "EventFormatTests", dependencies: ["EventFormat", "CKernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "QueryTests", dependencies: ["Query", "Engine", "EventFormat", "Histograms"], resources: [.copy("Cases")]),
        .testTarget(name: "HistogramsTests", dependencies: ["Histograms", "CHistograms"], exclude: ["Fixtures"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "Histograms"]),
        .testTarget(name: "DarkscanTests", dependencies: ["Darkscan", "Simulation", "DAQ", "DarkscanCLI", "Plot"]),
        .testTarget(name: "DAQTests", dependencies: ["DAQ", "Simulation", "EventFormat", "CKernels"]),
    ]
)
