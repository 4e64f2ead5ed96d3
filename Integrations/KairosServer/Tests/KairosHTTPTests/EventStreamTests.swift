import AsyncHTTPClient
import Foundation
import HTTPTypes
import Kairos
import NIOCore
import Testing

@testable import KairosHTTP

@Suite(.timeLimit(.minutes(1)))
struct EventStreamTests {
    @Test func serverSentEventsDeliverAScheduleRunsOnly() async throws {
        let server = try TestServer()
        try await server.run { client in
            let watched = try await client.create(cronSchedule)
            let other = try await client.create(cronSchedule.replacingOccurrences(of: "nightly", with: "other"))
            let text = try await client.eventsUntilSucceeded(of: watched) {
                // The stream is open: run the other schedule, then the watched one.
                try await client.send(.post, "/v1/schedules/\(other)/trigger")
                try await client.send(.post, "/v1/schedules/\(watched)/trigger")
            }
            #expect(text.contains("event: started"))
            #expect(text.contains(#""schedule":"\#(watched)""#))
            #expect(!text.contains(other))
        }
    }

    @Test func metricsCountRunsInPrometheusText() async throws {
        let server = try TestServer()
        try await server.run { client in
            let id = try await client.create(cronSchedule)
            _ = try await server.event(where: { $0.kind == .succeeded }) { try await client.send(.post, "/v1/schedules/\(id)/trigger") }
            let metrics = try await client.send(.get, "/metrics", token: nil)
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains(#"kairos_runs_total{outcome="succeeded"} 1"#), "\(metrics.text)")
            #expect(metrics.text.contains("kairos_run_lateness_seconds_bucket"))
            #expect(metrics.text.contains("kairos_queue_depth"))
            #expect(metrics.text.contains("kairos_missed_total"))
        }
    }
}
