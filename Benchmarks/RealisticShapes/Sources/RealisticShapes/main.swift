// Issue 15's shapes, measured as a user would build them: DAG runs on the system clock with the
// default configuration, and the load of a state built by ordinary `schedule` calls.
//
//   RealisticShapes dag random|chain|fan JOBS [SAMPLES [async]]   fire → waitForDAGRun, per sample
//                                                          (bodies: a `{ _ in }` literal, or async)
//   RealisticShapes plain JOBS [SAMPLES]                   the same jobs on a plain Scheduler
//   RealisticShapes state build JOBS DIR                   builds DIR/state.json (+ journal)
//   RealisticShapes state load DIR [SAMPLES]               open + register + start of a copy
//
// Each prints one line per sample and a median line; times are wall clock, CPU is the process's
// user + system time over the same span (all threads).
import Foundation
import Kairos
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A deterministic generator (Knuth's MMIX LCG, high bits), so every sample builds the same graph.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 33)
    }
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func milliseconds(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1_000) }

// MARK: DAG runs

/// The upstream jobs of job `index` (of `count`) in each shape; `nil` for a root. Random: 16 roots
/// on one date, then every job depends on 1–3 distinct jobs among the 180 before it (about 2 edges
/// per job, depth ~224 at 10,000 jobs). Chain: each job on the one before. Fan: one root, every
/// other job on it.
func upstream(of index: Int, shape: String, random: inout SeededGenerator) -> [Int]? {
    switch shape {
    case "random":
        guard index >= 16 else { return nil }
        let window = max(0, index - 180)..<index
        var parents: [Int] = []
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let parent = Int.random(in: window, using: &random)
            if !parents.contains(parent) { parents.append(parent) }
        }
        return parents
    case "chain": return index == 0 ? nil : [index - 1]
    case "fan": return index == 0 ? nil : [0]
    default: fatalError("unknown shape \(shape): random, chain or fan")
    }
}

func depth(shape: String, count: Int) -> (depth: Int, edges: Int) {
    var random = SeededGenerator(state: 42)
    var depths: [Int] = []
    var edges = 0
    for index in 0..<count {
        let parents = upstream(of: index, shape: shape, random: &random) ?? []
        edges += parents.count
        depths.append(1 + (parents.map { depths[$0] }.max() ?? 0))
    }
    return (depths.max() ?? 0, edges)
}

/// An `async` body that does nothing, passed by name so that `schedule` takes its `async` overload.
let emptyAsyncBody: @Sendable (JobContext) async throws -> Void = { _ in }

func measureDAG(shape: String, count: Int, samples: Int, asyncBodies: Bool) async throws {
    let (graphDepth, edges) = depth(shape: shape, count: count)
    print("dag \(shape): \(count) jobs, \(edges) edges, depth \(graphDepth), \(asyncBodies ? "async" : "closure-literal") bodies")
    var walls: [Double] = []
    var cpus: [Double] = []
    for sample in 0..<samples {
        let dag = DependencyScheduler()
        var random = SeededGenerator(state: 42)
        let lead = max(0.3, Double(count) / 20_000)
        let due = Date(timeIntervalSinceReferenceDate: (Date().timeIntervalSinceReferenceDate + lead).rounded(.up))
        var ids: [JobID] = []
        ids.reserveCapacity(count)
        for index in 0..<count {
            let parents = upstream(of: index, shape: shape, random: &random)
            let trigger: (any Trigger)? = parents == nil ? OnceTrigger(at: due) : nil
            let upstreamIDs = (parents ?? []).map { ids[$0] }
            if asyncBodies {
                ids.append(try dag.schedule(name: "job-\(index)", trigger: trigger, dependsOn: upstreamIDs, emptyAsyncBody))
            } else {
                // What a user writes for a body that does not await: a closure literal.
                ids.append(try dag.schedule(name: "job-\(index)", trigger: trigger, dependsOn: upstreamIDs) { _ in })
            }
        }
        dag.start()
        guard Date() < due else {
            print("sample \(sample): built after the due date; skipped")
            await dag.stop()
            continue
        }
        let cpuBefore = cpuSeconds()
        let run = await dag.waitForDAGRun(at: due)
        let wall = Date().timeIntervalSince(due)
        let cpu = cpuSeconds() - cpuBefore
        precondition(run?.jobs(in: .succeeded).count == count, "not every job succeeded")
        walls.append(wall)
        cpus.append(cpu)
        print("sample \(sample): wall \(milliseconds(wall)), CPU \(milliseconds(cpu))")
        await dag.stop()
    }
    print("median of \(walls.count): wall \(milliseconds(median(walls))), CPU \(milliseconds(median(cpus)))")
}

/// The plain scheduler's cost for the same number of runs: `count` async jobs due at one date,
/// from the due date until the last has finished.
func measurePlain(count: Int, samples: Int) async throws {
    var walls: [Double] = []
    var cpus: [Double] = []
    for sample in 0..<samples {
        let scheduler = Scheduler()
        let due = Date(timeIntervalSinceReferenceDate: (Date().timeIntervalSinceReferenceDate + 0.3).rounded(.up))
        let remaining = Mutex((count, CheckedContinuation<Void, Never>?.none))
        let finished: @Sendable (JobContext) async throws -> Void = { _ in
            let waiter = remaining.withLock { state -> CheckedContinuation<Void, Never>? in
                state.0 -= 1
                return state.0 == 0 ? state.1 : nil
            }
            waiter?.resume()
        }
        for index in 0..<count { try scheduler.schedule(name: "job-\(index)", trigger: OnceTrigger(at: due), finished) }
        scheduler.start()
        let cpuBefore = cpuSeconds()
        await withCheckedContinuation { continuation in
            let done = remaining.withLock { state in
                state.1 = continuation
                return state.0 == 0
            }
            if done { continuation.resume() }
        }
        let wall = Date().timeIntervalSince(due)
        let cpu = cpuSeconds() - cpuBefore
        walls.append(wall)
        cpus.append(cpu)
        print("sample \(sample): wall \(milliseconds(wall)), CPU \(milliseconds(cpu))")
        await scheduler.stop()
    }
    print("median of \(walls.count): wall \(milliseconds(median(walls))), CPU \(milliseconds(median(cpus)))")
}

// MARK: State load

let zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"].map { TimeZone(identifier: $0)! }

/// Job `index` as a user would schedule it: even jobs cron in one of 4 zones, odd jobs on an
/// interval, each with its own small arguments.
func declaration(_ index: Int) throws -> (trigger: any Trigger, arguments: JSONValue) {
    let arguments: JSONValue = ["customer": .number(Double(index)), "report": .string("report-\(index)"), "limit": .number(Double(index % 100))]
    if index % 2 == 0 {
        let expression = "\(index % 60) \(index / 60 % 24) * * \(index % 7)"
        return (try CronTrigger(expression, timeZone: zones[index / 2 % 4]), arguments)
    }
    return (try IntervalTrigger(every: .seconds(600 + index % 3_600)), arguments)
}

func buildState(count: Int, directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let scheduler = try PersistentScheduler(stateFile: directory + "/state.json")
    scheduler.register("work") { _, _ in }
    // Callers on 32 threads share fsyncs (group commit); each call is still an ordinary `schedule`.
    let threads = 32
    let group = DispatchGroup()
    let started = Date()
    for thread in 0..<threads {
        group.enter()
        Thread {
            for index in stride(from: thread, to: count, by: threads) {
                let (trigger, arguments) = try! declaration(index)
                try! scheduler.schedule(name: "job \(index)", function: "work", arguments: arguments, trigger: trigger)
            }
            group.leave()
        }.start()
    }
    group.wait()
    scheduler.close()
    print("built \(count) jobs in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    for file in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
        let size = (try FileManager.default.attributesOfItem(atPath: directory + "/" + file)[.size] as? Int) ?? 0
        print("  \(file): \(size) bytes")
    }
}

func measureLoad(directory: String, samples: Int) throws {
    var opens: [Double] = []
    var totals: [Double] = []
    var cpus: [Double] = []
    for sample in 0..<samples {
        let copy = NSTemporaryDirectory() + "realistic-shapes-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: directory, toPath: copy)
        let cpuBefore = cpuSeconds()
        let start = Date()
        let scheduler = try PersistentScheduler(stateFile: copy + "/state.json")
        let opened = Date()
        scheduler.register("work") { _, _ in }
        scheduler.start()
        let total = Date().timeIntervalSince(start)
        let cpu = cpuSeconds() - cpuBefore
        let open = opened.timeIntervalSince(start)
        precondition(scheduler.unrestoredJobs.isEmpty)
        let jobs = scheduler.jobs().count
        opens.append(open)
        totals.append(total)
        cpus.append(cpu)
        print("sample \(sample): \(jobs) jobs, open \(milliseconds(open)), open + register + start \(milliseconds(total)), CPU \(milliseconds(cpu))")
        scheduler.close()
        try FileManager.default.removeItem(atPath: copy)
    }
    print("median of \(samples): open \(milliseconds(median(opens))), total \(milliseconds(median(totals))), CPU \(milliseconds(median(cpus)))")
}

let arguments = CommandLine.arguments
switch (arguments.count > 2 ? arguments[1] : "", arguments.count > 2 ? arguments[2] : "") {
case ("dag", let shape):
    try await measureDAG(
        shape: shape, count: Int(arguments[3])!, samples: arguments.count > 4 ? Int(arguments[4])! : 11,
        asyncBodies: arguments.count > 5 && arguments[5] == "async")
case ("plain", let jobs):
    try await measurePlain(count: Int(jobs)!, samples: arguments.count > 3 ? Int(arguments[3])! : 11)
case ("state", "build"):
    try buildState(count: Int(arguments[3])!, directory: arguments[4])
case ("state", "load"):
    try measureLoad(directory: arguments[3], samples: arguments.count > 4 ? Int(arguments[4])! : 11)
default:
    print(
        "usage: RealisticShapes dag random|chain|fan JOBS [SAMPLES [async]] | plain JOBS [SAMPLES] | state build JOBS DIR | state load DIR [SAMPLES]"
    )
}
