import Foundation

extension JobPipeline {
    /// Starts a run with `input` and returns its handle at once; the run executes concurrently.
    ///
    /// The run is an unstructured task; its stages' jobs are its child tasks.
    @discardableResult
    public func start(_ input: Input) -> PipelineRun<Output> {
        launch(
            id: PipelineRunID(), input: .live(input, inputCodec), startValue: input, completed: [],
            resumingWait: nil, startedAt: clock.now.date
        )
    }

    /// Resumes a run from a checkpoint (typically loaded after a restart), keeping its run ID.
    ///
    /// The run starts again at `checkpoint.stageIndex`, with the output of the last completed stage
    /// as that stage's input; a stage that was running when the checkpoint was taken runs again
    /// from its start (all its jobs: at-least-once). A run checkpointed in a wait waits for the
    /// same deadline (firing at once if it has passed) or for the same signal key again (a signal
    /// sent while the process was down is not replayed).
    ///
    /// - Throws: ``PipelineCheckpointError`` when the checkpoint does not belong to this pipeline
    ///   (name or number of stages differ), is inconsistent, has ended, is already running, or its
    ///   values do not decode as this pipeline's types. Nothing is started then.
    public func start(from checkpoint: PipelineCheckpoint) throws(PipelineCheckpointError) -> PipelineRun<Output> {
        func reject(_ reason: String) -> PipelineCheckpointError {
            PipelineCheckpointError(runID: checkpoint.runID, reason: reason)
        }
        guard checkpoint.version == 1 else { throw reject("checkpoint format version \(checkpoint.version) is not supported (expected 1)") }
        guard checkpoint.pipelineName == name else {
            throw reject("it was taken from pipeline \"\(checkpoint.pipelineName)\", not \"\(name)\"")
        }
        guard checkpoint.stageCount == stages.count else {
            throw reject("it was taken from a pipeline of \(checkpoint.stageCount) stages; \"\(name)\" has \(stages.count)")
        }
        guard (0...stages.count).contains(checkpoint.stageIndex),
            checkpoint.completedStageResults.count == checkpoint.stageIndex
        else {
            throw reject("stage index \(checkpoint.stageIndex) does not match \(checkpoint.completedStageResults.count) completed stage results")
        }
        guard !checkpoint.status.isFinished else { throw reject("the run has already ended (\(checkpoint.status.rawValue))") }
        if let wait = checkpoint.wait {
            let kind = checkpoint.stageIndex < stages.count ? stages[checkpoint.stageIndex].kind : nil
            switch (wait, kind) {
            case (.date, .waitUntilDate?), (.signal, .waitForSignal?): break
            default: throw reject("it waits (\(wait)) at stage \(checkpoint.stageIndex), which is not a matching wait step")
            }
        }
        guard !registry.contains(checkpoint.runID) else { throw reject("a run with this ID is already active") }

        let startValue: any Sendable
        do {
            let decodedInput = try inputCodec.decode(checkpoint.input)
            if let last = checkpoint.completedStageResults.last {
                startValue = try stages[checkpoint.stageIndex - 1].output.decode(last)
            } else {
                startValue = decodedInput
            }
        } catch {
            throw reject("its values do not decode as this pipeline's types: \(error)")
        }
        return launch(
            id: checkpoint.runID,
            input: .json(checkpoint.input),
            startValue: startValue,
            completed: checkpoint.completedStageResults.map { .json($0) },
            resumingWait: checkpoint.wait,
            startedAt: checkpoint.startedAt
        )
    }

    func launch(
        id: PipelineRunID,
        input: StoredStageValue,
        startValue: any Sendable,
        completed: [StoredStageValue],
        resumingWait: PipelineWait?,
        startedAt: Date
    ) -> PipelineRun<Output> {
        let (stream, continuation) = AsyncStream.makeStream(of: PipelineEvent.self)
        let context = PipelineRunContext(
            id: id, pipelineName: name, stageNames: stageNames, clock: clock, hub: signals,
            defaultFailurePolicy: failurePolicy, input: input, completed: completed, startedAt: startedAt,
            eventHandler: eventHandler, checkpointHandler: checkpointHandler, continuation: continuation
        )
        _ = registry.register(context)
        let stages = stages
        let registry = registry
        let task = Task<Output, any Error> {
            defer {
                registry.remove(id)
                context.finishEvents()
            }
            do {
                let value = try await Self.execute(stages, context: context, from: completed.count, value: startValue, resumingWait: resumingWait)
                guard let output = value as? Output else {
                    throw StageValueTypeError(expected: "\(Output.self)", found: "\(type(of: value))")
                }
                context.finish(.succeeded, failure: nil)
                try await context.saveCheckpoint()
                context.emit(.runFinished(.succeeded))
                return output
            } catch {
                let status: PipelineRunStatus = Task.isCancelled || error is CancellationError ? .cancelled : .failed
                context.finish(status, failure: status == .failed ? String(describing: error) : nil)
                try? await context.saveCheckpoint()
                context.emit(.runFinished(status))
                throw error
            }
        }
        return PipelineRun(context: context, events: stream, task: task)
    }

    private static func execute(
        _ stages: [PipelineStage],
        context: PipelineRunContext,
        from startIndex: Int,
        value: any Sendable,
        resumingWait: PipelineWait?
    ) async throws -> any Sendable {
        context.emit(.runStarted(atStage: startIndex))
        try await context.saveCheckpoint()
        var value = value
        var resumingWait = resumingWait
        for index in startIndex..<stages.count {
            try Task.checkCancellation()
            let stage = stages[index]
            context.emit(.stageStarted(index: index, name: stage.name))
            let execution = StageExecution(run: context, index: index, name: stage.name, resumingWait: resumingWait)
            do {
                value = try await stage.execute(value, execution)
            } catch {
                context.emit(.stageFinished(index: index, name: stage.name, succeeded: false))
                throw error
            }
            resumingWait = nil
            context.completeStage(index, output: value, codec: stage.output)
            context.emit(.stageFinished(index: index, name: stage.name, succeeded: true))
            try await context.saveCheckpoint()
        }
        return value
    }
}

extension JobPipeline where Input == NoValue {
    /// Starts a run of a pipeline that takes no input (see ``start(_:)``).
    @discardableResult
    public func start() -> PipelineRun<Output> { start(NoValue()) }
}
