import Foundation
import HTTPTypes
import Kairos

/// What the JSON routes and the dashboard (`KairosDashboard`, in this package) both do to a
/// schedule, so that the two act through the same backend and keep the same run records and
/// pause notes.
extension KairosAPI {
    /// The longest pause note kept, in bytes.
    package static let maximumPauseNoteBytes = 1000

    /// A schedule as a page shows it: its declaration, its state (`nil` when its function is not
    /// registered here), its pause note and next fire times.
    package struct ScheduleOverview: Sendable {
        /// The schedule's ID (its job key).
        package var id: String
        /// How it was declared.
        package var declaration: ScheduleDeclaration
        /// Its state, if it runs here.
        package var state: ScheduleState?
        /// The note given when it was paused.
        package var note: String?
        /// Its next nominal fire dates.
        package var nextFireTimes: [Date]

        /// A `JobStatus`'s name, or `unrestored` (what the API's `status` shows).
        package var status: String { state?.status.rawValue ?? "unrestored" }
    }

    /// Every schedule, with its next fire time; one that vanished while being read is left out.
    package func scheduleOverviews() async throws -> [ScheduleOverview] {
        let keys = try await backend.keyedJobs()
        records.setSchedules(keys)
        var found: [ScheduleOverview] = []
        for key in keys.keys.sorted() {
            guard let schedule = try? await scheduleOverview(key, nextCount: 1) else { continue }
            found.append(schedule)
        }
        return found
    }

    /// The schedule under `id` with its next `nextCount` fire times.
    ///
    /// - Throws: a 404 ``Problem`` for an unknown ID.
    package func scheduleOverview(_ id: String, nextCount: Int) async throws -> ScheduleOverview {
        let found = try await resource(id, nextCount: nextCount)
        return ScheduleOverview(id: id, declaration: found.declaration, state: found.state, note: found.note, nextFireTimes: found.nextFireTimes)
    }

    /// The runs going, of every schedule, oldest start first.
    package func runsInProgress(of schedule: String? = nil) -> [RunRecord] { records.activeRuns(of: schedule) }

    /// Pauses the schedule, keeping `note` (at most ``maximumPauseNoteBytes``) until it resumes.
    package func pauseSchedule(_ id: String, note: String?) async throws {
        if let note, note.utf8.count > Self.maximumPauseNoteBytes {
            throw Problem.invalid("note", "is longer than \(Self.maximumPauseNoteBytes) bytes")
        }
        let job = try await restoredJob(id)
        try await backend.pause(job)
        records.setNote(note, of: id)
    }

    /// Resumes the schedule, catching up on the dates missed while paused or from now.
    package func resumeSchedule(_ id: String, catchingUp: Bool) async throws {
        let job = try await restoredJob(id)
        try await backend.resume(job, catchingUp: catchingUp)
        records.setNote(nil, of: id)
    }

    /// Starts a run of the schedule now and returns its job's ID without waiting for the run.
    @discardableResult
    package func triggerSchedule(_ id: String) async throws -> JobID {
        let job = try await restoredJob(id)
        try await backend.runNow(job)
        return job
    }

    /// Cancels the schedule's job, frees its ID and forgets its history.
    package func deleteSchedule(_ id: String) async throws {
        guard let job = try await backend.jobID(forKey: id) else { throw Problem.notFound("no schedule with ID \"\(id)\"") }
        _ = try await backend.cancel(job)
        records.removeSchedule(id)
    }

    /// What a failed operation tells its caller: the status a JSON route would answer and the
    /// problem's detail.
    package static func failure(_ error: any Error) -> (status: HTTPResponse.Status, detail: String) {
        let problem = Problem.from(error)
        return (problem.status, problem.detail)
    }
}
