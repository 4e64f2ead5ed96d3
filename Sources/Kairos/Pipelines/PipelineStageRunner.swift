import Foundation

/// Runs the jobs of one stage in parallel, with retries, timeouts and the failure policy.
enum PipelineStageRunner {
    private enum JobOutcome<Output: Sendable>: Sendable {
        case succeeded(Output)
        case failed(PipelineJobFailure)
        case cancelled
    }

    private enum AttemptOutcome<Output: Sendable>: Sendable {
        case finished(Output)
        case timedOut
    }

    /// Runs `jobs` as child tasks and returns their outputs in job order.
    ///
    /// - Throws: ``PipelineError/stageFailed(stageIndex:stageName:failures:)``, or
    ///   `CancellationError` when the run was cancelled.
    static func run<Input: Sendable, Output: Sendable>(
        _ jobs: [PipelineJob<Input, Output>],
        input: Input,
        policy: PipelineFailurePolicy,
        execution: StageExecution
    ) async throws -> [Output] {
        var outputs = [Output?](repeating: nil, count: jobs.count)
        var failures: [PipelineJobFailure] = []
        await withTaskGroup(of: (Int, JobOutcome<Output>).self) { group in
            for (index, job) in jobs.enumerated() {
                group.addTask { (index, await runJob(job, index: index, input: input, execution: execution)) }
            }
            for await (index, outcome) in group {
                switch outcome {
                case .succeeded(let output):
                    outputs[index] = output
                case .cancelled:
                    break
                case .failed(let failure):
                    failures.append(failure)
                    if policy == .failFast {
                        group.cancelAll()
                        return
                    }
                }
            }
        }
        try Task.checkCancellation()
        guard failures.isEmpty else {
            throw PipelineError.stageFailed(
                stageIndex: execution.index,
                stageName: execution.name,
                failures: failures.sorted { $0.jobIndex < $1.jobIndex }
            )
        }
        let finished = outputs.compactMap { $0 }
        guard finished.count == jobs.count else { throw CancellationError() }
        return finished
    }

    private static func runJob<Input: Sendable, Output: Sendable>(
        _ job: PipelineJob<Input, Output>,
        index: Int,
        input: Input,
        execution: StageExecution
    ) async -> JobOutcome<Output> {
        let run = execution.run
        var attempt = 1
        while true {
            let context = PipelineJobContext(
                runID: run.id,
                pipelineName: run.pipelineName,
                stageIndex: execution.index,
                stageName: execution.name,
                jobName: job.name,
                jobIndex: index,
                attempt: attempt,
                clock: run.clock
            )
            run.emit(.jobStarted(stage: execution.index, job: job.name, attempt: attempt))
            do {
                let output = try await runAttempt(job, input: input, context: context)
                run.emit(.jobSucceeded(stage: execution.index, job: job.name, attempt: attempt))
                return .succeeded(output)
            } catch {
                if Task.isCancelled { return .cancelled }
                run.emit(
                    .jobFailed(
                        stage: execution.index, job: job.name, attempt: attempt,
                        reason: String(describing: error), timedOut: error is PipelineJobTimeoutError
                    ))
                guard let delay = job.retry.delaySeconds(beforeAttempt: attempt + 1) else {
                    return .failed(PipelineJobFailure(job: job.name, jobIndex: index, attempts: attempt, error: error))
                }
                run.emit(.jobRetrying(stage: execution.index, job: job.name, nextAttempt: attempt + 1, delay: Duration(timeInterval: delay)))
                do {
                    try await run.clock.sleep(until: run.clock.now.date.addingTimeInterval(delay))
                } catch {
                    return .cancelled
                }
                attempt += 1
            }
        }
    }

    /// One attempt, raced against its timeout on the clock when it has one.
    private static func runAttempt<Input: Sendable, Output: Sendable>(
        _ job: PipelineJob<Input, Output>,
        input: Input,
        context: PipelineJobContext
    ) async throws -> Output {
        guard let timeout = job.timeout else { return try await job.body(input, context) }
        guard timeout > .zero else { throw PipelineJobTimeoutError(job: job.name, timeout: timeout) }
        let clock = context.clock
        let deadline = clock.now.date.addingTimeInterval(timeout.timeInterval)
        return try await withThrowingTaskGroup(of: AttemptOutcome<Output>.self) { group in
            defer { group.cancelAll() }
            group.addTask { .finished(try await job.body(input, context)) }
            group.addTask {
                try await clock.sleep(until: deadline)
                return .timedOut
            }
            guard let first = try await group.next() else { throw CancellationError() }
            switch first {
            case .finished(let output): return output
            case .timedOut: throw PipelineJobTimeoutError(job: job.name, timeout: timeout)
            }
        }
    }
}
