import Foundation
import KairosTestSupport

@testable import Kairos

/// Jobs, runs and directories shared by the persistence tests.
enum StateFixtures {
    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)

    static func job(_ number: UInt64, runs: Int = 0, status: String = "pending") -> PersistedJob {
        var counters = JobCounters()
        counters.runs = runs
        counters.failures = runs / 3
        counters.missed = runs % 2
        return PersistedJob(
            id: JobID(rawValue: number),
            name: "job-\(number) \"quoted\" / é",
            function: "reports.send",
            arguments: ["recipient": "ops@example.com", "retries": .number(Double(number)), "tags": ["a", "b"], "dry": false, "none": nil],
            trigger: ["kind": "cron", "expression": "*/5 * * * *", "timeZone": "Europe/Paris"],
            options: ["overlap": "skip", "misfire": ["window": 3600, "catchUp": "latest"]],
            status: status,
            counters: counters,
            nextFireDate: epoch.addingTimeInterval(Double(number) * 60),
            lastFireDate: runs > 0 ? epoch.addingTimeInterval(-60) : nil,
            inFlight: runs > 1 ? [InFlightRun(dueDate: epoch.addingTimeInterval(-30), attempt: runs % 3 + 1)] : [])
    }

    static func run(_ id: String, stage: Int) -> PersistedPipelineRun {
        PersistedPipelineRun(
            id: id, pipeline: "nightly-etl",
            checkpoint: ["stage": .number(Double(stage)), "results": ["extract": "ok"], "waitingFor": "upload-done"])
    }

    /// A fresh directory under the temporary directory, removed by the caller.
    static func temporaryDirectory() -> String { makeTemporaryDirectory(prefix: "kairos-state") }

    /// The names and bytes of every file in `directory`.
    static func contents(of directory: String) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result: [String: Data] = [:]
        for name in names {
            result[name] = FileManager.default.contents(atPath: directory + "/" + name)
        }
        return result
    }
}
