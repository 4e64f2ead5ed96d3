// DependencyScheduler benchmarks: 10,000-node DAGs (random edges, a chain, a fan) with trivial
// synchronous bodies, from the root's fire to the end of the DAG run (issue 4: under 50 ms of
// scheduling overhead; issue 15: under 25 ms for the random shape).
import Benchmark
import Foundation
import Kairos

/// A deterministic generator (Knuth's MMIX LCG, high bits), so every iteration builds the same graph.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 33)
    }
}

/// One root, then `count − 1` jobs that each depend on 1–3 random earlier jobs (so the graph is
/// acyclic, connected to the root, and has about 2 edges per job). Returns the scheduler and the
/// DAG run's due date.
func randomDAG(count: Int, clock: ManualClock) throws -> (DependencyScheduler, Date) {
    var random = SeededGenerator(state: 42)
    let dag = DependencyScheduler(configuration: .init(clock: clock))
    let due = clock.now.date.addingTimeInterval(1)
    var ids = [try dag.schedule(name: "job-0", trigger: OnceTrigger(at: due)) { _ in }]
    ids.reserveCapacity(count)
    for index in 1..<count {
        let upstream = (0..<Int.random(in: 1...3, using: &random)).map { _ in ids[Int.random(in: 0..<index, using: &random)] }
        ids.append(try dag.schedule(name: "job-\(index)", dependsOn: upstream) { _ in })
    }
    return (dag, due)
}

/// A chain (each job on the one before; depth `count`) or a fan (one root, every other job on
/// it), the other shapes of issue 15 (`RealisticShapes/` measures them on the system clock).
func shapedDAG(_ shape: String, count: Int, clock: ManualClock) throws -> (DependencyScheduler, Date) {
    let dag = DependencyScheduler(configuration: .init(clock: clock))
    let due = clock.now.date.addingTimeInterval(1)
    var ids = [try dag.schedule(name: "job-0", trigger: OnceTrigger(at: due)) { _ in }]
    ids.reserveCapacity(count)
    for index in 1..<count {
        ids.append(try dag.schedule(name: "job-\(index)", dependsOn: [shape == "chain" ? ids[index - 1] : ids[0]]) { _ in })
    }
    return (dag, due)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        maxDuration: .seconds(10),
        maxIterations: 30
    )

    // From the roots' fire to the end of the DAG run, a fresh graph per iteration.
    let shapes: [(name: String, build: @Sendable (ManualClock) throws -> (DependencyScheduler, Date))] = [
        ("random", { try randomDAG(count: 10_000, clock: $0) }),
        ("chain", { try shapedDAG("chain", count: 10_000, clock: $0) }),
        ("fan", { try shapedDAG("fan", count: 10_000, clock: $0) }),
    ]
    for shape in shapes {
        Benchmark("10,000-node \(shape.name) DAG, fire to finish") { benchmark in
            for _ in benchmark.scaledIterations {
                let clock = ManualClock()
                let (dag, due) = try shape.build(clock)
                dag.start()
                benchmark.startMeasurement()
                clock.advance(to: due)
                let run = await dag.waitForDAGRun(at: due)
                benchmark.stopMeasurement()
                precondition(run?.jobs(in: .succeeded).count == 10_000)
                await dag.stop()
            }
        }
    }

    Benchmark("10,000-node random DAG, building the graph") { benchmark in
        for _ in benchmark.scaledIterations {
            let clock = ManualClock()
            benchmark.startMeasurement()
            let (dag, _) = try randomDAG(count: 10_000, clock: clock)
            benchmark.stopMeasurement()
            blackHole(dag)
        }
    }
}
