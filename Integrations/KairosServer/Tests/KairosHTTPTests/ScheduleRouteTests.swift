import Foundation
import HTTPTypes
import Kairos
import Testing

@testable import KairosHTTP

@Suite(.timeLimit(.minutes(1)))
struct ScheduleRouteTests {
    @Test func createThenGetShowsTheDeclarationAndNextFireTimes() async throws {
        let server = try TestServer()
        try await server.run { client in
            let created = try await client.send(.post, "/v1/schedules", json: cronSchedule)
            #expect(created.status == .created)
            let id = try #require(created["id"]?.stringValue)
            #expect(created.headers[.location] == "/v1/schedules/\(id)")
            let reply = try await client.send(.get, "/v1/schedules/\(id)?next=3", token: TestServer.readToken)
            #expect(reply.status == .ok)
            #expect(reply.headers[.eTag] == created.headers[.eTag])
            #expect(reply["name"] == "nightly")
            #expect(reply["trigger"] == ["type": "cron", "expression": "0 3 * * *", "timeZone": "Europe/Paris"])
            #expect(reply["action"] == ["type": "function", "name": "echo", "arguments": ["to": "ops"]])
            #expect(reply["status"] == "pending")
            // 2026-01-01T00:00:00Z is 01:00 in Paris: the next 03:00 there is 02:00 UTC.
            #expect(reply["nextFireTimes"] == ["2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z", "2026-01-03T02:00:00Z"])
            #expect(reply["counters"]?[member: "runs"] == 0)
        }
    }

    @Test func intervalTriggersTakeTheSeedsShape() async throws {
        try await TestServer().run { client in
            let body =
                #"{"name": "report", "trigger": {"type": "interval", "interval": "20m", "startAt": "2026-01-15T15:06:00+00:00", "repeatCount": 10}, "action": {"type": "function", "name": "echo"}}"#
            let id = try await client.create(body)
            let reply = try await client.send(.get, "/v1/schedules/\(id)?next=2")
            #expect(reply["trigger"] == ["type": "interval", "interval": "20m", "startAt": "2026-01-15T15:06:00Z", "repeatCount": 10])
            #expect(reply["nextFireTimes"] == ["2026-01-15T15:06:00Z", "2026-01-15T15:26:00Z"])
            let until = #"{"name": "r", "trigger": {"type": "interval", "interval": "1h", "startAt": "now", "until": "2h"}, "action": {"type": "function", "name": "echo"}}"#
            let bounded = try await client.send(.get, "/v1/schedules/\(try await client.create(until))?next=10")
            // Fire 0 ran at once (due "now"); "until" is inclusive: 02:00 is the last.
            #expect(bounded["nextFireTimes"] == ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"])
        }
    }

    @Test func listFiltersByStatusAndPagesWithACursor() async throws {
        try await TestServer().run { client in
            var ids: [String] = []
            for index in 0..<3 { ids.append(try await client.create(cronSchedule.replacingOccurrences(of: "nightly", with: "n\(index)"))) }
            try await client.send(.post, "/v1/schedules/\(ids[1])/pause")
            let first = try await client.send(.get, "/v1/schedules?limit=2")
            #expect(first["schedules"]?.arrayValue.count == 2)
            let cursor = try #require(first["nextCursor"]?.stringValue)
            let second = try await client.send(.get, "/v1/schedules?limit=2&cursor=\(cursor)")
            #expect(second["schedules"]?.arrayValue.count == 1)
            #expect(second["nextCursor"] == .null)
            let seen = (first["schedules"]!.arrayValue + second["schedules"]!.arrayValue).compactMap { $0[member: "id"]?.stringValue }
            #expect(Set(seen) == Set(ids))
            let paused = try await client.send(.get, "/v1/schedules?status=paused")
            #expect(paused["schedules"]?.arrayValue.map { $0[member: "id"] } == [.string(ids[1])])
        }
    }

    @Test func createWithAnIdempotencyKeyIsDoneOnce() async throws {
        try await TestServer().run { client in
            let headers: HTTPFields = [.idempotencyKey: "7f0c4a6e-report"]
            let first = try await client.send(.post, "/v1/schedules", json: cronSchedule, headers: headers)
            let again = try await client.send(.post, "/v1/schedules", json: cronSchedule, headers: headers)
            #expect(first.status == .created)
            #expect(again.status == .ok)
            #expect(again.headers[.idempotentReplayed] == "true")
            #expect(again["id"] == first["id"])
            let other = try await client.send(.post, "/v1/schedules", json: cronSchedule.replacingOccurrences(of: "nightly", with: "other"), headers: headers)
            #expect(other.status == .unprocessableContent)
            #expect(other.problemField == "Idempotency-Key")
            #expect(try await client.send(.get, "/v1/schedules")["schedules"]?.arrayValue.count == 1)
        }
    }

    @Test func anUpdateWithAStaleETagIsRefused() async throws {
        try await TestServer().run { client in
            let created = try await client.send(.post, "/v1/schedules", json: cronSchedule)
            let id = try #require(created["id"]?.stringValue)
            let etag = try #require(created.headers[.eTag])
            let change = #"{"trigger": {"type": "cron", "expression": "30 4 * * *", "timeZone": "UTC"}}"#
            let updated = try await client.send(.patch, "/v1/schedules/\(id)", json: change, headers: [.ifMatch: etag])
            #expect(updated.status == .ok)
            #expect(updated["trigger"]?[member: "expression"] == "30 4 * * *")
            #expect(updated["jobID"] == created["jobID"])
            #expect(updated.headers[.eTag] != etag)
            let stale = try await client.send(.patch, "/v1/schedules/\(id)", json: #"{"name": "lost"}"#, headers: [.ifMatch: etag])
            #expect(stale.status == .preconditionFailed)
            // A body that is not an update is refused as such, whatever the ETag.
            let invalid = try await client.send(.patch, "/v1/schedules/\(id)", json: "[null]", headers: [.ifMatch: etag])
            #expect(invalid.status == .unprocessableContent)
            #expect(try await client.send(.get, "/v1/schedules/\(id)")["name"] == "nightly")
            // A change of options replaces the job and keeps the schedule.
            let options = try await client.send(.patch, "/v1/schedules/\(id)", json: #"{"options": {"maxRuns": 3, "timeout": "90s"}}"#)
            #expect(options["options"]?[member: "maxRuns"] == 3)
            #expect(options["options"]?[member: "timeout"] == "1m30s")
            #expect(options["trigger"]?[member: "expression"] == "30 4 * * *")
        }
    }

    @Test func pauseWithANoteThenResumeFromNow() async throws {
        let server = try TestServer()
        try await server.run { client in
            let id = try await client.create(cronSchedule)
            let paused = try await client.send(.post, "/v1/schedules/\(id)/pause", json: #"{"note": "db migration"}"#)
            #expect(paused["status"] == "paused")
            #expect(paused["pauseNote"] == "db migration")
            server.clock.advance(by: .seconds(86_400 * 2))
            let resumed = try await client.send(.post, "/v1/schedules/\(id)/resume", json: #"{"catchUp": false}"#)
            #expect(resumed["status"] == "pending")
            #expect(resumed["pauseNote"] == .null)
            #expect(resumed["counters"]?[member: "missed"] == 0)
        }
    }

    @Test func triggerRunsAFunctionNowAndDeleteRemovesTheSchedule() async throws {
        let server = try TestServer()
        try await server.run { client in
            let id = try await client.create(cronSchedule)
            let event = try await server.event(where: { $0.kind == .succeeded }) {
                let accepted = try await client.send(.post, "/v1/schedules/\(id)/trigger")
                #expect(accepted.status == .accepted)
            }
            #expect(event.jobName == "nightly")
            let runs = try await client.send(.get, "/v1/schedules/\(id)/runs")
            #expect(runs["runs"]?.arrayValue.first?[member: "outcome"] == "succeeded")
            #expect(try await client.send(.delete, "/v1/schedules/\(id)").status == .noContent)
            #expect(try await client.send(.get, "/v1/schedules/\(id)").status == .notFound)
            #expect(try await client.send(.delete, "/v1/schedules/\(id)").status == .notFound)
        }
    }

    @Test func eventsInFireEventSchedules() async throws {
        let server = try TestServer()
        try await server.run { client in
            let body = #"{"name": "on-paid", "trigger": {"type": "event", "key": "invoice.paid"}, "action": {"type": "function", "name": "echo"}}"#
            let id = try await client.create(body)
            let reply = try await client.send(.post, "/v1/events/invoice.paid", json: #"{"invoice": 42}"#)
            #expect(reply.status == .ok)
            #expect(reply["reached"]?.arrayValue.first?[member: "name"] == "on-paid")
            let nobody = try await client.send(.post, "/v1/events/nobody.listens")
            #expect(nobody["reached"] == [])
            _ = id
        }
    }
}
