import Kairos
import ServiceLifecycle

/// Runs the API's scheduler as a `Service`: starts it (with the server's actions registered),
/// and at graceful shutdown stops it, waiting for the runs going up to the drain timeout.
///
/// Put it in the application's `ServiceGroup`, before the HTTP server, so that it starts first.
public struct SchedulerService: Service {
    let api: KairosAPI
    let drainTimeout: Duration

    public func run() async throws {
        try await api.start()
        try? await gracefulShutdown()
        let drained = await api.backend.stop(timeout: drainTimeout)
        if !drained { api.logger.warning("runs still going after the drain timeout were cancelled") }
    }
}
