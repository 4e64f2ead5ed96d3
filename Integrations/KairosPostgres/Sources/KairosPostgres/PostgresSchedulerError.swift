import Foundation
import Kairos
import PostgresNIO

/// Why a ``PostgresScheduler`` could not do what it was asked: a bad setting, a database it
/// cannot reach or use, or a request about a job that does not allow it.
public enum PostgresSchedulerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection URL cannot be used.
    case invalidURL(String, reason: String)
    /// A configuration value is out of range (the setting and why).
    case invalidConfiguration(String, reason: String)
    /// No PostgreSQL server answered at this host and port.
    case unreachable(host: String, port: Int, reason: String)
    /// The server refused the user's credentials.
    case authenticationFailed(user: String, reason: String)
    /// The database does not exist on the server.
    case databaseMissing(String)
    /// The scheduler's schema (or one of its tables) does not exist, and migrations are disabled.
    case schemaMissing(String)
    /// The schema was migrated by a newer version of KairosPostgres than this one.
    case schemaNewerThanCode(found: Int, supported: Int)
    /// A schema name that is not a plain lower-case SQL identifier.
    case invalidSchemaName(String)
    /// A trigger the cluster store cannot keep or fire (custom triggers, event triggers).
    case triggerNotSupported(String)
    /// A job key that is empty or too long.
    case invalidJobKey(String, reason: String)
    /// Options the cluster store does not accept (the option and why).
    case invalidOptions(String)
    /// No job has this ID.
    case jobNotFound(JobID)
    /// The job is finished (completed, failed or cancelled) and cannot be changed this way.
    case jobFinished(JobID)
    /// A row that cannot be read back (a stored trigger or options that no longer parse).
    case corruptRow(String)
    /// Any other error the server reported: its SQLSTATE and message.
    case database(sqlState: String, message: String)
    /// The connection was lost during the request (the request may or may not have been applied).
    case connectionLost(String)

    public var description: String {
        switch self {
        case let .invalidURL(url, reason): "invalid PostgreSQL URL '\(url)': \(reason)"
        case let .invalidConfiguration(setting, reason): "invalid configuration '\(setting)': \(reason)"
        case let .unreachable(host, port, reason): "cannot reach PostgreSQL at \(host):\(port): \(reason)"
        case let .authenticationFailed(user, reason): "PostgreSQL refused user '\(user)': \(reason)"
        case .databaseMissing(let name): "database '\(name)' does not exist"
        case .schemaMissing(let schema): "schema '\(schema)' is missing or incomplete and migrations are disabled"
        case let .schemaNewerThanCode(found, supported):
            "the database schema is at version \(found), newer than the \(supported) this KairosPostgres supports; upgrade the code"
        case .invalidSchemaName(let name): "invalid schema name '\(name)': use lower-case letters, digits and '_', starting with a letter"
        case .triggerNotSupported(let reason): "trigger not supported by the cluster store: \(reason)"
        case let .invalidJobKey(key, reason): "invalid job key '\(key)': \(reason)"
        case .invalidOptions(let reason): "invalid job options: \(reason)"
        case .jobNotFound(let id): "no job \(id)"
        case .jobFinished(let id): "job \(id) is finished"
        case .corruptRow(let reason): "unreadable row: \(reason)"
        case let .database(sqlState, message): "PostgreSQL error \(sqlState): \(message)"
        case .connectionLost(let reason): "connection to PostgreSQL lost: \(reason)"
        }
    }

    /// Classifies an error from postgres-nio for the connection `configuration`.
    init(_ error: any Error, configuration: PostgresScheduler.Configuration) {
        if let known = error as? PostgresSchedulerError {
            self = known
            return
        }
        if let transaction = error as? PostgresTransactionError,
            let cause = transaction.closureError ?? transaction.commitError ?? transaction.beginError
        {
            self.init(cause, configuration: configuration)
            return
        }
        guard let psql = error as? PSQLError else {
            self = .unreachable(host: configuration.host, port: configuration.port, reason: String(describing: error))
            return
        }
        switch psql.code {
        case .server:
            let state = psql.serverInfo?[.sqlState] ?? "?????"
            let message = psql.serverInfo?[.message] ?? "no message"
            switch state {
            case "28P01", "28000": self = .authenticationFailed(user: configuration.username, reason: message)
            case "3D000": self = .databaseMissing(configuration.database)
            case "3F000", "42P01": self = .schemaMissing(configuration.schema)
            default: self = .database(sqlState: state, message: message)
            }
        case .authMechanismRequiresPassword, .saslError, .unsupportedAuthMechanism:
            self = .authenticationFailed(user: configuration.username, reason: psql.code.description)
        case .connectionError:
            self = .unreachable(
                host: configuration.host, port: configuration.port,
                reason: psql.underlying.map { String(describing: $0) } ?? psql.code.description)
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            self = .connectionLost(psql.code.description)
        default:
            self = .database(sqlState: "-", message: psql.code.description)
        }
    }

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(of error: any Error) -> String? {
        if case .database(let state, _)? = error as? PostgresSchedulerError { return state }
        if let transaction = error as? PostgresTransactionError {
            // `withTransaction` wraps what failed: the body, else the commit, else the begin.
            guard let cause = transaction.closureError ?? transaction.commitError ?? transaction.beginError else { return nil }
            return sqlState(of: cause)
        }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
