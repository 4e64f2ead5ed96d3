// Scheduler micro-benchmarks with package-benchmark: the per-fire cost and allocations of the
// firing path (scheduler thread + executor), and schedule + cancel with many jobs pending.
// The peer workloads (throughput, lateness, memory) are in SchedulerBenchmarks.
import Benchmark
import Dispatch
import Foundation
import Kairos
import Synchronization

/// 1,000 recurring jobs on a manual clock: each benchmark iteration advances the clock one
/// interval and waits until all 1,000 have run, so `mallocCountTotal / 1000` is the allocations
/// per fire (the manual clock's own advance allocates a few times per iteration).
final class FiringBench: Sendable {
    static let jobs = 1_000
    let clock = ManualClock(now: Date(timeIntervalSince1970: 1_767_225_600))
    let scheduler: Scheduler
    let finished = Atomic<Int>(0)
    let done = DispatchSemaphore(value: 0)

    init() throws {
        scheduler = Scheduler(configuration: .init(clock: clock))
        let start = clock.now.date.addingTimeInterval(1)
        for _ in 0..<Self.jobs {
            // allowAll: a run whose body has returned may not be recorded as finished yet when the
            // next iteration advances the clock; with `.skip` that fire would be dropped.
            try scheduler.schedule(trigger: try IntervalTrigger(every: .seconds(1), startingAt: start),
                                   options: JobOptions(overlap: .allowAll(limit: 2))) { [self] _ in
                if finished.add(1, ordering: .relaxed).newValue % Self.jobs == 0 { done.signal() }
            }
        }
        scheduler.start()
    }

    func fireOnce() {
        clock.advance(by: .seconds(1))
        done.wait()
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        warmupIterations: 5,
        maxDuration: .seconds(3),
        maxIterations: .kilo(10)
    )

    Benchmark("Scheduler.fire 1000 sync jobs") { (benchmark: Benchmark, bench: FiringBench) in
        for _ in benchmark.scaledIterations { bench.fireOnce() }
    } setup: {
        try FiringBench()
    }

    Benchmark("Scheduler.schedule+cancel (100k pending)", configuration: .init(scalingFactor: .kilo)) { (benchmark: Benchmark, scheduler: Scheduler) in
        let start = Date().addingTimeInterval(3600)
        for i in benchmark.scaledIterations {
            guard let id = try? scheduler.schedule(trigger: OnceTrigger(at: start.addingTimeInterval(Double(i % 997))), { _ in }) else {
                return benchmark.error("schedule failed")
            }
            blackHole(scheduler.cancel(id))
        }
    } setup: {
        let scheduler = Scheduler()
        let start = Date().addingTimeInterval(3600)
        for i in 0..<100_000 {
            try scheduler.schedule(trigger: OnceTrigger(at: start.addingTimeInterval(Double(i * 7919 % 100_000) * 1e-5))) { _ in }
        }
        return scheduler
    }
}
