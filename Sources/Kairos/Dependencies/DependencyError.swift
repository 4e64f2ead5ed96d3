/// Why a ``DependencyScheduler`` rejected a change. Nothing was changed.
public enum DependencyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The edge would close a cycle; `cycle` lists job names from the dependent back to itself,
    /// each depending on the next: `["a", "b", "c", "a"]` reads a → b → c → a.
    case cycle([String])
    /// No job has this ID in this dependency scheduler.
    case unknownJob(JobID)
    /// A job without upstream jobs needs a trigger (it is a root of the graph).
    case missingTrigger(name: String)
    /// A job with upstream jobs runs when they finish, so it cannot have a trigger of its own;
    /// `job` names the job that has one.
    case triggerOnDependent(job: String)
    /// The underlying scheduler rejected the job (an option out of range).
    case scheduler(SchedulerError)
    /// The job cannot be removed while other jobs depend on it; `dependents` names them.
    case hasDependents(job: String, dependents: [String])
    /// The change was made but could not be stored: the state of the `PersistentScheduler` that
    /// owns this graph has stopped (see ``PersistenceError/stopped(file:reason:)``).
    case persistence(PersistenceError)

    /// A sentence naming what was wrong, e.g. `dependency would close a cycle: a → b → c → a`.
    public var description: String {
        switch self {
        case .cycle(let names): "dependency would close a cycle: " + names.joined(separator: " → ")
        case .unknownJob(let id): "no job \(id) in this dependency scheduler"
        case .missingTrigger(let name): "job \"\(name)\" has no upstream jobs, so it needs a trigger"
        case .triggerOnDependent(let name):
            "job \"\(name)\" has a trigger of its own; a job with upstream jobs runs when they finish and cannot have one"
        case .scheduler(let error): "the scheduler rejected the job: \(error)"
        case .hasDependents(let name, let dependents):
            "job \"\(name)\" cannot be removed: " + dependents.map { "\"\($0)\"" }.joined(separator: ", ")
                + (dependents.count == 1 ? " depends on it" : " depend on it")
        case .persistence(let error): "the change could not be stored: \(error)"
        }
    }
}
