import Foundation

/// Jobs declared under a stable key: scheduling is an upsert, so that code that declares its
/// schedules at every start-up keeps one job per key across restarts.
extension PersistentScheduler {
    /// The longest job key accepted, in bytes of UTF-8.
    public static let maximumKeyLength = 256

    /// Declares the job stored under `key`, and returns its ID once the state holds the
    /// declaration durably: creates the job if no job has the key, leaves it alone if it was
    /// declared the same way, updates it if the declaration changed.
    ///
    /// Call it at every start-up, after ``start()``: a restart finds the job restored and keeps
    /// it, with its counters, its next due date and its ID.
    ///
    /// ```swift
    /// scheduler.start()
    /// try scheduler.schedule(key: "nightly-invoices", name: "nightly invoices", function: "invoice.send",
    ///                        trigger: try CronTrigger("0 2 * * *", timeZone: paris))
    /// ```
    ///
    /// The declaration is the name, function, arguments, trigger and options (except
    /// `startPaused`, which only applies when the job is created). An ``IntervalTrigger`` without
    /// a start matches the stored one whatever its anchor. When the declaration differs:
    /// - only the trigger, function or arguments changed, on a job that is restored and not
    ///   finished: the job is updated in place (a new trigger as by ``reschedule(_:trigger:)``);
    ///   it keeps its ID and counters;
    /// - otherwise (the name or options changed, or the job is finished, not restored yet, or
    ///   listed in ``unrestoredJobs``): it is replaced by a job with a new ID that keeps the key,
    ///   the counters, the paused state and, if the trigger is the same, the last and next due
    ///   dates. The old job is removed first (a running run of it is cancelled); a crash between
    ///   the two changes leaves the key without a job, and the next declaration creates it.
    ///
    /// A job is unique per key, and a finished job keeps its key: declaring a one-shot job that
    /// already ran does not run it again. ``cancel(_:)`` removes the job and frees the key.
    ///
    /// - Complexity: O(log n) plus one or two journal appends and fsyncs; none for an unchanged
    ///   declaration. Calls for one key are serialized; calls for different keys run side by side.
    /// - Throws: ``PersistentSchedulerError/invalidJobKey(_:reason:)`` for an empty key or one
    ///   longer than ``maximumKeyLength``, or the key of a DAG job, and the errors of
    ///   ``schedule(name:function:arguments:trigger:options:)``; nothing is changed then.
    @discardableResult
    public func schedule(
        key: String, name: String = "", function: String, arguments: JSONValue = nil,
        trigger: any Trigger, options: JobOptions = JobOptions()
    ) throws(PersistentSchedulerError) -> JobID {
        try Self.checkKey(key)
        guard let description = TriggerDescription(trigger) else {
            throw .triggerNotPersistable(String(describing: type(of: trigger)))
        }
        if let failure = store.failure { throw .persistence(failure) }
        guard state.withLock({ $0.functions[function] != nil }) else { throw .functionNotRegistered(function) }
        return try keyLocks.withLock(key) { () throws(PersistentSchedulerError) -> JobID in
            try declare(
                key: key, name: name, function: function, arguments: arguments, trigger: trigger,
                description: description, options: options)
        }
    }

    /// The declaration of ``schedule(key:name:function:arguments:trigger:options:)-(String,_,_,_,_,_)``,
    /// holding `key`.
    private func declare(
        key: String, name: String, function: String, arguments: JSONValue, trigger: any Trigger,
        description: TriggerDescription, options: JobOptions
    ) throws(PersistentSchedulerError) -> JobID {
        let document = store.document
        if let id = document.jobKeys[key], document.dag.jobs[id] != nil {
            throw .invalidJobKey(key, reason: "it is the key of DAG job \(id); declare it with scheduleDependencyJob(key:…)")
        }
        guard let id = document.jobKeys[key], let stored = document.jobs[id] else {
            return try scheduleKeyed(
                key: key, name: name, function: function, arguments: arguments,
                trigger: trigger, options: options, replacing: nil)
        }
        let sameTrigger = Self.storedTrigger(stored.trigger, matches: SchedulerValueCoding.json(description))
        // Stored options are the job's, with the scheduler's default policies filled in.
        let resolved: JobOptions
        do { resolved = try scheduler.resolvedOptions(options) } catch { throw .scheduler(error) }
        let sameOptions = stored.options == SchedulerValueCoding.json(resolved)
        if sameTrigger, sameOptions, stored.name == name, stored.function == function, stored.arguments == arguments {
            return id
        }
        let isLive =
            state.withLock { $0.entries[id].map { !$0.removed } ?? false }
            && scheduler.job(id).map { !$0.status.isFinished } ?? false
        if isLive, sameOptions, stored.name == name {
            try update(id, function: function, arguments: arguments, trigger: sameTrigger ? nil : trigger)
            return id
        }
        try removeForReplacement(id)
        return try scheduleKeyed(
            key: key, name: name, function: function, arguments: arguments,
            trigger: trigger, options: options, replacing: (stored, sameTrigger))
    }

    /// The ID of the job or DAG job stored under `key`, restored or not; `nil` if no job has the key.
    ///
    /// - Complexity: O(1).
    public func jobID(forKey key: String) -> JobID? { store.document.jobKeys[key] }

    /// A snapshot of the job stored under `key`, if it runs in this process. See ``job(_:)``.
    public func job(key: String) -> JobSnapshot? { jobID(forKey: key).flatMap(job(_:)) }

    /// Every key in the state with the ID of the job or DAG job stored under it, restored or not.
    ///
    /// For code that manages keyed jobs from outside (an HTTP API): list them, then read each
    /// with ``job(_:)`` and ``declaration(forKey:)``.
    ///
    /// - Complexity: O(1) (a copy of the dictionary, shared until changed).
    public var jobKeys: [String: JobID] { store.document.jobKeys }

    /// How the job stored under `key` was declared — its name, the function that runs it and the
    /// arguments passed to it — as the state holds it; `nil` if no job has the key (or it is a DAG
    /// job's). The trigger and options are on the job's snapshot, ``job(_:)``.
    ///
    /// - Complexity: O(1).
    public func declaration(forKey key: String) -> (name: String, function: String, arguments: JSONValue)? {
        let document = store.document
        guard let id = document.jobKeys[key], let stored = document.jobs[id] else { return nil }
        return (stored.name, stored.function, stored.arguments)
    }

    static func checkKey(_ key: String) throws(PersistentSchedulerError) {
        if key.isEmpty { throw .invalidJobKey(key, reason: "a key cannot be empty") }
        let length = key.utf8.count
        if length > maximumKeyLength {
            throw .invalidJobKey(key, reason: "it is \(length) bytes long; the limit is \(maximumKeyLength) bytes of UTF-8")
        }
    }

    /// Whether a stored trigger is the one declared; a declared interval without a start matches
    /// any anchor, since the stored one was anchored when its job was scheduled.
    static func storedTrigger(_ stored: JSONValue, matches declared: JSONValue) -> Bool {
        guard case .object(var declaredObject) = declared, case .object(var storedObject) = stored else {
            return stored == declared
        }
        switch declaredObject["kind"] {
        case "interval" where declaredObject["start"] == nil:
            storedObject["start"] = nil
        case "jittered":
            guard let declaredBase = declaredObject["base"], let storedBase = storedObject["base"],
                storedTrigger(storedBase, matches: declaredBase)
            else { return false }
            declaredObject["base"] = nil
            storedObject["base"] = nil
        default:
            break
        }
        return storedObject == declaredObject
    }

    /// Adds a job under `key`; a replaced job's counters, pause and (for the same trigger) due
    /// dates carry over.
    private func scheduleKeyed(
        key: String, name: String, function: String, arguments: JSONValue, trigger: any Trigger,
        options: JobOptions, replacing: (job: PersistedJob, sameTrigger: Bool)?
    ) throws(PersistentSchedulerError) -> JobID {
        let id = state.withLock { state -> JobID in
            let id = JobID(rawValue: state.nextJobID)
            state.nextJobID += 1
            state.entries[id] = Entry(key: key, function: function, arguments: StoredJSONValue(arguments), inFlight: [])
            return id
        }
        let carried = replacing.map { old in
            RestoredJobState(
                counters: old.job.counters,
                lastDueDate: old.sameTrigger ? old.job.lastFireDate : nil,
                nextDueDate: old.sameTrigger ? old.job.nextFireDate : nil,
                isPaused: old.job.status == JobStatus.paused.rawValue)
        }
        // The body reads the function and arguments from the entry, so that an update reaches
        // the next run.
        try add(id, name: name, trigger: trigger, options: options, restoring: carried, body: makeRestoredBody())
        return id
    }

    /// Changes a restored job's function, arguments and trigger in place, durably.
    private func update(_ id: JobID, function: String, arguments: JSONValue, trigger: (any Trigger)?) throws(PersistentSchedulerError) {
        state.withLock { state in
            guard var entry = state.entries[id] else { return }
            entry.function = function
            entry.arguments = StoredJSONValue(arguments)
            // The record is rebuilt from the next snapshot even if the scheduler's job is unchanged.
            entry.version = nil
            state.entries[id] = entry
        }
        if let trigger {
            do { try scheduler.reschedule(id, trigger: trigger) } catch { throw .scheduler(error) }
        }
        try persistCurrentState(of: id)
    }

    /// Removes a keyed job from the scheduler and the state, durably, whatever its status.
    private func removeForReplacement(_ id: JobID) throws(PersistentSchedulerError) {
        state.withLock { state in
            state.entries[id]?.removed = true
            state.unrestored[id] = nil
        }
        scheduler.cancel(id)
        do {
            try store.commit { (document: StateDocument) -> [StateChange] in
                document.jobs[id] == nil ? [] : [.removeJob(id)]
            }
        } catch {
            throw .persistence(error)
        }
    }
}
