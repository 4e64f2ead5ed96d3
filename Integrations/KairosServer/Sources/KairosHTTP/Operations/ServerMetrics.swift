import CoreMetrics
import Foundation
import Kairos
import Metrics
import Prometheus

/// The scheduler's metrics, in Prometheus text at `/metrics`: runs by outcome, failures, missed
/// due dates, firing lateness (a histogram, seconds) and the gauges of the scheduler's stats.
///
/// Made through swift-metrics against a registry of the server's own (not the process-wide
/// bootstrap), so that several APIs in one process keep apart.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let succeeded: CoreMetrics.Counter
    private let failed: CoreMetrics.Counter
    private let timedOut: CoreMetrics.Counter
    private let cancelled: CoreMetrics.Counter
    private let missed: CoreMetrics.Counter
    private let lateness: CoreMetrics.Timer
    private let queueDepth: CoreMetrics.Gauge
    private let activeRuns: CoreMetrics.Gauge
    private let jobs: CoreMetrics.Gauge
    private let pausedJobs: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["kairos_run_lateness_seconds"] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
            .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(60), .seconds(300),
        ]
        func runs(_ outcome: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: "kairos_runs_total", dimensions: [("outcome", outcome)], factory: factory)
        }
        succeeded = runs("succeeded")
        failed = runs("failed")
        timedOut = runs("timed_out")
        cancelled = runs("cancelled")
        missed = CoreMetrics.Counter(label: "kairos_missed_total", factory: factory)
        lateness = CoreMetrics.Timer(label: "kairos_run_lateness_seconds", factory: factory)
        queueDepth = CoreMetrics.Gauge(label: "kairos_queue_depth", factory: factory)
        activeRuns = CoreMetrics.Gauge(label: "kairos_active_runs", factory: factory)
        jobs = CoreMetrics.Gauge(label: "kairos_jobs", factory: factory)
        pausedJobs = CoreMetrics.Gauge(label: "kairos_paused_jobs", factory: factory)
    }

    func record(_ event: ScheduleEvent) {
        switch event.kind {
        case .started:
            if let due = event.dueDate {
                lateness.recordNanoseconds(Int64(max(0, event.date.timeIntervalSince(due)) * 1e9))
            }
        case .succeeded: succeeded.increment()
        case .failed: failed.increment()
        case .timedOut: timedOut.increment()
        case .runCancelled where event.duration != nil: cancelled.increment()
        case .missed: missed.increment(by: max(1, event.count))
        default: break
        }
    }

    /// The exposition text, with `gauges` read now (`nil`: the store did not answer, the
    /// gauges keep their last values).
    func text(gauges: ScheduleGauges?) -> [UInt8] {
        if let gauges {
            queueDepth.record(gauges.waitingRuns)
            activeRuns.record(gauges.activeRuns)
            jobs.record(gauges.jobs)
            pausedJobs.record(gauges.pausedJobs)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
