import Foundation
import Kairos
import KairosPostgres

extension Problem {
    /// The problem that reports a backend's error: a refused change is 4xx naming the field, a
    /// store that cannot take changes 503.
    static func from(_ error: any Error) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let failure as IdempotencyJournal.Failure:
            return .unavailable(failure.description)
        case let error as PersistentSchedulerError:
            switch error {
            case .functionNotRegistered(let name):
                return .invalid("action.name", "no function named \"\(name)\" is registered with this server")
            case .triggerNotPersistable(let type):
                return .invalid("trigger", "a \(type) cannot be stored")
            case .invalidJobKey(_, let reason):
                return .invalid("id", reason)
            case .scheduler(let error):
                return from(error)
            case .persistence(let error):
                return .unavailable("the schedule store stopped taking changes: \(error.description)")
            case .dependency, .dependencyJobNotUpdatable:
                return .conflict("this is a DAG job, which the API does not change: \(error.description)")
            }
        case let error as SchedulerError:
            switch error {
            case .jobNotFound: return .notFound("no such schedule")
            case .invalidOption(let option, let reason): return .invalid("options.\(option)", reason)
            default: return .conflict(error.description)
            }
        case let error as PostgresSchedulerError:
            switch error {
            case .triggerNotSupported(let reason): return .invalid("trigger", "the PostgreSQL store cannot keep this trigger: \(reason)")
            case .invalidJobKey(_, let reason): return .invalid("id", reason)
            case .invalidOptions(let reason): return .invalid("options", reason)
            case .jobNotFound: return .notFound("no such schedule")
            case .jobFinished: return .conflict(error.description)
            default: return .unavailable("the PostgreSQL store failed: \(error)")
            }
        default:
            return .unavailable("the schedule store failed: \(error)")
        }
    }
}
