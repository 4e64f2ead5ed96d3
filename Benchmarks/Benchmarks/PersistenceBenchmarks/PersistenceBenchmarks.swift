// Persistence benchmarks: durable `schedule` calls (each fsynced before it returns), and the
// time to open, restore and start a state of 100,000 persisted jobs.
import Benchmark
import Foundation
import Kairos

/// A fresh directory under the temporary directory.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "kairos-bench-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes a state snapshot (the documented format, SPEC §7) of `count` cron jobs, each with
/// small JSON arguments, all due in the future.
func writeState(jobs count: Int, to path: String) {
    var text = #"{"format":"kairos-state","version":1,"sequence":0,"nextJobID":\#(count + 1),"jobs":["#
    let next = 4_102_444_800  // 2100-01-01
    for id in 1...count {
        if id > 1 { text += "," }
        text += #"{"id":\#(id),"name":"job \#(id)","function":"work","arguments":{"customer":\#(id % 977),"report":"daily"},"#
        text += #""trigger":{"kind":"cron","expression":"\#(id % 60) 3 * * *","timeZone":"Europe/Paris"},"#
        text += #""options":{"overlap":{"kind":"skip"},"misfire":{"mode":"runLatest"}},"status":"pending","next":\#(next + id)}"#
    }
    text += #"],"pipelineRuns":[]}"#
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 20
    )

    // One durable schedule per iteration; the state grows by one job each time.
    let scheduleDirectory = temporaryDirectory()
    let durable = try! PersistentScheduler(stateFile: scheduleDirectory + "/state.json")
    durable.register("work") { _, _ in }
    durable.start()
    let trigger = try! CronTrigger("0 3 * * *", timeZone: TimeZone(identifier: "Europe/Paris")!)
    Benchmark("Persistence.schedule (durable, fsync per call)", configuration: .init(maxDuration: .seconds(5), maxIterations: 2_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! durable.schedule(name: "report", function: "work", arguments: ["customer": 42], trigger: trigger))
        }
    }

    // Open + restore + start of 100,000 persisted jobs (the state file is prepared once).
    let loadDirectory = temporaryDirectory()
    writeState(jobs: 100_000, to: loadDirectory + "/state.json")
    Benchmark("Persistence.load (100,000 jobs: open, restore, start)", configuration: .init(maxIterations: 5)) { benchmark in
        // One load per sample; stopping, closing and tearing the 100,000 jobs down are not measured.
        let scheduler = try! PersistentScheduler(stateFile: loadDirectory + "/state.json")
        scheduler.register("work") { _, _ in }
        scheduler.start()
        benchmark.stopMeasurement()
        precondition(scheduler.jobs().count == 100_000 && scheduler.unrestoredJobs.isEmpty)
        await scheduler.stop(timeout: .zero)
        scheduler.close()
    }
}
