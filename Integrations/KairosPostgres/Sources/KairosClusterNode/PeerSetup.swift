import Foundation
import Kairos
import KairosPostgres
import PostgresNIO

/// The peer benchmarks' `setup` and `submit` commands (peer-benchmarks/cluster/README.md, "Adding
/// a system"): they store jobs through the same API as any client, without running jobs.
struct PeerSetup {
    let command: NodeCommand

    /// How many jobs one `schedule` transaction stores while storing many.
    static let jobsPerTransaction = 5000

    func run() async throws {
        var configuration = try ClusterNode.configuration(command, node: "setup-\(getpid())")
        let options = JobOptions(overlap: command.overlap, misfire: command.misfire)
        switch command.action {
        case .node:
            preconditionFailure("PeerSetup runs setup and submit commands only")
        case .setupPropagation:
            return
        case .setupThroughput(let count):
            let scheduler = try PostgresScheduler(configuration: configuration)
            try await scheduler.migrate()
            // Each due when it is stored: a one-shot due now gets its slot with the job.
            try await Self.scheduleAll(count, on: scheduler) { index in
                .init(
                    key: "j\(index)", name: "j\(index)", function: ClusterNode.ledgerFunction, trigger: OnceTrigger(at: Date()),
                    options: options)
            }
        case .setupRecurring(let count, let fires, let firstFire, let slowJ0):
            let scheduler = try PostgresScheduler(configuration: configuration)
            try await scheduler.migrate()
            let trigger = try IntervalTrigger(
                every: .seconds(1), startingAt: Date(timeIntervalSince1970: Double(firstFire) / 1000),
                repeatCount: fires)
            try await Self.scheduleAll(count, on: scheduler) { index in
                let sleep = index == 0 ? slowJ0 ?? command.jobSleepMilliseconds : command.jobSleepMilliseconds
                let arguments: JSONValue = if let sleep { .object(["sleep_ms": .integer(sleep)]) } else { nil }
                return .init(
                    key: "j\(index)", name: "j\(index)", function: ClusterNode.ledgerFunction, arguments: arguments, trigger: trigger,
                    options: options)
            }
        case .submitPropagation(let name, let trials):
            configuration.nodeID = name
            try await submitPropagation(trials: trials, configuration: configuration, name: name)
        }
    }

    /// `submit NAME propagation T`: schedule `p<i>` due now, wait for its ledger row, pause.
    private func submitPropagation(
        trials: Int, configuration: PostgresScheduler.Configuration, name: String
    ) async throws {
        let scheduler = try PostgresScheduler(configuration: configuration)
        try await scheduler.migrate()
        let client = PostgresClient(configuration: ClusterNode.ledgerClientConfiguration(configuration))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let ledger = try await Ledger.open(client: client, node: name)
            for trial in 0..<trials {
                let job = "p\(trial)"
                _ = try await scheduler.schedule(
                    key: job, name: job, function: ClusterNode.ledgerFunction, trigger: OnceTrigger(at: Date()))
                let deadline = ContinuousClock.now + .seconds(60)
                while try await !ledger.hasRun(job: job) {
                    guard ContinuousClock.now < deadline else { throw NodeFailure("\(job) did not run within 60 s") }
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 200...500)))
            }
        }
    }

    /// Schedules the jobs `job(0..<count)` in transactions of ``jobsPerTransaction``.
    private static func scheduleAll(
        _ count: Int, on scheduler: PostgresScheduler, _ job: (Int) -> PostgresScheduler.JobDefinition
    ) async throws {
        for start in stride(from: 0, to: count, by: jobsPerTransaction) {
            try await scheduler.schedule((start..<min(count, start + jobsPerTransaction)).map(job))
        }
    }
}
