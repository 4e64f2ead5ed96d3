// The `--declare` mode of the child: a program that declares its durable schedules at start-up,
// as the README's example does, so that a test can run it several times on one state file.
import Foundation
import Kairos

/// Opens the state, declares three keyed jobs and prints one line per job of the scheduler
/// (`J <key> <id> <status> <next due, seconds since 1970 or -> <runs>`), then `COUNT <jobs>`.
/// With `runManual`, runs the manual job once after declaring it. Returns the exit status.
func declareSchedules(stateFile: String, runManual: Bool) async -> Int32 {
    do {
        let scheduler = try PersistentScheduler(stateFile: stateFile)
        scheduler.register("tick") { _, _ in }
        scheduler.start()
        let paris = TimeZone(identifier: "Europe/Paris")!
        try scheduler.schedule(key: "weekly-report", name: "weekly report", function: "tick",
                               arguments: ["to": "ops@example.com"],
                               trigger: try CronTrigger("0 9 * * mon", timeZone: paris),
                               options: JobOptions(misfire: .runLatest))
        // Anchored when it is first declared: its next due date must survive restarts.
        try scheduler.schedule(key: "hourly-sync", name: "hourly sync", function: "tick",
                               trigger: try IntervalTrigger(every: .seconds(3600)))
        let manual = try scheduler.schedule(key: "on-demand", name: "on demand", function: "tick", trigger: ManualTrigger())
        if runManual { _ = try await scheduler.scheduler.runNow(manual) }
        for job in scheduler.jobs().sorted(by: { $0.id < $1.id }) {
            let key = ["weekly-report", "hourly-sync", "on-demand"].first { scheduler.jobID(forKey: $0) == job.id } ?? "-"
            let next = job.nextFireDate.map { String($0.timeIntervalSince1970) } ?? "-"
            emit("J \(key) \(job.id) \(job.status) \(next) \(job.counters.runs)")
        }
        emit("COUNT \(scheduler.jobs().count)")
        await scheduler.stop(timeout: .seconds(5))
        scheduler.close()
        return 0
    } catch {
        emit("E \(error)")
        return 3
    }
}
