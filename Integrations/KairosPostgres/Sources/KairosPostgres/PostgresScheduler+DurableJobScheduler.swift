import Kairos

/// `PostgresScheduler` as a ``DurableJobScheduler``: an HTTP API or an admin tool drives a
/// cluster node the way it drives a `PersistentScheduler`. Every requirement is one of the
/// node's own methods.
extension PostgresScheduler: DurableJobScheduler {}
