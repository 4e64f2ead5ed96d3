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
            path: "Sources/kairos",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "KairosTests",
            dependencies: ["Kairos"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
