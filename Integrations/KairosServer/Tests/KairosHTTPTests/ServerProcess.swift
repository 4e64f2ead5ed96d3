import AsyncHTTPClient
import Foundation
import HTTPTypes
import Kairos
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import KairosHTTP

/// A `kairos-server` process started by a test, and an HTTP client of it with the read-write
/// token "t0k".
final class ServerProcess: Sendable {
    let process: Process
    let port: Int
    /// The server's log after its start.
    let log: String
    static let token = "t0k"

    /// Starts `kairos-server` with `arguments` (and `--port 0`) and waits until it listens.
    init(_ arguments: [String]) throws {
        let (process, output) = try ServerProcessTests.start(arguments + ["--port", "0"], environment: ["KAIROS_TOKEN": Self.token])
        self.process = process
        port = try ServerProcessTests.port(from: output)
        // The rest of the server's log goes to a file (read when a test fails), not into a pipe
        // that nobody reads and that would fill.
        log = NSTemporaryDirectory() + "kairos-server-\(process.processIdentifier).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let file = FileHandle(forWritingAtPath: log)
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { file?.write(data) }
        }
    }

    /// Sends a request and returns the reply.
    @discardableResult
    func send(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(Self.token)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let text = String(buffer: body)
        var headers = HTTPFields()
        for header in response.headers {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        let json = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null
        return Reply(status: HTTPResponse.Status(code: Int(response.status.code)), headers: headers, json: json, text: text)
    }

    /// Creates a schedule, expecting 201, and returns its ID.
    func create(_ json: String) async throws -> String {
        let reply = try await send(.POST, "/v1/schedules", json: json)
        #expect(reply.status == .created, "\(reply.text)")
        return reply["id"]?.stringValue ?? ""
    }

    /// Stops the server with SIGTERM and waits for it to exit (unless ``crash()`` killed it).
    func stop() {
        if !crashed.withLock({ $0 }), process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    /// Kills the server at once (SIGKILL): no drain, no hand-back of its runs.
    ///
    /// The child is reaped here with `waitpid`: Foundation's `Process` left a SIGKILLed server
    /// a zombie, and `waitUntilExit()` never returned.
    func crash() {
        crashed.withLock { $0 = true }
        kill(process.processIdentifier, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(process.processIdentifier, &status, 0)
    }

    private let crashed = Mutex(false)
}

/// A file that shell actions append lines to: what ran, where and how often.
struct Ledger {
    let path: String

    init(directory: String) {
        path = directory + "/ledger"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
    }

    var lines: [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits until the ledger has `count` lines (polling the file: the lines come from other
    /// processes).
    func waitForLines(_ count: Int) async throws -> [String] {
        try await poll({ lines }, until: { $0.count >= count })
    }
}
