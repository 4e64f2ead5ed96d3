// swift-tools-version: 6.1
// Issue 15's realistic shapes, as a plain release executable (no package-benchmark harness), so
// that the same source builds against today's Kairos and an older checkout side by side: it
// depends on the Kairos two folders up. See ../README.md, "Issue 15".
import PackageDescription

let package = Package(
    name: "RealisticShapes",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Kairos", path: "../..")],
    targets: [
        .executableTarget(
            name: "RealisticShapes",
            dependencies: [.product(name: "Kairos", package: "Kairos")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
