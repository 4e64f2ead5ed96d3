import Foundation

/// The style sheet and the script, read once from the target's resources.
enum DashboardAssets {
    static let styleSheet = load("dashboard", "css")
    static let script = load("dashboard", "js")

    private static func load(_ name: String, _ type: String) -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: type), let data = try? Data(contentsOf: url) else {
            return Data("/* \(name).\(type) is missing from the KairosDashboard bundle */".utf8)
        }
        return data
    }
}
