import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Kairos
import Synchronization
import Testing

@testable import KairosHTTP

@Suite(.timeLimit(.minutes(1)))
struct ActionTests {
    @Test func aShellJobRunsInVirtualTimeAndShowsInTheHistory() async throws {
        let server = try TestServer()
        try await server.run { client in
            // Fire 0 is due at once ("startAt": "now"); fire 1 a virtual minute later.
            var id = ""
            _ = try await server.event(where: { $0.kind == .failed }) {
                id = try await client.create(shellSchedule(#"echo "run $KAIROS_IDEMPOTENCY_KEY attempt $KAIROS_ATTEMPT"; echo oops >&2; exit 3"#))
            }
            let second = try await server.event(where: { $0.kind == .failed }) { server.clock.advance(by: .seconds(60)) }
            #expect(second.dueDate == server.clock.now.date)
            let runs = try await client.send(.get, "/v1/schedules/\(id)/runs")["runs"]?.arrayValue ?? []
            #expect(runs.count == 2)
            let newest = try #require(runs.first)
            #expect(newest[member: "outcome"] == "failed")
            #expect(newest[member: "exitStatus"] == 3)
            #expect(newest[member: "attempt"] == 1)
            #expect(newest[member: "error"] == "exit status 3")
            #expect(newest[member: "dueDate"] == "2026-01-01T00:01:00Z")
            let job = try #require(newest[member: "jobID"]?.stringValue)
            #expect(newest[member: "outputTail"] == .string("run \(job)@2026-01-01T00:01:00Z attempt 1\noops\n"))
            let schedule = try await client.send(.get, "/v1/schedules/\(id)")
            #expect(schedule["counters"]?[member: "failures"] == 2)
        }
    }

    @Test func retriesRunAgainUntilTheCommandSucceeds() async throws {
        let server = try TestServer()
        let marker = server.directory + "/tries"
        try await server.run { client in
            // Fails twice, then succeeds: three attempts in one run.
            let command = #"echo x >> "\#(marker)"; [ $(wc -l < "\#(marker)") -ge 3 ]"#
            var id = ""
            _ = try await server.event(where: { $0.kind == .succeeded }) {
                id = try await client.create(shellSchedule(command, options: #"{"retry": {"maxAttempts": 5}}"#))
            }
            let run = try #require(try await client.send(.get, "/v1/schedules/\(id)/runs")["runs"]?.arrayValue.first)
            #expect(run[member: "attempt"] == 3)
            #expect(run[member: "exitStatus"] == 0)
        }
    }

    @Test func aTimeoutKillsTheCommandsProcessGroup() async throws {
        let server = try TestServer()
        let pidFile = server.directory + "/child.pid"
        try await server.run { client in
            let command = #"sleep 30 & echo $! > "\#(pidFile).tmp"; mv "\#(pidFile).tmp" "\#(pidFile)"; wait"#
            _ = try await client.create(shellSchedule(command, options: #"{"timeout": "5s"}"#))
            // The run started once the background sleep's pid is written.
            try await waitUntil(every: .milliseconds(5)) { FileManager.default.fileExists(atPath: pidFile) }
            let child = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            let timedOut = try await server.event(where: { $0.kind == .timedOut }) { server.clock.advance(by: .seconds(6)) }
            #expect(timedOut.kind == .timedOut)
            // The grandchild goes (or becomes a zombie awaiting its reaper, which is not the server).
            try await waitUntil(every: .milliseconds(5)) {
                let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
                return kill(child, 0) != 0 || state.contains(") Z ")
            }
        }
    }

    @Test func aWebhookJobCallsTheTargetWithItsIdempotencyKey() async throws {
        let received = Mutex<[(key: String?, body: String)]>([])
        let target = Router()
        target.post("hook") { request, _ -> HTTPResponse.Status in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 16)
            received.withLock { $0.append((request.headers[.idempotencyKey], String(buffer: body))) }
            return .ok
        }
        let targetApp = Application(router: target, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await targetApp.test(.live) { targetClient in
            let port = try #require(targetClient.port)
            let server = try TestServer(configure: { $0.allowedWebhookHosts = ["127.0.0.1"] })
            try await server.run { client in
                let body =
                    #"{"name": "hook", "trigger": {"type": "once", "at": "now"}, "action": {"type": "webhook", "url": "http://127.0.0.1:\#(port)/hook", "body": {"report": "daily"}}}"#
                let event = try await server.event(where: { $0.kind == .succeeded || $0.kind == .failed }) {
                    _ = try await client.create(body)
                }
                #expect(event.kind == .succeeded)
                let calls = received.withLock { $0 }
                #expect(calls.count == 1)
                #expect(calls.first?.key == "\(event.jobID)@2026-01-01T00:00:00Z")
                #expect(calls.first?.body == #"{"report":"daily"}"#)
                let id = try #require(try await client.send(.get, "/v1/schedules")["schedules"]?.arrayValue.first?[member: "id"]?.stringValue)
                let run = try await client.send(.get, "/v1/schedules/\(id)/runs")["runs"]?.arrayValue.first
                #expect(run?[member: "httpStatus"] == 200)
                // A host outside the allow-list is refused when the schedule is created.
                let elsewhere = body.replacingOccurrences(of: "127.0.0.1", with: "169.254.169.254")
                let refused = try await client.send(.post, "/v1/schedules", json: elsewhere)
                #expect(refused.status == .unprocessableContent)
                #expect(refused.problemField == "action.url")
            }
        }
    }

    @Test func aWebhookAnsweringNon2xxFails() async throws {
        let target = Router()
        target.post("hook") { _, _ -> HTTPResponse.Status in .serviceUnavailable }
        let targetApp = Application(router: target, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await targetApp.test(.live) { targetClient in
            let port = try #require(targetClient.port)
            let server = try TestServer()
            try await server.run { client in
                let body = #"{"name": "hook", "trigger": {"type": "once", "at": "now"}, "action": {"type": "webhook", "url": "http://127.0.0.1:\#(port)/hook"}}"#
                let event = try await server.event(where: { $0.kind == .succeeded || $0.kind == .failed }) { _ = try await client.create(body) }
                #expect(event.kind == .failed)
                #expect("\(event.error.map { "\($0)" } ?? "")" == "HTTP status 503")
            }
        }
    }
}
