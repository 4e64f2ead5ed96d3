import Foundation
import KairosPlatform

/// The shared, mutable state of one run: where it is, what it produced, and where its events go.
///
/// Sendable: every mutable field is behind `state`'s lock; the rest is immutable.
final class PipelineRunContext: Sendable {
    struct State {
        var status: PipelineRunStatus = .running
        var stageIndex: Int
        var results: [StoredStageValue]
        var wait: PipelineWait?
        var failure: String?
    }

    let id: PipelineRunID
    let pipelineName: String
    let stageNames: [String]
    let clock: any SchedulerClock
    let hub: SignalHub
    let defaultFailurePolicy: PipelineFailurePolicy
    let input: StoredStageValue
    let startedAt: Date
    private let eventHandler: (@Sendable (PipelineEvent) -> Void)?
    private let checkpointHandler: (@Sendable (PipelineCheckpoint) async throws -> Void)?
    private let continuation: AsyncStream<PipelineEvent>.Continuation
    private let state: LockedState<State>

    init(
        id: PipelineRunID,
        pipelineName: String,
        stageNames: [String],
        clock: any SchedulerClock,
        hub: SignalHub,
        defaultFailurePolicy: PipelineFailurePolicy,
        input: StoredStageValue,
        completed: [StoredStageValue],
        startedAt: Date,
        eventHandler: (@Sendable (PipelineEvent) -> Void)?,
        checkpointHandler: (@Sendable (PipelineCheckpoint) async throws -> Void)?,
        continuation: AsyncStream<PipelineEvent>.Continuation
    ) {
        self.id = id
        self.pipelineName = pipelineName
        self.stageNames = stageNames
        self.clock = clock
        self.hub = hub
        self.defaultFailurePolicy = defaultFailurePolicy
        self.input = input
        self.startedAt = startedAt
        self.eventHandler = eventHandler
        self.checkpointHandler = checkpointHandler
        self.continuation = continuation
        self.state = LockedState(State(stageIndex: completed.count, results: completed))
    }

    var waiter: SignalWaiter { SignalWaiter(kind: .pipelineRun, id: id.rawValue, name: pipelineName) }

    // MARK: Events

    func emit(_ kind: PipelineEvent.Kind) {
        let event = PipelineEvent(runID: id, pipelineName: pipelineName, date: clock.now.date, kind: kind)
        continuation.yield(event)
        eventHandler?(event)
    }

    func finishEvents() { continuation.finish() }

    // MARK: State

    var info: PipelineRunInfo {
        let snapshot = state.withLock { $0 }
        return PipelineRunInfo(
            id: id,
            pipelineName: pipelineName,
            status: snapshot.status,
            stageIndex: snapshot.stageIndex,
            stageName: snapshot.stageIndex < stageNames.count ? stageNames[snapshot.stageIndex] : nil,
            waitingFor: snapshot.status == .waiting ? snapshot.wait : nil,
            startedAt: startedAt
        )
    }

    func completeStage(_ index: Int, output: any Sendable, codec: ValueCodec) {
        state.withLock { state in
            state.results.append(.live(output, codec))
            state.stageIndex = index + 1
            state.wait = nil
            state.status = .running
        }
    }

    func recordWait(_ wait: PipelineWait) { state.withLock { $0.wait = wait } }

    func setStatus(_ status: PipelineRunStatus) { state.withLock { $0.status = status } }

    func finish(_ status: PipelineRunStatus, failure: String?) {
        state.withLock { state in
            state.status = status
            state.failure = failure
            state.wait = nil
        }
    }

    // MARK: Checkpoints

    func checkpoint() throws(PipelineCheckpointValueError) -> PipelineCheckpoint {
        let snapshot = state.withLock { $0 }
        func json(_ value: StoredStageValue, stage: Int?) throws(PipelineCheckpointValueError) -> JSONValue {
            do {
                return try value.json()
            } catch {
                throw PipelineCheckpointValueError(runID: id, stageIndex: stage, stageName: stage.map { stageNames[$0] }, underlying: error)
            }
        }
        var results: [JSONValue] = []
        for (stage, result) in snapshot.results.enumerated() { results.append(try json(result, stage: stage)) }
        return PipelineCheckpoint(
            runID: id,
            pipelineName: pipelineName,
            stageCount: stageNames.count,
            input: try json(input, stage: nil),
            stageIndex: snapshot.stageIndex,
            completedStageResults: results,
            wait: snapshot.wait,
            status: snapshot.status,
            failure: snapshot.failure,
            startedAt: startedAt,
            takenAt: clock.now.date
        )
    }

    /// Hands a checkpoint to the handler, if there is one; a failure stops the run.
    func saveCheckpoint() async throws {
        guard let checkpointHandler else { return }
        let index = state.withLock { $0.stageIndex }
        do {
            try await checkpointHandler(checkpoint())
        } catch {
            throw PipelineError.checkpointFailed(stageIndex: index, underlying: error)
        }
    }

    // MARK: Waits

    /// Sleeps on the clock until `deadline`, recording the wait first.
    func wait(until deadline: Date, stage: Int) async throws {
        recordWait(.date(deadline))
        try await saveCheckpoint()
        setStatus(.waiting)
        emit(.waiting(stage: stage, on: .date(deadline)))
        try await clock.sleep(until: deadline)
        setStatus(.running)
        emit(.resumed(stage: stage, payload: nil))
    }

    /// Waits for a signal with `key` on the hub, recording the wait first; returns its payload.
    func wait(forSignal key: String, stage: Int) async throws -> JSONValue? {
        recordWait(.signal(key))
        try await saveCheckpoint()
        let payload = try await SignalWait.next(key, on: hub, as: waiter) {
            self.setStatus(.waiting)
            self.emit(.waiting(stage: stage, on: .signal(key)))
        }
        setStatus(.running)
        emit(.resumed(stage: stage, payload: payload))
        return payload
    }
}
