import Foundation
import Kairos

/// Records every event of a scheduler from the moment it is created, and lets a test wait for
/// the events it expects.
///
/// The events are recorded synchronously where they happen (as `Scheduler.onEvent(_:)` delivers
/// them), so none is dropped, however many come at once. Recording stops when the recorder is
/// deallocated or ``stop()`` is called.
///
/// ```swift
/// let events = SchedulerEventRecorder(scheduler)
/// clock.advance(by: .seconds(3 * 3600))
/// let missed = await events.waitUntil(count: 1, of: .missed)
/// #expect(missed[0].count == 2)
/// ```
public final class SchedulerEventRecorder: Sendable {
    private let recording = Recording<SchedulerEvent>()
    private let scheduler: Scheduler
    private let token: EventHandlerToken

    /// Starts recording the events of `scheduler`.
    public init(_ scheduler: Scheduler) {
        let recording = recording
        self.scheduler = scheduler
        token = scheduler.onEvent { recording.append($0) }
    }

    deinit { stop() }

    /// Stops recording; the events recorded so far stay.
    public func stop() {
        scheduler.removeEventHandler(token)
    }

    /// Every event recorded so far, in the order the scheduler delivered them.
    public var events: [SchedulerEvent] { recording.elements }

    /// The events of one kind recorded so far.
    public func events(of kind: SchedulerEvent.Kind) -> [SchedulerEvent] {
        events.filter { $0.kind == kind }
    }

    /// Suspends until at least `count` events (of `kind`, if given) have been recorded, or the
    /// task is cancelled, and returns the recorded events of that kind (all of them without a
    /// kind).
    @discardableResult
    public func waitUntil(count: Int, of kind: SchedulerEvent.Kind? = nil) async -> [SchedulerEvent] {
        let matching: @Sendable ([SchedulerEvent]) -> [SchedulerEvent] = { events in
            guard let kind else { return events }
            return events.filter { $0.kind == kind }
        }
        return matching(await recording.wait { matching($0).count >= count })
    }
}
