// swift-tools-version: 6.1
import PackageDescription

// The targets follow the layers of the design; each depends only on the ones below it.
//
//   KairosCLI          the `kairos` command's logic (crontab runner, next, explain)
//   KairosTesting      helpers for users testing their own jobs in virtual time
//   Kairos             triggers, scheduler, dependencies, pipelines, persistence; re-exports KairosCron
//   KairosCron         cron expressions, usable alone
//   KairosPlatform     the lock and the Linux system-call seam the layers above share
let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Kairos",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Kairos", targets: ["Kairos"]),
        .library(name: "KairosCron", targets: ["KairosCron"]),
        .library(name: "KairosTesting", targets: ["KairosTesting"]),
        .executable(name: "kairos", targets: ["KairosCommand"]),
    ],
    targets: [
        .target(name: "KairosPlatform", swiftSettings: swiftSettings),
        .target(name: "KairosCron", dependencies: ["KairosPlatform"], swiftSettings: swiftSettings),
        .target(name: "Kairos", dependencies: ["KairosCron", "KairosPlatform"], swiftSettings: swiftSettings),
        .target(name: "KairosTesting", dependencies: ["Kairos", "KairosPlatform"], swiftSettings: swiftSettings),
        .target(name: "KairosCLI", dependencies: ["Kairos", "KairosPlatform"], swiftSettings: swiftSettings),
        .executableTarget(name: "KairosCommand", dependencies: ["KairosCLI"], swiftSettings: swiftSettings),

        // A child process for the persistence crash test: it changes a state file and is killed
        // with SIGKILL at random moments.
        .executableTarget(
            name: "KairosCrashChild",
            dependencies: ["Kairos"],
            path: "Tests/KairosCrashChild",
            swiftSettings: swiftSettings
        ),
        .target(name: "KairosTestSupport", path: "Tests/KairosTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "KairosCronTests", dependencies: ["KairosCron", "KairosTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KairosTests",
            // The crash child is a dependency so that `swift test` builds it for the tests that run it.
            dependencies: ["Kairos", "KairosTesting", "KairosCrashChild", "KairosTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "KairosTestingTests", dependencies: ["Kairos", "KairosTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KairosCLITests",
            // The executable is a dependency so that `swift test` builds it for the end-to-end tests.
            dependencies: ["KairosCLI", "KairosCommand", "KairosTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
