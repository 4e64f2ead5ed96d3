// The child process of `PersistenceCrashTests`: it opens a state file, then schedules, cancels,
// pauses, resumes and completes jobs in a loop until it is killed.
//
// usage: KairosCrashChild STATE_FILE SEED
//
// Standard output, one line per event, written unbuffered (so a SIGKILL loses none):
//   READY                  the state was opened and restored
//   B <op> [id]            an operation is about to be called (S schedule, C cancel, P pause,
//                          R resume, D complete)
//   <op> <id>              the operation returned: the change is acknowledged
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
for job in scheduler.jobs() {
    if job.status == .pending { pending.append(job.id) }
    if job.status == .paused { paused.append(job.id) }
}
let farFuture = Date(timeIntervalSince1970: 4_102_444_800)
var counter = 0
while true {
    counter += 1
    let choice = Int.random(in: 0..<10, using: &random)
    let total = pending.count + paused.count
    if choice < 3 || total < 5 || (choice < 5 && total < 100) {
        emit("B S")
        let trigger = try IntervalTrigger(every: .seconds(3600), startingAt: farFuture)
        let id = try scheduler.schedule(name: "job \(counter)", function: "work", arguments: ["n": .number(Double(counter))], trigger: trigger)
        emit("S \(id)")
        pending.append(id)
    } else if choice < 6 {
        let fromPaused = !paused.isEmpty && Bool.random(using: &random)
        let id = fromPaused ? paused.remove(at: Int.random(in: 0..<paused.count, using: &random))
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
