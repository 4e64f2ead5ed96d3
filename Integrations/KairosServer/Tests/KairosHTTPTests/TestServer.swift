import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Kairos
import NIOCore
import Synchronization
import Testing

@testable import KairosHTTP

/// A real server on loopback over a `PersistentScheduler` in a temporary directory, on a
/// `ManualClock` unless told otherwise, with tokens "rw-token" (read-write) and "ro-token".
struct TestServer {
    let scheduler: PersistentScheduler
    let api: KairosAPI
    let clock: ManualClock
    let directory: String

    static let writeToken = "rw-token"
    static let readToken = "ro-token"

    static func configuration(directory: String, _ change: (inout KairosAPIConfiguration) -> Void = { _ in }) -> KairosAPIConfiguration {
        var tokens = AccessTokens()
        tokens.add(writeToken, scope: .readWrite)
        tokens.add(readToken, scope: .readOnly)
        var configuration = KairosAPIConfiguration(tokens: tokens, recordsFile: directory + "/state.json.server.json")
        change(&configuration)
        return configuration
    }

    static func makeDirectory() -> String {
        let directory = NSTemporaryDirectory() + "kairos-http-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Opens the scheduler and API in `directory` (a new one by default).
    init(directory: String = TestServer.makeDirectory(), clock: ManualClock = ManualClock(), configure: (inout KairosAPIConfiguration) -> Void = { _ in }) throws {
        self.directory = directory
        self.clock = clock
        scheduler = try PersistentScheduler(
            stateFile: directory + "/state.json",
            configuration: .init(scheduler: .init(maxConcurrentJobs: 4, clock: clock)))
        scheduler.register("echo") { _, _ in }
        api = KairosAPI(backend: scheduler, configuration: Self.configuration(directory: directory, configure))
    }

    /// Runs `body` against the server on a free loopback port, then stops the scheduler;
    /// `mount` adds more routes beside the API's.
    func run(mount: (Router<BasicRequestContext>) -> Void = { _ in }, _ body: @Sendable (Client) async throws -> Void) async throws {
        try await run(context: BasicRequestContext.self, mount: mount, body)
    }

    /// Runs `body` as `run(mount:_:)` does, on a router of `Context`.
    func run<Context: RequestContext>(
        context: Context.Type, mount: (Router<Context>) -> Void, _ body: @Sendable (Client) async throws -> Void
    ) async throws where Context.Source == ApplicationRequestContextSource {
        let router = Router(context: Context.self)
        api.addRoutes(to: router.group())
        mount(router)
        var app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let api = self.api
        app.beforeServerStarts { try await api.start() }
        try await app.test(.live) { client in try await body(Client(client: client)) }
        _ = await scheduler.stop(timeout: .seconds(5))
        scheduler.close()
    }

    /// Waits for the first scheduler event that `matches` (subscribed before `action` runs).
    func event(where matches: @escaping @Sendable (SchedulerEvent) -> Bool, after action: () async throws -> Void) async throws -> SchedulerEvent {
        let (stream, continuation) = AsyncStream<SchedulerEvent>.makeStream()
        let token = scheduler.scheduler.onEvent { event in if matches(event) { continuation.yield(event) } }
        defer { scheduler.scheduler.removeEventHandler(token) }
        try await action()
        for await event in stream { return event }
        throw CancellationError()
    }
}

/// A response: status, headers, and the body as JSON.
struct Reply {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var json: JSONValue
    var text: String

    subscript(_ key: String) -> JSONValue? { json[member: key] }

    var problemField: String? { json[member: "field"]?.stringValue }
}

struct Client: Sendable {
    let client: any TestClientProtocol

    var port: Int { client.port ?? 0 }

    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = TestServer.writeToken, json: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            let json = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null
            return Reply(status: response.status, headers: response.headers, json: json, text: text)
        }
    }

    /// Creates a schedule and returns its ID, expecting 201.
    func create(_ json: String, headers: HTTPFields = [:]) async throws -> String {
        let reply = try await send(.post, "/v1/schedules", json: json, headers: headers)
        #expect(reply.status == .created, "\(reply.text)")
        return reply["id"]?.stringValue ?? ""
    }
}

extension JSONValue {
    var arrayValue: [JSONValue] { if case .array(let items) = self { items } else { [] } }
    var intValue: Int? { if case .integer(let value) = self { value } else if case .number(let value) = self { Int(value) } else { nil } }
}

/// A shell schedule that fires every minute from the clock's now.
func shellSchedule(_ command: String, name: String = "job", options: String = "{}") -> String {
    let escaped = String(decoding: try! JSONEncoder().encode(command), as: UTF8.self)
    return #"{"name": "\#(name)", "trigger": {"type": "interval", "interval": "1m", "startAt": "now"}, "#
        + #""action": {"type": "shell", "command": \#(escaped)}, "options": \#(options)}"#
}

let cronSchedule =
    #"{"name": "nightly", "trigger": {"type": "cron", "expression": "0 3 * * *", "timeZone": "Europe/Paris"}, "action": {"type": "function", "name": "echo", "arguments": {"to": "ops"}}}"#

extension Client {
    /// Reads the server-sent-events stream of `schedule` (with the read-only token) until a
    /// `succeeded` event arrives, calling `whenOpen` once the stream's opening comment is read, and
    /// returns the text read.
    func eventsUntilSucceeded(
        of schedule: String, timeout: TimeAmount = .seconds(30), whenOpen: @Sendable () async throws -> Void
    ) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/events?schedule=\(schedule)")
        request.headers.add(name: "Authorization", value: "Bearer \(TestServer.readToken)")
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
        var text = ""
        var opened = false
        for try await part in response.body {
            text += String(buffer: part)
            if !opened, text.contains(": kairos events") {
                opened = true
                try await whenOpen()
            }
            if text.contains("event: succeeded") { break }
        }
        return text
    }
}
