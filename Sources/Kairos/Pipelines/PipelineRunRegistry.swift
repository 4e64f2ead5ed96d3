import KairosPlatform

/// The active runs of a pipeline (and of the pipelines derived from it by its builder calls).
///
/// Sendable: the table is behind a lock.
final class PipelineRunRegistry: Sendable {
    private let runs = LockedState<[PipelineRunID: PipelineRunContext]>([:])

    /// Adds a run; returns false if a run with that ID is active already.
    func register(_ run: PipelineRunContext) -> Bool {
        runs.withLock { runs in
            guard runs[run.id] == nil else { return false }
            runs[run.id] = run
            return true
        }
    }

    func remove(_ id: PipelineRunID) { runs.withLock { _ = $0.removeValue(forKey: id) } }

    func contains(_ id: PipelineRunID) -> Bool { runs.withLock { $0[id] != nil } }

    func infos() -> [PipelineRunInfo] {
        let contexts = runs.withLock { Array($0.values) }
        return contexts.map(\.info).sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
    }
}
