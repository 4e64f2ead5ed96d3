// swift-tools-version: 6.1
// Kairos benchmarks: a separate package so that the library itself keeps no dependencies.
// Run with `swift package benchmark` from this directory (see README.md).
import PackageDescription

/// One executable target per area, in `Benchmarks/<Name>/`. To add an area, create the folder
/// and add its name here.
let areas = [
    "CronBenchmarks",
    "DependencyBenchmarks",
    "PipelineBenchmarks",
    "PersistenceBenchmarks",
    "SchedulerMicroBenchmarks",
]

let package = Package(
    name: "KairosBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Kairos", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Kairos on the peer scheduler workloads (../shared/peer-benchmarks/scheduler): a plain
        // executable with the peers' command line, run by run-scheduler-peers.sh.
        .executableTarget(
            name: "SchedulerBenchmarks",
            dependencies: [.product(name: "Kairos", package: "Kairos")],
            path: "Benchmarks/SchedulerBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ] + areas.map { area in
        .executableTarget(
            name: area,
            dependencies: [
                .product(name: "Kairos", package: "Kairos"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/\(area)",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    }
)
