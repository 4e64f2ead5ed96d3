import Foundation
import Kairos
import KairosPostgresTesting
import Testing

@testable import KairosHTTP

/// Two `kairos-server` processes on one PostgreSQL database: one schedule, run once by either,
/// seen and changed through both, and rescued by one when the other dies mid-run.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct ClusterServerTests {
    /// Runs `body` with two servers on a new database, and stops them and the database after.
    static func withTwoServers(_ body: (ServerProcess, ServerProcess, String) async throws -> Void) async throws {
        try await TemporaryPostgres.with { postgres in
            let url = try await postgres.createDatabase("cluster")
            let a = try ServerProcess(["--postgres", url])
            defer { a.stop() }
            let b = try ServerProcess(["--postgres", url])
            defer { b.stop() }
            try await body(a, b, TestServer.makeDirectory())
        }
    }

    /// A shell action that appends the run's idempotency key, attempt and server process to
    /// `ledger`, then runs `then`.
    static func ledgerSchedule(name: String, trigger: String, ledger: Ledger, then: String = "true") -> String {
        let command = #"echo "$KAIROS_IDEMPOTENCY_KEY $KAIROS_ATTEMPT $PPID" >> \#(ledger.path); \#(then)"#
        let escaped = String(decoding: try! JSONEncoder().encode(command), as: UTF8.self)
        return #"{"name": "\#(name)", "trigger": \#(trigger), "action": {"type": "shell", "command": \#(escaped)}}"#
    }

    @Test func aScheduleCreatedOnOneServerRunsOnceAndShowsOnTheOther() async throws {
        try await Self.withTwoServers { a, b, directory in
            let ledger = Ledger(directory: directory)
            let id = try await a.create(Self.ledgerSchedule(name: "once", trigger: #"{"type": "once", "at": "now"}"#, ledger: ledger))
            let listed = try await b.send(.GET, "/v1/schedules")
            #expect(listed["schedules"]?.arrayValue.compactMap { $0[member: "id"]?.stringValue } == [id])
            let runs = try await b.poll("/v1/schedules/\(id)/runs") { $0.listsRuns }
            let run = try #require(runs["runs"]?.arrayValue.first)
            #expect(run[member: "outcome"]?.stringValue == "succeeded")
            // The one-shot job is completed: nothing more will run; exactly one line was written.
            let lines = ledger.lines
            #expect(lines.count == 1, "\(lines)")
            let pid = try #require(lines.first?.split(separator: " ").last.flatMap { Int32($0) })
            #expect([a.process.processIdentifier, b.process.processIdentifier].contains(pid))
            #expect(try await a.send(.GET, "/v1/schedules/\(id)")["status"]?.stringValue == "completed")
        }
    }

    @Test func pausingOnOneServerStopsTheScheduleOnTheOther() async throws {
        try await Self.withTwoServers { a, b, directory in
            let ledger = Ledger(directory: directory)
            let every = try await a.create(
                Self.ledgerSchedule(name: "every second", trigger: #"{"type": "interval", "interval": "1s"}"#, ledger: ledger))
            _ = try await ledger.waitForLines(1)
            let paused = try await b.send(.POST, "/v1/schedules/\(every)/pause")
            #expect(paused["status"]?.stringValue == "paused" || paused["status"]?.stringValue == "running")
            #expect(try await a.send(.GET, "/v1/schedules/\(every)")["paused"] == .bool(true))
            // A run claimed before the pause may still be starting: wait until none is going.
            _ = try await b.poll("/v1/runs") { $0["runs"]?.arrayValue.isEmpty == true }
            // A marker due two seconds later: once it has run, two due dates of the paused
            // schedule have passed.
            let before = ledger.lines.count
            let at = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2))
            let marker = try await a.create(Self.ledgerSchedule(name: "marker", trigger: #"{"type": "once", "at": "\#(at)"}"#, ledger: ledger))
            let lines = try await ledger.waitForLines(before + 1)
            let markerJob = try #require(try await a.send(.GET, "/v1/schedules/\(marker)")["jobID"]?.stringValue)
            #expect(lines.count == before + 1, "\(lines)")
            #expect(lines.last?.hasPrefix(markerJob + "@") == true, "\(lines)")
        }
    }

    @Test func whenAServerIsKilledMidRunTheOtherRescuesTheRun() async throws {
        try await Self.withTwoServers { a, b, directory in
            let ledger = Ledger(directory: directory)
            let release = directory + "/release"
            let id = try await a.create(
                Self.ledgerSchedule(
                    name: "long", trigger: #"{"type": "once", "at": "now"}"#, ledger: ledger,
                    then: #"while [ ! -f \#(release) ]; do sleep 0.05; done"#))
            let first = try await ledger.waitForLines(1)[0].split(separator: " ")
            let (killed, survivor) = Int32(first[2]) == a.process.processIdentifier ? (a, b) : (b, a)
            #expect(first[1] == "1")
            killed.crash()
            // The killed server's lease expires and the survivor runs the slot again: same key,
            // the next attempt.
            let second = try await ledger.waitForLines(2)[1].split(separator: " ")
            #expect(second[0] == first[0])
            #expect(second[1] == "2")
            #expect(Int32(second[2]) == survivor.process.processIdentifier)
            #expect(FileManager.default.createFile(atPath: release, contents: nil))
            let runs = try await survivor.poll("/v1/schedules/\(id)/runs") { $0.listsRuns }
            let run = try #require(runs["runs"]?.arrayValue.first)
            #expect(run[member: "outcome"]?.stringValue == "succeeded")
            #expect(run[member: "attempt"]?.intValue == 2)
            #expect(ledger.lines.count == 2)
        }
    }

    @Test func aBadURLOrAnUnreachableDatabaseIsAClearError() throws {
        let (badURL, badOutput) = try ServerProcessTests.start(["--postgres", "mysql://nowhere", "--port", "0"])
        badURL.waitUntilExit()
        let badText = String(decoding: badOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(badURL.terminationStatus == 64)
        #expect(badText.contains("--postgres"), "\(badText)")

        let closedPort = try TemporaryPostgres.freePort()
        let (unreachable, output) = try ServerProcessTests.start(
            ["--port", "0"], environment: ["KAIROS_POSTGRES_URL": "postgres://kairos@127.0.0.1:\(closedPort)/kairos"])
        unreachable.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(unreachable.terminationStatus == 69)
        #expect(text.contains("cannot reach PostgreSQL at 127.0.0.1:\(closedPort)"), "\(text)")
    }
}
