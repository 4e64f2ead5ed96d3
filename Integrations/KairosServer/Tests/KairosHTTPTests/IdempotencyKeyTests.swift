import Foundation
import HTTPTypes
import Kairos
import Synchronization
import Testing

@testable import KairosHTTP

/// Creates with an `Idempotency-Key`: one schedule per key however many requests race, keys
/// that do not wait for each other, and digests that survive a restart and a torn journal.
@Suite(.timeLimit(.minutes(1)))
struct IdempotencyKeyTests {
    static func body(_ name: String) -> String { cronSchedule.replacingOccurrences(of: "nightly", with: name) }

    @Test func racingCreatesWithOneKeyMakeOneScheduleAndGiveEveryoneItsAnswer() async throws {
        try await TestServer().run { client in
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await client.send(.post, "/v1/schedules", json: Self.body("race"), headers: [.idempotencyKey: "race-1"]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.filter { $0.status == .created }.count == 1)
            #expect(replies.filter { $0.status == .ok && $0.headers[.idempotentReplayed] == "true" }.count == 15)
            #expect(Set(replies.compactMap { $0["id"]?.stringValue }) == ["i-race-1"])
            #expect(Set(replies.compactMap { $0["jobID"]?.stringValue }).count == 1)
            #expect(try await client.send(.get, "/v1/schedules")["schedules"]?.arrayValue.count == 1)
        }
    }

    @Test func racingCreatesWithDifferentKeysAreAllCreated() async throws {
        try await TestServer().run { client in
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for index in 0..<32 {
                    group.addTask {
                        try await client.send(.post, "/v1/schedules", json: Self.body("job-\(index)"), headers: [.idempotencyKey: "key-\(index)"])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .created })
            #expect(Set(replies.compactMap { $0["id"]?.stringValue }) == Set((0..<32).map { "i-key-\($0)" }))
            let listed = try await client.send(.get, "/v1/schedules?limit=100")["schedules"]?.arrayValue ?? []
            #expect(listed.count == 32)
        }
    }

    /// A create waits only for requests on its own schedule: with the gate of `i-held` held, a
    /// create under another key is answered (the test client sends one request at a time, so the
    /// wait of a create under `held` is shown by the racing creates above).
    @Test func aCreateWaitsOnlyForItsOwnKey() async throws {
        let server = try TestServer()
        try await server.run { client in
            let (released, release) = AsyncStream<Void>.makeStream()
            let (held, holding) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await server.api.gate.withGate("i-held") {
                    holding.yield()
                    for await _ in released { break }
                }
            }
            for await _ in held { break }
            let other = try await client.send(.post, "/v1/schedules", json: Self.body("free"), headers: [.idempotencyKey: "free"])
            #expect(other.status == .created)
            release.yield()
            try await holder.value
            let afterwards = try await client.send(.post, "/v1/schedules", json: Self.body("held"), headers: [.idempotencyKey: "held"])
            #expect(afterwards.status == .created)
        }
    }

    @Test func aKeyIsRememberedAcrossARestart() async throws {
        let first = try TestServer()
        let created = Box()
        try await first.run { client in
            let reply = try await client.send(.post, "/v1/schedules", json: Self.body("kept"), headers: [.idempotencyKey: "kept"])
            #expect(reply.status == .created)
            created.value = reply["jobID"]?.stringValue ?? ""
            _ = try await client.create(Self.body("gone"), headers: [.idempotencyKey: "gone"])
            #expect(try await client.send(.delete, "/v1/schedules/i-gone").status == .noContent)
        }
        try await TestServer(directory: first.directory).run { client in
            let replay = try await client.send(.post, "/v1/schedules", json: Self.body("kept"), headers: [.idempotencyKey: "kept"])
            #expect(replay.status == .ok)
            #expect(replay.headers[.idempotentReplayed] == "true")
            #expect(replay["id"] == "i-kept")
            #expect(replay["jobID"]?.stringValue == created.value)
            let other = try await client.send(.post, "/v1/schedules", json: Self.body("changed"), headers: [.idempotencyKey: "kept"])
            #expect(other.status == .unprocessableContent)
            #expect(other.problemField == "Idempotency-Key")
            let deleted = try await client.send(.post, "/v1/schedules", json: Self.body("gone"), headers: [.idempotencyKey: "gone"])
            #expect(deleted.status == .conflict)
            #expect(try await client.send(.get, "/v1/schedules")["schedules"]?.arrayValue.count == 1)
        }
    }

    /// A journal cut off in an append (and with a line that is no record) keeps its records, is
    /// rewritten without the rest, and takes new records after them.
    @Test func aTornJournalKeepsItsRecords() async throws {
        let first = try TestServer()
        try await first.run { client in
            _ = try await client.create(Self.body("kept"), headers: [.idempotencyKey: "kept"])
        }
        let journal = first.directory + "/state.json.server.json.idempotency"
        let written = try String(contentsOfFile: journal, encoding: .utf8)
        #expect(written.hasPrefix("kept ") && written.hasSuffix("\n"))
        try (written + "not a record\n" + "torn 0123").write(toFile: journal, atomically: false, encoding: .utf8)
        let second = try TestServer(directory: first.directory)
        #expect(second.api.idempotency.droppedLines.count == 2)
        #expect(try String(contentsOfFile: journal, encoding: .utf8) == written)
        try await second.run { client in
            let other = try await client.send(.post, "/v1/schedules", json: Self.body("changed"), headers: [.idempotencyKey: "kept"])
            #expect(other.status == .unprocessableContent)
            _ = try await client.create(Self.body("new"), headers: [.idempotencyKey: "new"])
        }
        let reopened = IdempotencyJournal(file: journal)
        #expect(reopened.droppedLines.isEmpty)
        #expect(reopened.digest(forKey: "kept") != nil && reopened.digest(forKey: "new") != nil)
    }

    /// A records file cut off is set aside; the schedules, in the state file, are all still there.
    @Test func aTornRecordsFileLosesNoSchedule() async throws {
        let first = try TestServer()
        try await first.run { client in
            _ = try await client.create(Self.body("kept"), headers: [.idempotencyKey: "kept"])
            try await client.send(.post, "/v1/schedules/i-kept/pause", json: #"{"note": "a note"}"#)
        }
        let records = first.directory + "/state.json.server.json"
        let data = try #require(FileManager.default.contents(atPath: records))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: records))
        try await TestServer(directory: first.directory).run { client in
            let schedule = try await client.send(.get, "/v1/schedules/i-kept")
            #expect(schedule.status == .ok)
            #expect(schedule["status"] == "paused")
            #expect(schedule["pauseNote"] == .null || schedule["pauseNote"] == nil)
            let replay = try await client.send(.post, "/v1/schedules", json: Self.body("kept"), headers: [.idempotencyKey: "kept"])
            #expect(replay.status == .ok)
        }
        #expect(FileManager.default.fileExists(atPath: records + ".unreadable"))
    }

    /// The digests an older server kept in its records file move to the journal.
    @Test func digestsOfAnOlderRecordsFileMoveToTheJournal() async throws {
        let first = try TestServer()
        try await first.run { client in
            _ = try await client.create(Self.body("old"), headers: [.idempotencyKey: "old"])
        }
        let records = first.directory + "/state.json.server.json"
        let journal = records + ".idempotency"
        let digest = try #require(IdempotencyJournal(file: journal).digest(forKey: "old"))
        try FileManager.default.removeItem(atPath: journal)
        let legacy = #"{"history": {}, "idempotency": {"old": "\#(digest)"}, "notes": {}}"#
        try legacy.write(toFile: records, atomically: true, encoding: .utf8)
        try await TestServer(directory: first.directory).run { client in
            let other = try await client.send(.post, "/v1/schedules", json: Self.body("changed"), headers: [.idempotencyKey: "old"])
            #expect(other.status == .unprocessableContent)
        }
        #expect(IdempotencyJournal(file: journal).digest(forKey: "old") == digest)
        let rewritten = try #require(FileManager.default.contents(atPath: records))
        #expect(!String(decoding: rewritten, as: UTF8.self).contains(digest))
    }

    /// Records racing on the journal all become durable, sharing fsyncs.
    @Test func recordsRacingOnTheJournalAreAllKept() async throws {
        let file = TestServer.makeDirectory() + "/journal"
        let journal = IdempotencyJournal(file: file)
        let digest = String(repeating: "ab", count: 32)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 { group.addTask { try await journal.record(digest, forKey: "k\(index)") } }
            try await group.waitForAll()
        }
        #expect((0..<200).allSatisfy { journal.digest(forKey: "k\($0)") == digest })
        let reopened = IdempotencyJournal(file: file)
        #expect(reopened.droppedLines.isEmpty)
        #expect((0..<200).allSatisfy { reopened.digest(forKey: "k\($0)") == digest })
    }
}
