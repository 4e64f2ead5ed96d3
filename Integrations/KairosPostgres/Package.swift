// swift-tools-version: 6.1
import PackageDescription

// Kairos on PostgreSQL: many nodes sharing one schedule. A separate package so that the root
// library keeps no package dependencies.
//
//   KairosPostgres        the cluster store and scheduler (postgres-nio)
//   KairosClusterNode     `kairos-cluster-node`, one node process (examples, fault tests, benchmarks)
//   KairosPostgresTesting a throwaway PostgreSQL server for tests (this package's and KairosServer's)
let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "KairosPostgres",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "KairosPostgres", targets: ["KairosPostgres"]),
        .executable(name: "kairos-cluster-node", targets: ["KairosClusterNode"]),
        .library(name: "KairosPostgresTesting", targets: ["KairosPostgresTesting"]),
    ],
    dependencies: [
        .package(name: "Kairos", path: "../.."),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "KairosPostgres",
            dependencies: [
                .product(name: "Kairos", package: "Kairos"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "KairosClusterNode", dependencies: ["KairosPostgres"], swiftSettings: swiftSettings),
        .target(name: "KairosPostgresTesting", swiftSettings: swiftSettings),
        .testTarget(
            name: "KairosPostgresTests", dependencies: ["KairosPostgres", "KairosClusterNode", "KairosPostgresTesting"],
            swiftSettings: swiftSettings),
    ]
)
