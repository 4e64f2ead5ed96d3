// Kairos on the peer scheduler workloads of ../shared/peer-benchmarks/scheduler (same arguments,
// same output lines, so the figures sit beside the peers'): one process per workload.
//
// Usage: SchedulerBenchmarks throughput N | lateness N P | memory N | schedule N
import Foundation
import Kairos
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

let counter = Atomic<Int>(0)
let doneSemaphore = DispatchSemaphore(value: 0)
let hour: TimeInterval = 3600

/// Same fixed pseudo-random spread of future due times (over ~1 s) as the peers.
func offset(_ i: Int, _ n: Int) -> TimeInterval { Double(i * 7919 % n) * 1e-6 }

func nanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func rssBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { fatalError("no VmRSS") }
    return (Int(line.filter(\.isNumber)) ?? 0) * 1024
}

func argument(_ index: Int) -> Int {
    guard CommandLine.arguments.count > index, let value = Int(CommandLine.arguments[index]) else {
        print("usage: throughput N | lateness N P | memory N | schedule N")
        exit(2)
    }
    return value
}

func format(_ value: Double) -> String { String(Int(value.rounded())) }

func throughput(_ n: Int) throws {
    let scheduler = Scheduler()
    scheduler.start()
    let t0 = nanoseconds()
    for _ in 0..<n {
        try scheduler.schedule(trigger: OnceTrigger(at: Date())) { _ in
            if counter.add(1, ordering: .relaxed).newValue == n { doneSemaphore.signal() }
        }
    }
    doneSemaphore.wait()
    let seconds = Double(nanoseconds() - t0) / 1e9
    print("jobs_per_s \(format(Double(n) / seconds))")
}

func lateness(_ n: Int, _ p: Int) throws {
    let scheduler = Scheduler()
    scheduler.start()
    let start = Date()
    for i in 0..<p {
        try scheduler.schedule(trigger: OnceTrigger(at: start.addingTimeInterval(hour + offset(i, p)))) { _ in }
    }
    var late = UnsafeMutableBufferPointer<Int64>.allocate(capacity: n)
    nonisolated(unsafe) let lateness = late
    let fired = LockedFired()
    if ProcessInfo.processInfo.environment["KAIROS_TRACE"] != nil {
        scheduler.onEvent { event in
            if event.kind == .fired, let due = event.dueDate { fired.add(event.date.timeIntervalSince(due)) }
        }
    }
    defer { fired.report() }
    let base = Date().addingTimeInterval(1)
    for i in 0..<n {
        let due = base.addingTimeInterval(2 * Double(i) / Double(n))
        try scheduler.schedule(trigger: OnceTrigger(at: due)) { context in
            lateness[i] = Int64((Date().timeIntervalSince(context.dueDate) * 1e9).rounded())
            if counter.add(1, ordering: .relaxed).newValue == n { doneSemaphore.signal() }
        }
    }
    doneSemaphore.wait()
    late.sort()
    func micros(_ value: Int64) -> String { String(format: "%.1f", Double(value) / 1000) }
    print("lateness_us p50 \(micros(late[n / 2])) p99 \(micros(late[Int(Double(n) * 0.99)])) max \(micros(late[n - 1]))")
}

/// Diagnostics (KAIROS_TRACE=1): how late the scheduler thread fired, before the executor.
final class LockedFired: @unchecked Sendable {
    let lock = NSLock()
    var values: [Double] = []
    func add(_ value: Double) { lock.lock(); values.append(value); lock.unlock() }
    func report() {
        guard !values.isEmpty else { return }
        let sorted = values.sorted()
        func micros(_ v: Double) -> String { String(format: "%.1f", v * 1e6) }
        print("fired_late_us p50 \(micros(sorted[sorted.count / 2])) p99 \(micros(sorted[Int(Double(sorted.count) * 0.99)])) max \(micros(sorted.last!))")
    }
}

func memory(_ n: Int) throws {
    let scheduler = Scheduler()
    scheduler.start()
    try scheduler.schedule(trigger: OnceTrigger(at: Date())) { _ in }   // warm up threads
    usleep(200_000)
    let r0 = rssBytes()
    var ids: [JobID] = []
    ids.reserveCapacity(n)
    let start = Date()
    for i in 0..<n {
        ids.append(try scheduler.schedule(trigger: OnceTrigger(at: start.addingTimeInterval(hour + offset(i, n)))) { _ in })
    }
    usleep(500_000)
    let r1 = rssBytes()
    print("bytes_per_job \(format(Double(r1 - r0) / Double(n)))")
    withExtendedLifetime(ids) {}
}

func schedule(_ n: Int) throws {
    let scheduler = Scheduler()
    scheduler.start()
    var ids: [JobID] = []
    ids.reserveCapacity(n)
    let start = Date()
    let t0 = nanoseconds()
    for i in 0..<n {
        ids.append(try scheduler.schedule(trigger: OnceTrigger(at: start.addingTimeInterval(hour + offset(i, n)))) { _ in })
    }
    let t1 = nanoseconds()
    for id in ids { scheduler.cancel(id) }
    let t2 = nanoseconds()
    let count = Double(n)
    print("schedule_ns \(format(Double(t1 - t0) / count)) cancel_ns \(format(Double(t2 - t1) / count))")
}

switch CommandLine.arguments.dropFirst().first {
case "throughput": try throughput(argument(2))
case "lateness": try lateness(argument(2), argument(3))
case "memory": try memory(argument(2))
case "schedule": try schedule(argument(2))
default: _ = argument(99)
}
exit(0)
