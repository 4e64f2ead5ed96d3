import Foundation
import HTTPTypes
import Kairos
import Testing

@testable import KairosHTTP

/// Every bad input is a 4xx problem document naming the field, and nothing is stored.
@Suite(.timeLimit(.minutes(1)))
struct BadInputTests {
    static let action = #""action": {"type": "function", "name": "echo"}"#

    /// (body, the field the problem must name, a phrase its detail must hold)
    static let invalidBodies: [(String, String, String)] = [
        (#"{"name": "x", "trigger": {"type": "cron", "expression": "0 25 * * *"}, \#(action)}"#, "trigger.expression", "hour"),
        (#"{"name": "x", "trigger": {"type": "cron", "expression": "0 3 * *"}, \#(action)}"#, "trigger.expression", "field"),
        (#"{"name": "x", "trigger": {"type": "cron", "expression": "0 3 * * *", "timeZone": "Mars/Olympus"}, \#(action)}"#, "trigger.timeZone", "IANA"),
        (#"{"name": "x", "trigger": {"type": "interval", "interval": "-5m"}, \#(action)}"#, "trigger.interval", "negative"),
        (#"{"name": "x", "trigger": {"type": "interval", "interval": "0s"}, \#(action)}"#, "trigger.interval", "longer than zero"),
        (#"{"name": "x", "trigger": {"type": "interval", "interval": "20 minutes"}, \#(action)}"#, "trigger.interval", "unit"),
        (#"{"name": "x", "trigger": {"type": "interval", "interval": "1m", "startAt": "tomorrow"}, \#(action)}"#, "trigger.startAt", "ISO 8601"),
        (#"{"name": "x", "trigger": {"type": "interval", "interval": "1m", "repeatCount": 0}, \#(action)}"#, "trigger.repeatCount", "from 1"),
        (#"{"name": "x", "trigger": {"type": "interval", "interval": "1m", "repeatCount": "ten"}, \#(action)}"#, "trigger.repeatCount", "whole number"),
        (#"{"name": "x", "trigger": {"type": "weekly"}, \#(action)}"#, "trigger.type", "not a trigger type"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "2026-01-01T00:00:00Z", "every": "1m"}, \#(action)}"#, "trigger.every", "not a known field"),
        (#"{"name": "x", "trigger": {"type": "once", "at": 5}, \#(action)}"#, "trigger.at", "string"),
        (#"{"name": "", "trigger": {"type": "once", "at": "now"}, \#(action)}"#, "name", "empty"),
        (#"{"name": 7, "trigger": {"type": "once", "at": "now"}, \#(action)}"#, "name", "string"),
        (#"{"trigger": {"type": "once", "at": "now"}, \#(action)}"#, "name", "required"),
        (#"{"name": "x", \#(action)}"#, "trigger", "required"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}}"#, "action", "required"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, \#(action), "colour": "red"}"#, "colour", "not a known field"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, "action": {"type": "shell", "command": "  "}}"#, "action.command", "empty"),
        (
            #"{"name": "x", "trigger": {"type": "once", "at": "now"}, "action": {"type": "shell", "command": "true", "workingDirectory": "tmp"}}"#, "action.workingDirectory",
            "absolute"
        ),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, "action": {"type": "webhook", "url": "ftp://example.com"}}"#, "action.url", "http"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, "action": {"type": "webhook", "url": "http://h", "method": "BREW"}}"#, "action.method", "BREW"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, "action": {"type": "function", "name": "kairos.shell"}}"#, "action.name", "server's own"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, "action": {"type": "function", "name": "missing"}}"#, "action.name", "missing"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, \#(action), "options": {"timeout": "-1s"}}"#, "options.timeout", "negative"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, \#(action), "options": {"overlap": "sometimes"}}"#, "options.overlap", "sometimes"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, \#(action), "options": {"overlapLimit": 2}}"#, "options.overlapLimit", "only applies"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, \#(action), "options": {"misfire": {"mode": "runSome"}}}"#, "options.misfire.mode", "runSome"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, \#(action), "options": {"maxRuns": 0}}"#, "options.maxRuns", "from 1"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, \#(action), "options": {"retry": {"maxAttempts": 2}}}"#, "options.retry", "function action"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, \#(action), "options": {"jitter": "1e400s"}}"#, "options.jitter", "duration"),
        (#"{"name": "x", "trigger": {"type": "once", "at": "now"}, \#(action), "paused": null}"#, "paused", "null"),
        (#"[1, 2]"#, "body", "object"),
    ]

    @Test(arguments: invalidBodies)
    func anInvalidFieldIsNamedAndNothingIsStored(body: String, field: String, phrase: String) async throws {
        try await TestServer().run { client in
            let reply = try await client.send(.post, "/v1/schedules", json: body)
            #expect(reply.status == .unprocessableContent, "\(reply.text)")
            #expect(reply.headers[.contentType] == "application/problem+json")
            #expect(reply.problemField == field, "\(reply.text)")
            #expect(reply["detail"]?.stringValue?.contains(phrase) == true, "\(reply.text)")
            #expect(try await client.send(.get, "/v1/schedules")["schedules"] == [])
        }
    }

    @Test func aCronErrorSaysWhichFieldAndPosition() async throws {
        try await TestServer().run { client in
            let body = #"{"name": "x", "trigger": {"type": "cron", "expression": "0 3 * * mon-xyz"}, \#(Self.action)}"#
            let reply = try await client.send(.post, "/v1/schedules", json: body)
            let detail = try #require(reply["detail"]?.stringValue)
            #expect(detail.contains("day-of-week") || detail.contains("day of week"), "\(detail)")
            #expect(detail.contains("position") || detail.contains("column") || detail.contains("offset"), "\(detail)")
        }
    }

    @Test func unreadableJSONIsA400AndAWrongMediaTypeA415() async throws {
        try await TestServer().run { client in
            let broken = try await client.send(.post, "/v1/schedules", json: #"{"name": "#)
            #expect(broken.status == .badRequest)
            #expect(broken.problemField == "body")
            let text = try await client.send(.post, "/v1/schedules", json: cronSchedule, headers: [.contentType: "text/plain"])
            #expect(text.status == .unsupportedMediaType)
        }
    }

    @Test func aBodyOverTheLimitIsA413() async throws {
        try await TestServer(configure: { $0.maximumBodyBytes = 4096 }).run { client in
            let huge = #"{"name": "\#(String(repeating: "x", count: 10_000))"}"#
            let reply = try await client.send(.post, "/v1/schedules", json: huge)
            #expect(reply.status == .contentTooLarge)
            #expect(reply.problemField == "body")
        }
    }

    @Test func unknownIdsAreA404OnEveryRoute() async throws {
        try await TestServer().run { client in
            for (method, path) in [
                (HTTPRequest.Method.get, ""), (.patch, ""), (.delete, ""), (.post, "/pause"), (.post, "/resume"), (.post, "/trigger"), (.get, "/runs"),
            ] {
                let reply = try await client.send(method, "/v1/schedules/s-nope\(path)", json: method == .patch ? #"{"name": "y"}"# : nil)
                #expect(reply.status == .notFound, "\(method) \(path): \(reply.text)")
                #expect(reply.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test func badQueryParametersAndHeadersAreNamed() async throws {
        try await TestServer().run { client in
            #expect(try await client.send(.get, "/v1/schedules?status=sleeping").problemField == "status")
            #expect(try await client.send(.get, "/v1/schedules?limit=0").problemField == "limit")
            #expect(try await client.send(.get, "/v1/schedules?cursor=%%%").problemField == "cursor")
            let key = try await client.send(.post, "/v1/schedules", json: cronSchedule, headers: [.idempotencyKey: "has space"])
            #expect(key.problemField == "Idempotency-Key")
            let pause = try await client.send(.post, "/v1/schedules/x/pause", json: #"{"reason": "x"}"#)
            #expect(pause.problemField == "reason")
        }
    }

    @Test func durationsReadTheSeedsForms() throws {
        #expect(try DurationText.parse("20m", field: "f") == .seconds(1200))
        #expect(try DurationText.parse("1h30m", field: "f") == .seconds(5400))
        #expect(try DurationText.parse("250ms", field: "f") == .milliseconds(250))
        #expect(try DurationText.parse("2d", field: "f") == .seconds(172_800))
        #expect(try DurationText.parse(.integer(90), field: "f") == .seconds(90))
        #expect(throws: Problem.self) { try DurationText.parse("30m1h", field: "f") }
        #expect(throws: Problem.self) { try DurationText.parse("5", field: "f") }
        #expect(DurationText.format(.seconds(5400)) == "1h30m")
        #expect(DurationText.format(.milliseconds(1250)) == "1s250ms")
    }
}
