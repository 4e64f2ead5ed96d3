// swift-tools-version: 6.1
import PackageDescription

// Kairos over HTTP, on the embedded state file or the PostgreSQL cluster store (../KairosPostgres).
// A separate package so that the root library keeps no package dependencies.
//
//   KairosHTTP            the `/v1` API as a Hummingbird router group over a durable scheduler,
//                         shell and webhook actions, and a `Service` that runs the scheduler
//   KairosDashboard       the dashboard under `/ui`: server-rendered pages over a `KairosAPI`
//   KairosServerCommand   the `kairos-server` options and start-up (argument-parser)
//   KairosServerMain      `kairos-server`, only `main.swift`
//   KairosHTTPFloor       a plain Hummingbird hello-world, the floor in Scripts/wrk-benchmarks.sh
//                         (an executable target but no product: not for users)
//   KairosStoreCommitRate the state file's own durable declaration rate, beside it in that script
let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "KairosServer",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "KairosHTTP", targets: ["KairosHTTP"]),
        .library(name: "KairosDashboard", targets: ["KairosDashboard"]),
        .executable(name: "kairos-server", targets: ["KairosServerMain"]),
    ],
    dependencies: [
        .package(name: "Kairos", path: "../.."),
        .package(name: "KairosPostgres", path: "../KairosPostgres"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "KairosHTTP",
            dependencies: [
                .product(name: "Kairos", package: "Kairos"),
                .product(name: "KairosPostgres", package: "KairosPostgres"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/openapi.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KairosDashboard",
            dependencies: [
                "KairosHTTP",
                .product(name: "Kairos", package: "Kairos"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Resources/dashboard.css"), .copy("Resources/dashboard.js")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KairosServerCommand",
            dependencies: [
                "KairosHTTP", "KairosDashboard",
                .product(name: "KairosPostgres", package: "KairosPostgres"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "KairosServerMain", dependencies: ["KairosServerCommand"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "KairosHTTPFloor", dependencies: [.product(name: "Hummingbird", package: "hummingbird")], swiftSettings: swiftSettings),
        .executableTarget(
            name: "KairosStoreCommitRate", dependencies: [.product(name: "Kairos", package: "Kairos")], swiftSettings: swiftSettings),
        .testTarget(
            name: "KairosHTTPTests",
            dependencies: [
                "KairosHTTP", "KairosServerCommand", "KairosDashboard",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "KairosPostgresTesting", package: "KairosPostgres"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
