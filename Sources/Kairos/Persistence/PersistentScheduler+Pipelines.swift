import Foundation

/// Durable pipeline runs: each run's checkpoint is stored in the state file, so that a restarted
/// process resumes the runs that had not ended from their last completed stage, waits included.
extension PersistentScheduler {
    /// Returns a copy of `pipeline` whose runs are checkpointed in this scheduler's state.
    ///
    /// A run's checkpoint is stored (durably: the run does not go on until it is fsynced) when the
    /// run starts, enters a wait step and completes a stage; it is removed when the run ends
    /// (succeeded, failed or cancelled). Start runs on the returned pipeline. It replaces any
    /// checkpoint handler `pipeline` had.
    ///
    /// If the state has stopped (``failure``), the checkpoint throws and the run fails with
    /// ``PipelineError/checkpointFailed(stageIndex:underlying:)``.
    public func persisting<Input, Output>(_ pipeline: JobPipeline<Input, Output>) -> JobPipeline<Input, Output> {
        let store = self.store
        return pipeline.onCheckpoint { checkpoint in
            let id = checkpoint.runID.rawValue
            if checkpoint.status.isFinished {
                try store.commit { (document: StateDocument) -> [StateChange] in
                    document.pipelineRuns[id] == nil ? [] : [.removePipelineRun(id)]
                }
                return
            }
            let stored = PersistedPipelineRun(id: id, pipeline: checkpoint.pipelineName, checkpoint: try JSONValue(encoding: checkpoint))
            try store.commit([.putPipelineRun(stored)])
        }
    }

    /// The checkpoints of the persisted runs of the pipeline named `name` that had not ended,
    /// ordered by start date then run ID.
    ///
    /// - Throws: ``PersistentSchedulerError/persistence(_:)`` with
    ///   ``PersistenceError/invalidChange(reason:)`` if a stored checkpoint does not decode.
    public func pipelineCheckpoints(named name: String) throws(PersistentSchedulerError) -> [PipelineCheckpoint] {
        var checkpoints: [PipelineCheckpoint] = []
        for run in store.document.pipelineRuns.values where run.pipeline == name {
            do {
                checkpoints.append(try run.checkpoint.decode(PipelineCheckpoint.self))
            } catch {
                throw .persistence(.invalidChange(reason: "pipeline run \(run.id): the stored checkpoint does not decode: \(error)"))
            }
        }
        return checkpoints.sorted { ($0.startedAt, $0.runID) < ($1.startedAt, $1.runID) }
    }

    /// Resumes every persisted run of `pipeline` that had not ended (see
    /// ``JobPipeline/start(from:)``), checkpointing them here as they go on.
    ///
    /// - Returns: the resumed runs, and the runs that could not be resumed with why (they stay in
    ///   the state).
    @discardableResult
    public func resumePipelineRuns<Input, Output>(
        of pipeline: JobPipeline<Input, Output>
    ) throws(PersistentSchedulerError) -> (resumed: [PipelineRun<Output>], refused: [(PipelineRunID, PipelineCheckpointError)]) {
        let persisting = self.persisting(pipeline)
        var resumed: [PipelineRun<Output>] = []
        var refused: [(PipelineRunID, PipelineCheckpointError)] = []
        for checkpoint in try pipelineCheckpoints(named: pipeline.name) {
            do {
                resumed.append(try persisting.start(from: checkpoint))
            } catch {
                refused.append((checkpoint.runID, error))
            }
        }
        return (resumed, refused)
    }
}
