// JobPipeline benchmarks: a 100-stage × 100-job pipeline with trivial bodies (issue 4), run from
// start to finish on the system clock.
import Benchmark
import Foundation
import Kairos

/// 100 `forEach` stages over a 100-element array: 10,000 jobs, each adding 1 to its element.
func wideChain(stages: Int, width: Int) -> JobPipeline<[Int], [Int]> {
    var pipeline = JobPipeline(name: "bench", input: [Int].self)
    for stage in 0..<stages {
        pipeline = pipeline.forEach("stage-\(stage)") { value, _ in value + 1 }
    }
    return pipeline
}

/// 100 stages of 100 fixed jobs, each receiving the whole previous output and returning its sum.
func fixedJobs(stages: Int, width: Int) -> JobPipeline<[Int], [Int]> {
    var pipeline = JobPipeline(name: "bench-fixed", input: [Int].self)
    for stage in 0..<stages {
        let jobs = (0..<width).map { index in
            PipelineJob<[Int], Int>("job-\(index)") { values, _ in (values.first ?? 0) + index }
        }
        pipeline = pipeline.stage("stage-\(stage)", jobs: jobs)
    }
    return pipeline
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        maxDuration: .seconds(10),
        maxIterations: 30
    )
    let input = Array(0..<100)

    let chain = wideChain(stages: 100, width: 100)
    Benchmark("100 stages × 100 jobs (forEach), start to finish") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try await chain.start(input).value)
        }
    }

    let fixed = fixedJobs(stages: 100, width: 100)
    Benchmark("100 stages × 100 jobs (stage of fixed jobs), start to finish") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try await fixed.start(input).value)
        }
    }
}
