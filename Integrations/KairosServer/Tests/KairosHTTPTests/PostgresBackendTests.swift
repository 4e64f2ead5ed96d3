import AsyncHTTPClient
import Foundation
import HTTPTypes
import Kairos
import KairosPostgres
import NIOCore
import Testing

@testable import KairosHTTP

/// Every endpoint over the PostgreSQL cluster store, through real HTTP on loopback and a real
/// throwaway PostgreSQL server.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct PostgresBackendTests {
    @Test func createIsIdempotentAndAScheduleIsListedWithItsNextFireTimes() async throws {
        try await PostgresTestServer.with { _, client in
            let body =
                #"{"name": "nightly", "trigger": {"type": "cron", "expression": "0 3 * * *", "timeZone": "Europe/Paris"}, "action": {"type": "shell", "command": "true"}}"#
            let headers: HTTPFields = [.idempotencyKey: "nightly-1"]
            let created = try await client.send(.post, "/v1/schedules", json: body, headers: headers)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created["id"]?.stringValue)
            #expect(id == "i-nightly-1")
            let again = try await client.send(.post, "/v1/schedules", json: body, headers: headers)
            #expect(again.status == .ok)
            #expect(again.headers[.idempotentReplayed] == "true")

            let list = try await client.send(.get, "/v1/schedules")
            #expect(list["schedules"]?.arrayValue.compactMap { $0[member: "id"]?.stringValue } == [id])
            let got = try await client.send(.get, "/v1/schedules/\(id)?next=3")
            #expect(got.status == .ok)
            #expect(got["status"]?.stringValue == "pending")
            #expect(got.headers[.eTag] == got["etag"]?.stringValue)
            // 03:00 in Paris is 02:00 UTC in winter, 01:00 UTC in summer: three days in a row.
            let times = got["nextFireTimes"]?.arrayValue.compactMap(\.stringValue) ?? []
            #expect(times.count == 3)
            #expect(times.allSatisfy { $0.hasSuffix("T02:00:00Z") || $0.hasSuffix("T01:00:00Z") }, "\(times)")
            #expect(got["counters"]?[member: "runs"]?.intValue == 0)
        }
    }

    @Test func anUpdateNeedsTheCurrentETag() async throws {
        try await PostgresTestServer.with { _, client in
            let id = try await client.create(shellSchedule("true"))
            let before = try await client.send(.get, "/v1/schedules/\(id)")
            let etag = try #require(before["etag"]?.stringValue)
            let patch = #"{"trigger": {"type": "cron", "expression": "*/5 * * * *"}}"#
            let stale = try await client.send(.patch, "/v1/schedules/\(id)", json: patch, headers: [.ifMatch: "\"0000\""])
            #expect(stale.status == .preconditionFailed)
            let updated = try await client.send(.patch, "/v1/schedules/\(id)", json: patch, headers: [.ifMatch: etag])
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(updated["trigger"]?[member: "expression"]?.stringValue == "*/5 * * * *")
            #expect(updated["etag"]?.stringValue != etag)
            #expect(updated["jobID"] == before["jobID"])
        }
    }

    @Test func aTriggeredRunShowsInTheClusterHistoryWithItsOutput() async throws {
        try await PostgresTestServer.with { _, client in
            let id = try await client.create(
                #"{"name": "hello", "trigger": {"type": "cron", "expression": "0 0 1 1 *"}, "action": {"type": "shell", "command": "echo hello"}}"#)
            let triggered = try await client.send(.post, "/v1/schedules/\(id)/trigger")
            #expect(triggered.status == .accepted)
            let runs = try await client.poll("/v1/schedules/\(id)/runs") { $0.listsRuns }
            let run = try #require(runs["runs"]?.arrayValue.first)
            #expect(run[member: "outcome"]?.stringValue == "succeeded")
            #expect(run[member: "attempt"]?.intValue == 1)
            #expect(run[member: "schedule"]?.stringValue == id)
            #expect(run[member: "outputTail"]?.stringValue == "hello\n")
            let schedule = try await client.send(.get, "/v1/schedules/\(id)")
            #expect(schedule["counters"]?[member: "runs"]?.intValue == 1)
            #expect(schedule["lastOutcome"]?.stringValue == "succeeded")
            #expect(try await client.send(.get, "/v1/runs")["runs"]?.arrayValue.isEmpty == true)
        }
    }

    @Test func aRunGoingIsListedAsActive() async throws {
        try await PostgresTestServer.with { _, client in
            let run = try await HeldRun.start(through: client)
            let going = try await client.send(.get, "/v1/runs")
            #expect(going["runs"]?.arrayValue.first?[member: "schedule"]?.stringValue == run.id)
            #expect(going["runs"]?.arrayValue.first?[member: "outcome"]?.stringValue == "running")
            let runs = try await client.send(.get, "/v1/schedules/\(run.id)/runs")
            #expect(runs["active"]?.arrayValue.count == 1)
            try await run.release(through: client)
        }
    }

    @Test func theNodesAreListedWithTheRunsEachHolds() async throws {
        try await PostgresTestServer.with { server, client in
            let run = try await HeldRun.start(through: client)
            let nodes = try await server.backend.clusterNodes()
            #expect(nodes.map(\.id) == ["api-test"])
            #expect(nodes.first?.isAlive == true)
            #expect(nodes.first?.runs.map(\.schedule) == [run.id])
            #expect(nodes.first?.runs.first?.outcome == .running)
            try await run.release(through: client)
            #expect(try await server.backend.clusterNodes().first?.runs.isEmpty == true)
        }
    }

    @Test func pauseResumeAndDelete() async throws {
        try await PostgresTestServer.with { _, client in
            let id = try await client.create(shellSchedule("true"))
            let paused = try await client.send(.post, "/v1/schedules/\(id)/pause", json: #"{"note": "maintenance"}"#)
            #expect(paused.status == .ok)
            #expect(paused["status"]?.stringValue == "paused")
            #expect(paused["pauseNote"]?.stringValue == "maintenance")
            #expect(paused["paused"] == .bool(true))
            let listed = try await client.send(.get, "/v1/schedules?status=paused")
            #expect(listed["schedules"]?.arrayValue.count == 1)
            let resumed = try await client.send(.post, "/v1/schedules/\(id)/resume", json: #"{"catchUp": false}"#)
            #expect(resumed["status"]?.stringValue != "paused")
            #expect(resumed["pauseNote"] == .null)
            #expect(try await client.send(.delete, "/v1/schedules/\(id)").status == .noContent)
            #expect(try await client.send(.get, "/v1/schedules/\(id)").status == .notFound)
            #expect(try await client.send(.get, "/v1/schedules")["schedules"]?.arrayValue.isEmpty == true)
        }
    }

    @Test func eventTriggersAreRefusedAndEventsReachNothing() async throws {
        try await PostgresTestServer.with { _, client in
            let refused = try await client.send(
                .post, "/v1/schedules", json: #"{"name": "on-deploy", "trigger": {"type": "event", "key": "deploy"}, "action": {"type": "shell", "command": "true"}}"#)
            #expect(refused.status == .unprocessableContent, "\(refused.text)")
            #expect(refused.problemField == "trigger")
            #expect(try await client.send(.get, "/v1/schedules")["schedules"]?.arrayValue.isEmpty == true)
            let posted = try await client.send(.post, "/v1/events/deploy", json: "{}")
            #expect(posted.status == .ok)
            #expect(posted["reached"]?.arrayValue.isEmpty == true)
        }
    }

    @Test func theEventStreamShowsThisServersRuns() async throws {
        try await PostgresTestServer.with { _, client in
            let id = try await client.create(
                #"{"name": "hello", "trigger": {"type": "cron", "expression": "0 0 1 1 *"}, "action": {"type": "shell", "command": "true"}}"#)
            let text = try await client.eventsUntilSucceeded(of: id, timeout: .seconds(60)) {
                try await client.send(.post, "/v1/schedules/\(id)/trigger")
            }
            #expect(text.contains("event: started"))
            #expect(text.contains(#""schedule":"\#(id)""#))
            // The stream and the metrics are two handlers of the same event: wait for the count.
            let metrics = try await client.poll("/metrics") { $0.text.contains(#"kairos_runs_total{outcome="succeeded"} 1"#) }
            #expect(metrics.text.contains("kairos_jobs 1"), "\(metrics.text)")
        }
    }

    @Test func readyzReportsWhetherTheDatabaseAnswers() async throws {
        try await PostgresTestServer.with { server, client in
            #expect(try await client.send(.get, "/readyz", token: nil).status == .ok)
            try await server.postgres.kill()
            let down = try await client.send(.get, "/readyz", token: nil)
            #expect(down.status == .serviceUnavailable, "\(down.text)")
            #expect(down.json[member: "detail"]?.stringValue?.contains("not ready") == true)
            try await server.postgres.start()
            _ = try await client.poll("/readyz") { $0.status == .ok }
        }
    }
}

/// A shell run that keeps going until the test releases it: a schedule triggered once whose
/// command waits for a file.
private struct HeldRun {
    var id: String
    var releaseFile: String

    /// Creates the schedule, triggers it and returns once `/v1/runs` lists the run.
    static func start(through client: Client) async throws -> HeldRun {
        let releaseFile = TestServer.makeDirectory() + "/release"
        let id = try await client.create(
            #"{"name": "held", "trigger": {"type": "cron", "expression": "0 0 1 1 *"}, "action": {"type": "shell", "command": "while [ ! -f \#(releaseFile) ]; do sleep 0.01; done"}}"#
        )
        try await client.send(.post, "/v1/schedules/\(id)/trigger")
        _ = try await client.poll("/v1/runs") { $0.listsRuns }
        return HeldRun(id: id, releaseFile: releaseFile)
    }

    /// Lets the run end and returns once `/v1/runs` is empty.
    func release(through client: Client) async throws {
        #expect(FileManager.default.createFile(atPath: releaseFile, contents: nil))
        _ = try await client.poll("/v1/runs") { $0["runs"]?.arrayValue.isEmpty == true }
    }
}
