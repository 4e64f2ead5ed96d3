// The `--declare` mode of the child: a program that declares its durable schedules at start-up,
// as the README's example does, so that a test can run it several times on one state file.
import Foundation
import Kairos

/// Opens the state, declares three keyed jobs and prints one line per job of the scheduler
/// (`J <key> <id> <status> <next due, seconds since 1970 or -> <runs>`), then `COUNT <jobs>`.
/// With `runManual`, runs the manual job once after declaring it. Returns the exit status.
func declareSchedules(stateFile: String, runManual: Bool) async -> Int32 {
    await withStartedScheduler(stateFile: stateFile, functions: ["tick"]) { scheduler in
        let paris = TimeZone(identifier: "Europe/Paris")!
        try scheduler.schedule(
            key: "weekly-report", name: "weekly report", function: "tick",
            arguments: ["to": "ops@example.com"],
            trigger: try CronTrigger("0 9 * * mon", timeZone: paris),
            options: JobOptions(misfire: .runLatest))
        // Anchored when it is first declared: its next due date must survive restarts.
        try scheduler.schedule(
            key: "hourly-sync", name: "hourly sync", function: "tick",
            trigger: try IntervalTrigger(every: .seconds(3600)))
        let manual = try scheduler.schedule(key: "on-demand", name: "on demand", function: "tick", trigger: ManualTrigger())
        if runManual { _ = try await scheduler.scheduler.runNow(manual) }
        for job in scheduler.jobs().sorted(by: { $0.id < $1.id }) {
            let key = ["weekly-report", "hourly-sync", "on-demand"].first { scheduler.jobID(forKey: $0) == job.id } ?? "-"
            let next = job.nextFireDate.map { String($0.timeIntervalSince1970) } ?? "-"
            emit("J \(key) \(job.id) \(job.status) \(next) \(job.counters.runs)")
        }
        emit("COUNT \(scheduler.jobs().count)")
    }
}

/// Opens the state, registers `functions` (doing nothing), starts, calls `body`, then stops and
/// closes; returns the exit status (3 after printing `E <error>` if anything threw).
func withStartedScheduler(stateFile: String, functions: [String], _ body: (PersistentScheduler) async throws -> Void) async -> Int32 {
    do {
        let scheduler = try PersistentScheduler(stateFile: stateFile)
        for name in functions { scheduler.register(name) { _, _ in } }
        scheduler.start()
        try await body(scheduler)
        await scheduler.stop(timeout: .seconds(5))
        scheduler.close()
        return 0
    } catch {
        emit("E \(error)")
        return 3
    }
}

/// The `--declare-dag` mode: declares a small durable DAG by key (extract → clean → load, load
/// also depending on extract; the root fires on the event `etl.go`); with `fire`, posts the event
/// and waits until the DAG run has finished. Prints one line per DAG job
/// (`D <key> <id> [<upstream ids>] [<finished runs>]`), then `COUNT <DAG jobs>`. Returns the exit status.
func declareDAG(stateFile: String, fire: Bool) async -> Int32 {
    await withStartedScheduler(stateFile: stateFile, functions: ["extract", "clean", "load"]) { scheduler in
        let extract = try scheduler.scheduleDependencyJob(
            key: "etl.extract", name: "extract", function: "extract",
            arguments: ["source": "s3://in"], trigger: SignalTrigger(key: "etl.go"),
            options: .init(misfire: .runLatest))
        let clean = try scheduler.scheduleDependencyJob(key: "etl.clean", name: "clean", function: "clean", dependsOn: [extract])
        let load = try scheduler.scheduleDependencyJob(
            key: "etl.load", name: "load", function: "load", dependsOn: [clean, extract],
            options: .init(retry: try RetryPolicy(maxAttempts: 3)))
        if fire {
            _ = scheduler.send(signal: "etl.go")
            let giveUp = Date().addingTimeInterval(20)
            while scheduler.dependencyRuns(of: load).isEmpty, Date() < giveUp { try await Task.sleep(for: .milliseconds(5)) }
        }
        for key in ["etl.extract", "etl.clean", "etl.load"] {
            guard let id = scheduler.jobID(forKey: key) else {
                emit("D \(key) -")
                continue
            }
            let upstream = scheduler.upstream(of: id).map { "\($0)" }.joined(separator: ",")
            emit("D \(key) \(id) [\(upstream)] \(scheduler.dependencyRuns(of: id).map { "\($0.state)@\($0.dueDate.timeIntervalSince1970)" })")
        }
        emit("COUNT \(scheduler.jobs().filter { !$0.name.hasSuffix(" (trigger)") }.count)")
    }
}
