import Foundation
import Testing

@testable import Kairos

/// The scheduler's rules driven on ``JobTimeline`` directly: no scheduler thread, no executor, no
/// lock. Each row is a sequence of operations on one job and the events, status and next due date
/// it must leave.
@Suite(.timeLimit(.minutes(1))) struct JobTimelineTests {
    /// One step of a sequence, at the harness clock's current time unless it moves it.
    enum Step: Sendable, CustomStringConvertible {
        /// Moves the clock to origin + offset and runs a pass of the scheduler thread (if the
        /// scheduler is started and not paused, as the thread does).
        case at(Double)
        case pause, cancel
        case resume(catchingUp: Bool)
        /// Starts the scheduler (the timeline is created stopped when the row says so).
        case startScheduler
        /// Every run in flight returns.
        case finishRuns

        var description: String {
            switch self {
            case .at(let offset): "+\(offset)"
            case .pause: "pause"
            case .cancel: "cancel"
            case .resume(let catchingUp): catchingUp ? "resume catching up" : "resume"
            case .startScheduler: "start"
            case .finishRuns: "finish runs"
            }
        }
    }

    struct Row: CustomTestStringConvertible, Sendable {
        var situation: String
        /// A one-shot at this offset, or every 10 s from +10 s when `nil`.
        var once: Double?
        var options = JobOptions()
        var started = true
        var steps: [Step]
        var events: [SchedulerEvent.Kind]
        var status: JobStatus
        /// Offset of the next due date.
        var next: Double?
        /// Runs cancelled and fires buffered when the sequence ends.
        var cancels = 0
        var buffered = 0

        var testDescription: String { "\(situation): \(steps.map(\.description).joined(separator: ", "))" }
    }

    static let onceRows: [Row] = [
        Row(situation: "on time", once: 60, steps: [.at(59), .at(60), .finishRuns], events: [.scheduled, .fired, .succeeded, .completed], status: .completed),
        Row(situation: "late within the threshold", once: 60, steps: [.at(60.9), .finishRuns], events: [.scheduled, .fired, .succeeded, .completed], status: .completed),
        Row(
            situation: "late beyond the threshold, runLatest runs it", once: 60, steps: [.at(75), .finishRuns], events: [.scheduled, .fired, .succeeded, .completed],
            status: .completed),
        Row(
            situation: "late beyond the threshold, skip drops it", once: 60, options: JobOptions(misfire: .skip), steps: [.at(75)], events: [.scheduled, .missed, .completed],
            status: .completed),
        Row(situation: "cancelled before its date", once: 60, steps: [.cancel, .at(60)], events: [.scheduled, .cancelled], status: .cancelled),
        Row(situation: "cancelled while running", once: 60, steps: [.at(60), .cancel], events: [.scheduled, .fired, .cancelled], status: .cancelled, cancels: 1),
        Row(situation: "paused over its date", once: 60, steps: [.pause, .at(70)], events: [.scheduled, .paused], status: .paused, next: 60),
        Row(
            situation: "paused over its date, resumed", once: 60, steps: [.pause, .at(70), .resume(catchingUp: false)], events: [.scheduled, .paused, .resumed, .completed],
            status: .completed),
        Row(
            situation: "paused over its date, resumed catching up", once: 60, steps: [.pause, .at(70), .resume(catchingUp: true), .finishRuns],
            events: [.scheduled, .paused, .resumed, .fired, .succeeded, .completed], status: .completed),
        Row(
            situation: "paused and resumed before its date", once: 60, steps: [.pause, .resume(catchingUp: false), .at(60)], events: [.scheduled, .paused, .resumed, .fired],
            status: .running),
        // Due while the scheduler was stopped: missed however little late it starts.
        Row(situation: "due before the start", once: 5, started: false, steps: [.at(5.5), .startScheduler, .at(5.5)], events: [.scheduled, .fired], status: .running),
        Row(
            situation: "due before the start, skip", once: 5, options: JobOptions(misfire: .skip), started: false, steps: [.at(5.5), .startScheduler, .at(5.5)],
            events: [.scheduled, .missed, .completed], status: .completed),
    ]

    static let intervalRows: [Row] = [
        Row(situation: "on time", steps: [.at(10), .finishRuns, .at(20)], events: [.scheduled, .fired, .succeeded, .fired], status: .running, next: 30),
        Row(situation: "late, runLatest", steps: [.at(35)], events: [.scheduled, .missed, .fired], status: .running, next: 40),
        Row(situation: "late, runEarliest", options: JobOptions(misfire: .runEarliest), steps: [.at(35)], events: [.scheduled, .missed, .fired], status: .running, next: 40),
        Row(
            situation: "late, runAll buffers the rest", options: JobOptions(misfire: .runAll), steps: [.at(35)], events: [.scheduled, .fired], status: .running, next: 40,
            buffered: 2),
        Row(
            situation: "late, runAll runs them in turn", options: JobOptions(misfire: .runAll), steps: [.at(35), .finishRuns, .finishRuns, .finishRuns],
            events: [.scheduled, .fired, .succeeded, .fired, .succeeded, .fired, .succeeded], status: .pending, next: 40),
        Row(situation: "late, skip", options: JobOptions(misfire: .skip), steps: [.at(35)], events: [.scheduled, .missed], status: .pending, next: 40),
        Row(situation: "stopped across a date", started: false, steps: [.at(25), .startScheduler, .at(25)], events: [.scheduled, .missed, .fired], status: .running, next: 30),
        Row(
            situation: "maxRuns", options: JobOptions(maxRuns: 2), steps: [.at(10), .finishRuns, .at(20), .finishRuns, .at(30)],
            events: [.scheduled, .fired, .succeeded, .fired, .succeeded, .completed], status: .completed),
        Row(situation: "paused job skips its dates", steps: [.pause, .at(25), .resume(catchingUp: false)], events: [.scheduled, .paused, .resumed], status: .pending, next: 30),
        Row(
            situation: "paused job catches up", steps: [.pause, .at(25), .resume(catchingUp: true)], events: [.scheduled, .paused, .resumed, .missed, .fired], status: .running,
            next: 30),
        // A run still going at the next date: the overlap policy decides.
        Row(situation: "overlap skip", steps: [.at(10), .at(20)], events: [.scheduled, .fired, .overlapSkipped], status: .running, next: 30),
        Row(
            situation: "overlap bufferOne", options: JobOptions(overlap: .bufferOne), steps: [.at(10), .at(20), .at(30)], events: [.scheduled, .fired, .bufferDropped],
            status: .running, next: 40, buffered: 1),
        Row(
            situation: "overlap bufferOne, then the buffered fire", options: JobOptions(overlap: .bufferOne), steps: [.at(10), .at(20), .finishRuns],
            events: [.scheduled, .fired, .succeeded, .fired], status: .running, next: 30),
        Row(
            situation: "overlap bufferAll", options: JobOptions(overlap: .bufferAll(limit: 2)), steps: [.at(10), .at(20), .at(30), .at(40)],
            events: [.scheduled, .fired, .bufferDropped], status: .running, next: 50, buffered: 2),
        Row(
            situation: "overlap cancelOther", options: JobOptions(overlap: .cancelOther), steps: [.at(10), .at(20)], events: [.scheduled, .fired], status: .running, next: 30,
            cancels: 1, buffered: 1),
        Row(
            situation: "overlap allowAll", options: JobOptions(overlap: .allowAll(limit: 2)), steps: [.at(10), .at(20), .at(30)],
            events: [.scheduled, .fired, .fired, .overlapSkipped], status: .running, next: 40),
        Row(
            situation: "cancelled with a buffered fire", options: JobOptions(overlap: .bufferOne), steps: [.at(10), .at(20), .cancel, .finishRuns],
            events: [.scheduled, .fired, .cancelled, .succeeded], status: .cancelled, cancels: 1),
    ]

    @Test(arguments: onceRows + intervalRows)
    func aSequenceLeavesTheEventsStatusAndNextDate(_ row: Row) throws {
        let harness = try TimelineHarness(row)
        for step in row.steps { harness.perform(step) }
        #expect(harness.events == row.events)
        let snapshot = harness.timeline.snapshot(harness.slot)
        #expect(snapshot.status == row.status)
        #expect(snapshot.nextFireDate == row.next.map { TimelineHarness.origin.addingTimeInterval($0) })
        #expect(harness.cancels == row.cancels)
        #expect(snapshot.bufferedRuns == row.buffered)
        #expect(harness.timeline.invariantViolations() == [])
    }

    /// The effects ask the driver to wake the scheduler thread only when a job becomes the head
    /// of the queue, or the first one in the due list.
    @Test func aWakeUpIsAskedForOnlyForANewHead() throws {
        let harness = try TimelineHarness(Row(situation: "", once: 60, steps: [], events: [], status: .pending))
        let cases: [(offset: Double, wakeAt: Double?, dueList: Bool)] = [(120, nil, false), (30, 30, false), (30, nil, false), (0, nil, true), (-5, nil, false)]
        for (offset, wakeAt, dueList) in cases {
            harness.effects = JobTimeline.Effects()
            harness.add(once: offset)
            let expected = wakeAt.map { TimelineHarness.origin.addingTimeInterval($0).timeIntervalSinceReferenceDate } ?? .infinity
            #expect(harness.effects.wakeForDate == expected, "job at +\(offset)")
            #expect(harness.effects.wakeForDueList == dueList, "job at +\(offset)")
        }
        #expect(harness.timeline.queue.count == 4)
        #expect(harness.timeline.dueList.count == 2)
        // A pass takes the due list first, without the heap.
        harness.effects = JobTimeline.Effects()
        harness.timeline.fireDue(now: harness.now, effects: &harness.effects)
        #expect(harness.effects.runs.count == 2)
        #expect(harness.timeline.queue.count == 4)
        #expect(harness.timeline.dueList.isEmpty)
    }

    /// A job queued far from the latest reading costs no clock reading; one near it reads the
    /// clock to tell whether it is due.
    @Test func onlyADateNearTheLatestReadingReadsTheClock() throws {
        let harness = try TimelineHarness(Row(situation: "", once: 60, steps: [], events: [], status: .pending))
        let reading = harness.timeline.recentNow
        harness.clock.advance(by: .seconds(0.5))
        harness.add(once: 3600, reading: .nan)
        #expect(harness.timeline.recentNow == reading)
        harness.add(once: 0.7, reading: .nan)
        #expect(harness.timeline.recentNow == harness.now)
    }
}

/// A ``JobTimeline`` on a manual clock with one job under test, and what its effects said so far.
final class TimelineHarness {
    static let origin = utcDate("2026-01-01T00:00:00Z")

    let clock = ManualClock(now: origin)
    var timeline: JobTimeline
    var effects = JobTimeline.Effects()
    private(set) var slot: UInt32 = 0
    private(set) var id = JobID(rawValue: 0)
    private(set) var events: [SchedulerEvent.Kind] = []
    private(set) var cancels = 0
    private var inFlight: [JobRun] = []

    init(_ row: JobTimelineTests.Row) throws {
        timeline = JobTimeline(configuration: .init(clock: clock, defaultOverlap: .skip, defaultMisfire: .runLatest))
        timeline.reportsEvents = true
        if row.started { timeline.start(effects: &effects) }
        let trigger: any Trigger =
            if let once = row.once { OnceTrigger(at: Self.origin.addingTimeInterval(once)) } else {
                try IntervalTrigger(every: .seconds(10), startingAt: Self.origin.addingTimeInterval(10))
            }
        id = add(trigger, options: row.options, reading: now)
        slot = try timeline.requireSlot(id)
        collect()
    }

    deinit { timeline.deallocate() }

    var now: Double { clock.now.date.timeIntervalSinceReferenceDate }

    /// Adds a one-shot job at origin + `offset`; `reading`: the clock reading taken for it (the
    /// scheduler takes none for a one-shot far from its latest reading), the clock's by default.
    @discardableResult
    func add(once offset: Double, reading: Double? = nil) -> JobID {
        add(OnceTrigger(at: Self.origin.addingTimeInterval(offset)), options: JobOptions(), reading: reading ?? now)
    }

    /// Adds a job as the scheduler does: options resolved, the record built, then added.
    func add(_ trigger: any Trigger, options: JobOptions, reading: Double) -> JobID {
        var options = options
        options.overlap = options.overlap ?? timeline.defaultOverlap
        options.misfire = options.misfire ?? timeline.defaultMisfire
        var record = JobRecord.free(generation: 0)
        let first = JobTimeline.prepare(
            &record, trigger: TriggerStorage(trigger, anchoredAt: reading), body: .empty, options: options,
            explicitID: false, restoring: nil, now: reading)
        return try! timeline.add(
            &record, name: "job", explicitID: nil, options: options, first: first, reading: reading, effects: &effects)
    }

    func perform(_ step: JobTimelineTests.Step) {
        switch step {
        case .at(let offset):
            clock.advance(to: Self.origin.addingTimeInterval(offset))
            if timeline.isFiring { timeline.fireDue(now: now, effects: &effects) }
        case .pause: try! timeline.pause(id, effects: &effects)
        case .cancel: _ = timeline.cancel(id, effects: &effects)
        case .resume(let catchingUp): try! timeline.resume(id, catchingUp: catchingUp, effects: &effects)
        case .startScheduler: timeline.start(effects: &effects)
        case .finishRuns:
            let finishing = inFlight
            inFlight = []
            for run in finishing {
                timeline.finishRun(CompletedRun(run: run, outcome: .success(()), start: now, end: now), effects: &effects)
                collect()
            }
        }
        collect()
        timeline.checkInvariants()
    }

    /// Moves what the effects hold into the harness's logs, as a driver performs them.
    private func collect() {
        events += effects.events.map(\.kind)
        inFlight += effects.runs
        cancels += effects.cancels.count
        effects = JobTimeline.Effects()
    }
}
