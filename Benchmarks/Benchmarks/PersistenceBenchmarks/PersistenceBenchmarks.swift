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

/// Issue 15's realistic state: a snapshot of `snapshotJobs` jobs as users schedule them (even
/// jobs cron in 4 zones with many expressions, odd jobs on intervals with their own start, each
/// with its own arguments), then `journalJobs` ordinary `schedule` calls from 32 threads (group
/// commit) that stay in the journal.
func writeRealisticState(snapshotJobs: Int, journalJobs: Int, to path: String) {
    let zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"]
    let next = 4_102_444_800  // 2100-01-01
    var text = #"{"format":"kairos-state","version":1,"sequence":0,"nextJobID":\#(snapshotJobs + 1),"jobs":["#
    for id in 1...snapshotJobs {
        if id > 1 { text += "," }
        text += #"{"id":\#(id),"name":"job \#(id)","function":"work","#
        text += #""arguments":{"customer":\#(id),"limit":\#(id % 100),"report":"report-\#(id)"},"trigger":"#
        if id % 2 == 0 {
            text += #"{"kind":"cron","expression":"\#(id % 60) \#(id / 60 % 24) * * \#(id % 7)","timeZone":"\#(zones[id / 2 % 4])"},"#
        } else {
            text += #"{"kind":"interval","seconds":\#(600 + id % 3_600),"start":\#(1_796_000_000 + Double(id) / 7)},"#
        }
        text += #""options":{"overlap":{"kind":"skip"},"misfire":{"mode":"runLatest"}},"status":"pending","next":\#(next + id)}"#
    }
    text += #"],"pipelineRuns":[]}"#
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
    let scheduler = try! PersistentScheduler(stateFile: path)
    scheduler.register("work") { _, _ in }
    // 32 threads, not `concurrentPerform` (one thread per core): callers share fsyncs only while
    // they wait together.
    let threads = 32
    let group = DispatchGroup()
    for thread in 0..<threads {
        group.enter()
        Thread {
            for index in stride(from: thread, to: journalJobs, by: threads) {
                let zone = TimeZone(identifier: zones[index % 4])!
                let trigger = try! CronTrigger("\(index % 60) \(index / 60 % 24) * * *", timeZone: zone)
                try! scheduler.schedule(
                    name: "journal job \(index)", function: "work", arguments: ["customer": .number(Double(index))], trigger: trigger)
            }
            group.leave()
        }.start()
    }
    group.wait()
    scheduler.close()
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

    // Open + restore + start of 100,000 persisted jobs (each state prepared once): the
    // benchmark's own cron jobs, and issue 15's realistic state (88,000 jobs in the snapshot,
    // 12,000 in the journal).
    let loadDirectory = temporaryDirectory()
    writeState(jobs: 100_000, to: loadDirectory + "/state.json")
    let realisticDirectory = temporaryDirectory()
    writeRealisticState(snapshotJobs: 88_000, journalJobs: 12_000, to: realisticDirectory + "/state.json")
    for (name, directory) in [("100,000 jobs", loadDirectory), ("100,000 realistic jobs, 12,000 in the journal", realisticDirectory)] {
        Benchmark("Persistence.load (\(name): open, restore, start)", configuration: .init(maxIterations: 5)) { benchmark in
            // One load per sample; stopping, closing and tearing the 100,000 jobs down are not measured.
            let scheduler = try! PersistentScheduler(stateFile: directory + "/state.json")
            scheduler.register("work") { _, _ in }
            scheduler.start()
            benchmark.stopMeasurement()
            precondition(scheduler.jobs().count == 100_000 && scheduler.unrestoredJobs.isEmpty)
            await scheduler.stop(timeout: .zero)
            scheduler.close()
        }
    }
}
