// The child process of `PersistenceCrashTests`: it opens a state file, then schedules, cancels,
// pauses, resumes and completes jobs in a loop until it is killed.
//
// usage: KairosCrashChild STATE_FILE SEED
//
// Standard output, one line per event, written unbuffered (so a SIGKILL loses none):
//   READY                  the state was opened and restored
//   B <op> [id]            an operation is about to be called (S schedule, C cancel, P pause,
//                          R resume, D complete; DAG jobs: A add a root, N add a dependent,
//                          L add an edge, X remove, G run a DAG run)
//   <op> <id>              the operation returned: the change is acknowledged
//   N <id> <upstream>      a dependent was added; L <id> <upstream>: an edge was added
//   G <id> <due>           the DAG run of root <id> for <due> (seconds since 1970) finished
//   E <message>            opening failed
import Foundation
import Kairos

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func emit(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { exit(4) }
            offset += written
        }
    }
}

/// SplitMix64: a seeded generator, so a failing sequence can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let arguments = CommandLine.arguments
// usage: KairosCrashChild --declare STATE_FILE [--run-manual] (see Declarations.swift)
if arguments.count >= 3, arguments[1] == "--declare" {
    exit(await declareSchedules(stateFile: arguments[2], runManual: arguments.dropFirst(3).contains("--run-manual")))
}
// usage: KairosCrashChild --declare-dag STATE_FILE [--fire] (see Declarations.swift)
if arguments.count >= 3, arguments[1] == "--declare-dag" {
    exit(await declareDAG(stateFile: arguments[2], fire: arguments.dropFirst(3).contains("--fire")))
}
guard arguments.count == 3, let seed = UInt64(arguments[2]) else {
    emit("E usage: KairosCrashChild STATE_FILE SEED")
    exit(2)
}
var random = SplitMix(state: seed)
let scheduler: PersistentScheduler
do {
    scheduler = try PersistentScheduler(stateFile: arguments[1], configuration: .init(compactionMinimumBytes: 16_384))
} catch {
    emit("E \(error)")
    exit(3)
}
scheduler.register("work") { _, _ in }
scheduler.start()
emit("READY")

var pending: [JobID] = []
var paused: [JobID] = []
var dagJobs: [JobID] = []
var lastDueMilliseconds = 0.0
var roots = Set<JobID>()
for job in scheduler.jobs() {
    if job.name.hasPrefix("dag ") {
        if !job.name.hasSuffix("(trigger)") && job.status != .cancelled {
            dagJobs.append(job.id)
            if scheduler.upstream(of: job.id).isEmpty { roots.insert(job.id) }
        }
        continue
    }
    if job.status == .pending { pending.append(job.id) }
    if job.status == .paused { paused.append(job.id) }
}

/// One change to the durable dependency graph, chosen at random.
@MainActor func changeGraph(_ choice: Int) async throws {
    let farFuture = Date(timeIntervalSince1970: 4_102_444_800)
    let leaves = dagJobs.filter { scheduler.downstream(of: $0).isEmpty }
    if choice == 0 || dagJobs.isEmpty {
        emit("B A")
        let id = try scheduler.scheduleDependencyJob(
            name: "dag root \(counter)", function: "work",
            trigger: try IntervalTrigger(every: .seconds(3600), startingAt: farFuture))
        emit("A \(id)")
        dagJobs.append(id)
        roots.insert(id)
    } else if choice == 1 || (dagJobs.count > 60 && leaves.isEmpty) {
        let upstream = dagJobs.randomElement(using: &random)!
        emit("B N")
        let id = try scheduler.scheduleDependencyJob(
            name: "dag \(counter)", function: "work", arguments: ["n": .number(Double(counter))],
            dependsOn: [upstream], options: DependencyJobOptions(triggerRule: .allDone))
        emit("N \(id) \(upstream)")
        dagJobs.append(id)
    } else if choice == 2, let (dependent, upstream) = edgeCandidate() {
        // Edges always go from a higher ID to a lower one, so they never close a cycle.
        emit("B L \(dependent)")
        try scheduler.addDependency(dependent, dependsOn: upstream)
        emit("L \(dependent) \(upstream)")
    } else if choice == 3 || dagJobs.count > 60, let leaf = leaves.randomElement(using: &random) {
        emit("B X \(leaf)")
        guard try scheduler.remove(leaf) else { emit("E remove \(leaf) returned false"); exit(5) }
        emit("X \(leaf)")
        dagJobs.removeAll { $0 == leaf }
        roots.remove(leaf)
    } else {
        // A root due now, to the millisecond and after the previous one: every DAG run has its own
        // due date, so that `waitForDAGRun` waits for this one, not an earlier one of that date.
        let due = Date(timeIntervalSince1970: max((Date().timeIntervalSince1970 * 1000).rounded(.down), lastDueMilliseconds + 1) / 1000)
        lastDueMilliseconds = due.timeIntervalSince1970 * 1000
        emit("B G")
        let id = try scheduler.scheduleDependencyJob(name: "dag once \(counter)", function: "work", trigger: OnceTrigger(at: due))
        emit("A \(id)")
        dagJobs.append(id)
        roots.insert(id)
        _ = await scheduler.waitForDAGRun(at: due)
        emit("G \(id) \(due.timeIntervalSince1970)")
    }
}

@MainActor func edgeCandidate() -> (JobID, JobID)? {
    let dependents = dagJobs.filter { !roots.contains($0) }
    guard let dependent = dependents.randomElement(using: &random) else { return nil }
    let candidates = dagJobs.filter { $0 < dependent && !scheduler.upstream(of: dependent).contains($0) }
    guard let upstream = candidates.randomElement(using: &random) else { return nil }
    return (dependent, upstream)
}
let farFuture = Date(timeIntervalSince1970: 4_102_444_800)
var counter = 0
while true {
    counter += 1
    let choice = Int.random(in: 0..<15, using: &random)
    let total = pending.count + paused.count
    if choice >= 10 {
        try await changeGraph(choice - 10)
    } else if choice < 3 || total < 5 || (choice < 5 && total < 100) {
        emit("B S")
        let trigger = try IntervalTrigger(every: .seconds(3600), startingAt: farFuture)
        let id = try scheduler.schedule(name: "job \(counter)", function: "work", arguments: ["n": .number(Double(counter))], trigger: trigger)
        emit("S \(id)")
        pending.append(id)
    } else if choice < 6 {
        let fromPaused = !paused.isEmpty && Bool.random(using: &random)
        let id =
            fromPaused
            ? paused.remove(at: Int.random(in: 0..<paused.count, using: &random))
            : pending.remove(at: Int.random(in: 0..<pending.count, using: &random))
        emit("B C \(id)")
        guard try scheduler.cancel(id) else { emit("E cancel \(id) returned false"); exit(5) }
        emit("C \(id)")
    } else if choice < 8, !pending.isEmpty {
        let id = pending.remove(at: Int.random(in: 0..<pending.count, using: &random))
        emit("B P \(id)")
        try scheduler.pause(id)
        emit("P \(id)")
        paused.append(id)
    } else if choice < 9, !paused.isEmpty {
        let id = paused.remove(at: Int.random(in: 0..<paused.count, using: &random))
        emit("B R \(id)")
        try scheduler.resume(id)
        emit("R \(id)")
        pending.append(id)
    } else {
        emit("B S")
        let id = try scheduler.schedule(name: "once \(counter)", function: "work", trigger: ManualTrigger(), options: JobOptions(maxRuns: 1))
        emit("S \(id)")
        emit("B D \(id)")
        // `runNow` returns after the finished run was recorded (the observer runs before the
        // run's completion is delivered).
        try await scheduler.scheduler.runNow(id)
        emit("D \(id)")
    }
}
