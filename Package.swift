// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Kairos",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Kairos", targets: ["Kairos"]),
        .executable(name: "kairos", targets: ["KairosCommand"]),
    ],
    targets: [
        .target(
            name: "Kairos",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "KairosCommand",
            dependencies: ["Kairos"],
            path: "Sources/KairosCommand",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // A child process for the persistence crash test: it changes a state file and is killed
        // with SIGKILL at random moments.
        .executableTarget(
            name: "KairosCrashChild",
            dependencies: ["Kairos"],
            path: "Tests/KairosCrashChild",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "KairosTests",
            // The executables are dependencies so that `swift test` builds them for the
            // end-to-end tests that run them.
            dependencies: ["Kairos", "KairosCommand", "KairosCrashChild"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
