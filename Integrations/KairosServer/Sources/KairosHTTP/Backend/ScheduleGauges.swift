/// A backend's gauges, read when `/metrics` is scraped.
public struct ScheduleGauges: Sendable, Hashable {
    /// Jobs the store holds.
    public var jobs: Int
    /// Jobs paused.
    public var pausedJobs: Int
    /// Runs going in this process.
    public var activeRuns: Int
    /// Runs fired in this process and waiting for a free executor slot.
    public var waitingRuns: Int

    /// Creates gauges; see each property.
    public init(jobs: Int, pausedJobs: Int, activeRuns: Int, waitingRuns: Int) {
        self.jobs = jobs
        self.pausedJobs = pausedJobs
        self.activeRuns = activeRuns
        self.waitingRuns = waitingRuns
    }
}
