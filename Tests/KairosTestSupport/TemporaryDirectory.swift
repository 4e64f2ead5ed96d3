import Foundation

/// A fresh directory under the temporary directory, for one test; the caller removes it.
public func makeTemporaryDirectory(prefix: String = "kairos-test") -> String {
    let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
