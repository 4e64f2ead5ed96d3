import Foundation

extension JobPipeline {
    /// Adds a stage of jobs that run in parallel, each receiving this pipeline's output; the new
    /// output is the array of their results, in the order of `jobs`.
    ///
    /// - Parameters:
    ///   - name: the stage's name, in events and checkpoints.
    ///   - failurePolicy: overrides the pipeline's ``failurePolicy`` for this stage.
    ///   - jobs: the stage's jobs, run in parallel.
    public func stage<Next: Codable & Sendable>(
        _ name: String,
        failurePolicy: PipelineFailurePolicy? = nil,
        jobs: [PipelineJob<Output, Next>]
    ) -> JobPipeline<Input, [Next]> {
        addingJobs(name, failurePolicy: failurePolicy, output: [Next].self, jobs: { ($0, jobs) }, combine: { $0 })
    }

    /// Adds a stage of jobs that run in parallel for their effects, each receiving this
    /// pipeline's output; the new output is ``NoValue``.
    public func stage(
        _ name: String,
        failurePolicy: PipelineFailurePolicy? = nil,
        jobs: [PipelineJob<Output, Void>]
    ) -> JobPipeline<Input, NoValue> {
        addingJobs(name, failurePolicy: failurePolicy, output: NoValue.self, jobs: { ($0, jobs) }, combine: { _ in NoValue() })
    }

    /// Adds a stage with one job per element of this pipeline's output, run in parallel; the new
    /// output is the array of their results, in element order.
    ///
    /// The jobs are named `"<name>[<index>]"`. An empty input gives an empty output.
    public func forEach<Element: Codable & Sendable, Next: Codable & Sendable>(
        _ name: String,
        failurePolicy: PipelineFailurePolicy? = nil,
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        body: @escaping @Sendable (Element, PipelineJobContext) async throws -> Next
    ) -> JobPipeline<Input, [Next]> where Output == [Element] {
        addingJobs(
            name, failurePolicy: failurePolicy, output: [Next].self,
            jobs: { elements in
                let jobs = elements.indices.map { index in
                    let element = elements[index]
                    return PipelineJob<Void, Next>("\(name)[\(index)]", retry: retry, timeout: timeout) { _, context in
                        try await body(element, context)
                    }
                }
                return ((), jobs)
            }, combine: { $0 })
    }

    /// Adds a stage of a single job that receives this pipeline's output; its result, unwrapped,
    /// is the new output.
    public func step<Next: Codable & Sendable>(
        _ name: String,
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        body: @escaping @Sendable (Output, PipelineJobContext) async throws -> Next
    ) -> JobPipeline<Input, Next> {
        let job = PipelineJob(name, retry: retry, timeout: timeout, body: body)
        return addingJobs(name, failurePolicy: .failFast, output: Next.self, jobs: { ($0, [job]) }, combine: { $0[0] })
    }

    /// Adds a stage of a single job run for its effect; the new output is ``NoValue``.
    public func step(
        _ name: String,
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        body: @escaping @Sendable (Output, PipelineJobContext) async throws -> Void
    ) -> JobPipeline<Input, NoValue> {
        let job = PipelineJob(name, retry: retry, timeout: timeout, body: body)
        return addingJobs(name, failurePolicy: .failFast, output: NoValue.self, jobs: { ($0, [job]) }, combine: { _ in NoValue() })
    }

    /// A stage of jobs built from the stage's input when it runs, whose results `combine` into
    /// the stage's output.
    private func addingJobs<JobInput: Sendable, Result: Sendable, Next: Codable & Sendable>(
        _ name: String,
        failurePolicy: PipelineFailurePolicy?,
        output: Next.Type,
        jobs: @escaping @Sendable (Output) -> (JobInput, [PipelineJob<JobInput, Result>]),
        combine: @escaping @Sendable ([Result]) -> Next
    ) -> JobPipeline<Input, Next> {
        let stage = PipelineStage(name: name, kind: .jobs, output: .of(Next.self)) { input, execution in
            let (jobInput, jobs) = jobs(try execution.cast(input, to: Output.self))
            let policy = failurePolicy ?? execution.run.defaultFailurePolicy
            return combine(try await PipelineStageRunner.run(jobs, input: jobInput, policy: policy, execution: execution))
        }
        return appending(stage, output: Next.self)
    }

    /// Adds a wait step that lasts until the pipeline's clock reaches `date` (no wait if it has);
    /// the value passes through.
    public func wait(until date: Date) -> JobPipeline {
        wait("wait until \(date.formatted(.iso8601))") { _ in date }
    }

    /// Adds a wait step that lasts `interval` of the pipeline's clock from when the run reaches it; the deadline
    /// is fixed then and checkpointed, so a run resumed after a restart keeps it.
    /// The step is named `"wait <seconds> s"` (e.g. `"wait 60.0 s"`), as checkpoints record it.
    public func wait(for interval: Duration) -> JobPipeline {
        let clock = clock
        let seconds = interval.timeInterval
        return wait("wait \(seconds) s") { _ in clock.now.date.addingTimeInterval(seconds) }
    }

    /// Adds a wait step named `name` that lasts until the date `deadline` computes from the value
    /// (called once, when the run reaches the step); the value passes through.
    public func wait(_ name: String, until deadline: @escaping @Sendable (Output) -> Date) -> JobPipeline {
        let stage = PipelineStage(name: name, kind: .waitUntilDate, output: .of(Output.self)) { input, execution in
            let value = try execution.cast(input, to: Output.self)
            let date: Date
            if case .date(let saved)? = execution.resumingWait { date = saved } else { date = deadline(value) }
            try await execution.run.wait(until: date, stage: execution.index)
            return value
        }
        return appending(stage, output: Output.self)
    }

    /// Adds a step that waits for a signal with `key`, resumed by ``send(signal:payload:)`` or
    /// the scheduler's `send(signal:payload:)`; the new output carries the value and the payload.
    public func waitForSignal(_ key: String) -> JobPipeline<Input, SignalResumption<Output>> {
        waitForSignal("wait for \"\(key)\"") { _, _ in key }
    }

    /// Adds a step named `name` that waits for the signal whose key `key` computes from the value
    /// and the run (e.g. `"approve-\(order.id)"`); the new output carries the value and the payload.
    public func waitForSignal(
        _ name: String,
        key: @escaping @Sendable (Output, PipelineRunID) -> String
    ) -> JobPipeline<Input, SignalResumption<Output>> {
        let stage = PipelineStage(name: name, kind: .waitForSignal, output: .of(SignalResumption<Output>.self)) { input, execution in
            let value = try execution.cast(input, to: Output.self)
            let signalKey: String
            if case .signal(let saved)? = execution.resumingWait { signalKey = saved } else { signalKey = key(value, execution.run.id) }
            let payload = try await execution.run.wait(forSignal: signalKey, stage: execution.index)
            return SignalResumption(value: value, signal: signalKey, payload: payload)
        }
        return appending(stage, output: SignalResumption<Output>.self)
    }
}
