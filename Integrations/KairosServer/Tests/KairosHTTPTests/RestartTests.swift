import Foundation
import Kairos
import Testing

@testable import KairosHTTP

@Suite(.timeLimit(.minutes(1)))
struct RestartTests {
    @Test func schedulesNotesAndRunHistorySurviveARestart() async throws {
        let first = try TestServer()
        let directory = first.directory
        let ids = Box()
        try await first.run { client in
            let id = try await client.create(shellSchedule("echo persisted", name: "durable"))
            ids.value = id
            _ = try await first.event(where: { $0.kind == .succeeded }) { try await client.send(.post, "/v1/schedules/\(id)/trigger") }
            try await client.send(.post, "/v1/schedules/\(id)/pause", json: #"{"note": "holiday"}"#)
        }
        let second = try TestServer(directory: directory)
        try await second.run { client in
            let schedule = try await client.send(.get, "/v1/schedules/\(ids.value)")
            #expect(schedule["name"] == "durable")
            #expect(schedule["status"] == "paused")
            #expect(schedule["pauseNote"] == "holiday")
            #expect(schedule["action"]?[member: "command"] == "echo persisted")
            let runs = try await client.send(.get, "/v1/schedules/\(ids.value)/runs")["runs"]?.arrayValue ?? []
            #expect(runs.contains { $0[member: "outputTail"] == "persisted\n" })
        }
    }
}

final class Box: @unchecked Sendable {
    // Written once by the first server's body, read after it returns.
    var value = ""
}
