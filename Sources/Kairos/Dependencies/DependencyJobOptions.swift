/// How a job of a ``DependencyScheduler`` runs relative to its upstream jobs and its own past.
public struct DependencyJobOptions: Sendable, Hashable {
    /// When the job runs, given its upstream runs' outcomes; ``TriggerRule/allSuccess`` by default.
    public var triggerRule: TriggerRule
    /// How a failed or timed-out attempt is retried (backoff on the scheduler's clock, taking no
    /// executor capacity meanwhile).
    public var retry: RetryPolicy
    /// An attempt still going after this long is cancelled (cooperatively) and counts as failed;
    /// `nil` for none. Must be positive.
    public var timeout: Duration?
    /// A run waits until the job's previous run (the latest earlier DAG run in which the job ran)
    /// has finished, and runs only if it succeeded; otherwise it is skipped.
    public var dependsOnPast: Bool
    /// Among runs ready at once, higher priorities start first.
    public var priority: Int
    /// For a root: what to do with fire times of its trigger that were missed (while stopped,
    /// paused, or down, under `PersistentScheduler`); `nil` for the scheduler's default. Has no
    /// effect on a dependent, which has no trigger.
    public var misfire: MisfirePolicy?

    /// Creates options; see each property.
    public init(
        triggerRule: TriggerRule = .allSuccess,
        retry: RetryPolicy = .none,
        timeout: Duration? = nil,
        dependsOnPast: Bool = false,
        priority: Int = 0,
        misfire: MisfirePolicy? = nil
    ) {
        self.triggerRule = triggerRule
        self.retry = retry
        self.timeout = timeout
        self.dependsOnPast = dependsOnPast
        self.priority = priority
        self.misfire = misfire
    }
}
