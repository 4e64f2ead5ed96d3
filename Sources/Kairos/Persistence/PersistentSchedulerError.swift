/// Why a `PersistentScheduler` operation was refused.
public enum PersistentSchedulerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The state could not be opened, or has stopped accepting changes (see ``PersistenceError``).
    case persistence(PersistenceError)
    /// The scheduler refused the operation (unknown job, invalid option, ...).
    case scheduler(SchedulerError)
    /// No function is registered under this name; call ``PersistentScheduler/register(_:_:)``
    /// first.
    case functionNotRegistered(String)
    /// The trigger is a custom type with no ``TriggerDescription``, so it cannot be stored.
    case triggerNotPersistable(String)
    /// The dependency graph refused the change (a cycle, an unknown job, a job others depend
    /// on...); nothing was changed.
    case dependency(DependencyError)
    /// The job key cannot be used (empty, or longer than
    /// ``PersistentScheduler/maximumKeyLength`` bytes of UTF-8); the text says which.
    case invalidJobKey(String, reason: String)
    /// The DAG job stored under `key` was declared differently in a way that cannot be changed
    /// in place (its name or options, root or dependent, or the graph is not restored yet); the
    /// reason says which. Nothing was changed.
    case dependencyJobNotUpdatable(key: String, reason: String)

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .persistence(let error): error.description
        case .scheduler(let error): error.description
        case .dependency(let error): error.description
        case .functionNotRegistered(let name): "no job function is registered under the name \"\(name)\""
        case .invalidJobKey(let key, let reason):
            "invalid job key \"\(key.count > 64 ? key.prefix(64) + "…" : key)\": \(reason)"
        case .dependencyJobNotUpdatable(let key, let reason):
            "the DAG job declared under the key \"\(key)\" cannot be changed in place: \(reason); remove it "
                + "(remove(_:), its dependents first) and declare it again, or declare it under another key"
        case .triggerNotPersistable(let type):
            "a \(type) cannot be persisted: only the built-in triggers (once, interval, cron, signal, manual, jittered) have a stored form"
        }
    }
}

/// A persisted job that is not running in this process, and why.
///
/// It stays in the state file, untouched, until the reason goes away (its function is
/// registered) or it is cancelled.
public struct UnrestoredJob: Sendable, Hashable {
    /// Why a persisted job is not running.
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// No function is registered under the job's function name; registering one restores the
        /// job at once.
        case functionNotRegistered
        /// The stored trigger or options cannot be rebuilt (for example a time zone this system
        /// does not know); the text says what.
        case invalid(String)

        /// A phrase for logs.
        public var description: String {
            switch self {
            case .functionNotRegistered: "its function is not registered"
            case .invalid(let reason): reason
            }
        }
    }

    /// The job's ID.
    public var id: JobID
    /// The job's name.
    public var name: String
    /// The name of the function it runs.
    public var function: String
    /// Why it is not running.
    public var reason: Reason
}
