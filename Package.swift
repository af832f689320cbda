// swift-tools-version: 6.0
// Darkscan: a columnar event store and query engine for fixed-target missing-energy experiments.
import PackageDescription

let package = Package(
    name: "Darkscan",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Darkscan", targets: ["Darkscan"]),
        .executable(name: "darkscan", targets: ["DarkscanCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found with pkg-config; never vendored.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"]), .brew(["xxhash"])]),
        // The few hot byte-shuffling loops (byte-stream split, bit unpacking), in C with SIMD.
        .target(name: "CKernels", dependencies: ["CXXHash"]),
        // The EVC file format: schema, units, encodings, codecs, writer, reader, recovery.
        .target(name: "EventFormat", dependencies: ["CZstd", "CLZ4", "CKernels"]),
        // The query language: lexer, parser, checker (names, types, units, shapes) and plan.
        .target(name: "Query", dependencies: ["EventFormat"]),
        // The scan engine: batches, selection vectors, kernels, cut flow, skim.
        .target(name: "Engine", dependencies: ["Query", "EventFormat", "CKernels"]),
        // Export to other formats: Arrow IPC (Feather v2).
        .target(name: "Export", dependencies: ["EventFormat", "CZstd", "CLZ4"]),
        // NA64 raw DAQ data: DATE/MSADC decoding, channel maps, calibration, reconstruction, converter.
        .target(name: "DAQ", dependencies: ["EventFormat", "CKernels"]),
        // Event generators that write NA64-like data: reconstructed-level EVC and raw DATE files.
        .target(name: "Simulation", dependencies: ["EventFormat", "DAQ"]),
        // The embeddable reader library: the public Swift API.
        .target(name: "Darkscan", dependencies: ["EventFormat", "Query", "Engine", "Export"]),
        .executableTarget(
            name: "DarkscanCLI",
            dependencies: [
                "Darkscan", "Simulation", "DAQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Format benchmark (Bench/README.md): encode/decode throughput and ratios per codec.
        .target(name: "BenchSupport", path: "Bench/BenchSupport"),
        .executableTarget(name: "evc-bench", dependencies: ["EventFormat", "DAQ", "Simulation", "BenchSupport"], path: "Bench/EVCBench"),
        // Scan benchmark: count and skim events/s against the machine's decode-and-cut bound.
        .executableTarget(name: "scan-bench", dependencies: ["Darkscan", "DAQ", "Simulation", "CKernels", "BenchSupport"], path: "Bench/ScanBench"),
        // Friend files for Bench/friends: a run's keys in its own order or shuffled.
        .executableTarget(name: "friend-bench", dependencies: ["Darkscan"], path: "Bench/FriendBench"),
        .testTarget(name: "EventFormatTests", dependencies: ["EventFormat", "CKernels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "QueryTests", dependencies: ["Query", "Engine", "EventFormat"], resources: [.copy("Cases")]),
        .testTarget(name: "DarkscanTests", dependencies: ["Darkscan", "Simulation", "DAQ", "DarkscanCLI"]),
        .testTarget(name: "DAQTests", dependencies: ["DAQ", "Simulation", "EventFormat", "CKernels"]),
    ]
)
