import Foundation

/// One type-erased stage of a pipeline: a stage of jobs or a wait step.
///
/// ``JobPipeline`` keeps the types at the call site; inside, stages pass `any Sendable` values
/// whose types the builder guaranteed.
struct PipelineStage: Sendable {
    enum Kind: Sendable, Hashable {
        case jobs
        case waitUntilDate
        case waitForSignal
    }

    let name: String
    let kind: Kind
    let output: ValueCodec
    let execute: @Sendable (_ input: any Sendable, _ execution: StageExecution) async throws -> any Sendable
}

/// What a stage needs to run: its run, its position, and the wait it resumes (after a restart).
struct StageExecution: Sendable {
    let run: PipelineRunContext
    let index: Int
    let name: String
    let resumingWait: PipelineWait?

    /// Returns `value` as `Value`, or throws if the pipeline was assembled wrongly.
    func cast<Value>(_ value: any Sendable, to _: Value.Type) throws -> Value {
        guard let typed = value as? Value else { throw StageValueTypeError(expected: "\(Value.self)", found: "\(type(of: value))") }
        return typed
    }
}
