import AsyncHTTPClient
import Foundation
import Kairos
import NIOCore
import Testing

@testable import KairosHTTP

struct ServerNotBuilt: Error, CustomStringConvertible {
    var description: String { "kairos-server is not built beside the tests (swift build --build-tests)" }
}

/// The `kairos-server` executable, started for real: it refuses to listen beyond loopback without
/// a token, and SIGTERM drains the runs going before it exits.
@Suite(.timeLimit(.minutes(3)))
struct ServerProcessTests {
    /// The executable beside the test bundle (`swift build --build-tests` builds it).
    static var executable: String? {
        let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [directory, directory.deletingLastPathComponent(), Bundle.main.bundleURL].map {
            $0.appendingPathComponent("kairos-server").path
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe) {
        let process = Process()
        guard let executable else { throw ServerNotBuilt() }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return (process, output)
    }

    /// Reads the child's output until the line that gives its port.
    static func port(from output: Pipe) throws -> Int {
        var text = ""
        while !text.contains("listening on") || !text.hasSuffix("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let line = try #require(text.split(separator: "\n").first { $0.contains("listening on") }, "\(text)")
        return try #require(Int(line.split(separator: ":").last ?? ""), "\(line)")
    }

    @Test func withoutATokenItRefusesToListenBeyondLoopback() throws {
        let directory = TestServer.makeDirectory()
        let (process, output) = try Self.start(["--state", directory + "/s.json", "--host", "0.0.0.0", "--port", "0"])
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(text.contains("beyond loopback"), "\(text)")
    }

    @Test func sigtermDrainsTheRunsGoingThenExits() async throws {
        let directory = TestServer.makeDirectory()
        let (process, output) = try Self.start(
            ["--state", directory + "/state.json", "--port", "0", "--drain-timeout", "60"], environment: ["KAIROS_TOKEN": "t0k"])
        let port = try Self.port(from: output)
        let base = "http://127.0.0.1:\(port)"
        let started = directory + "/started"
        let release = directory + "/release"
        let command = #"touch "\#(started)"; while [ ! -f "\#(release)" ]; do sleep 0.01; done; echo drained"#
        var request = HTTPClientRequest(url: base + "/v1/schedules")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer t0k")
        request.headers.add(name: "Content-Type", value: "application/json")
        let body =
            #"{"name": "long", "trigger": {"type": "once", "at": "now"}, "action": {"type": "shell", "command": \#(String(decoding: try JSONEncoder().encode(command), as: UTF8.self))}}"#
        request.body = .bytes(ByteBuffer(string: body))
        let created = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(created.status == .created)
        try await waitUntil(every: .milliseconds(5)) { FileManager.default.fileExists(atPath: started) }
        kill(process.processIdentifier, SIGTERM)
        // The HTTP server stops first; the scheduler then waits for the run.
        try await waitUntil(every: .milliseconds(5)) {
            (try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(5))) == nil
        }
        #expect(process.isRunning)
        #expect(FileManager.default.createFile(atPath: release, contents: nil))
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // The run ended as a success, recorded in the server's records beside the state.
        let records = ServerRecords(file: directory + "/state.json.server.json", historyLimit: 100)
        let keys = try PersistentScheduler(stateFile: directory + "/state.json").jobKeys
        let key = try #require(keys.keys.first)
        let run = try #require(records.history(of: key).first)
        #expect(run.outcome == .succeeded)
        #expect(run.outputTail == "drained\n")
    }
}
