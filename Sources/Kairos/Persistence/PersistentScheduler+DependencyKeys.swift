import Foundation

/// DAG jobs declared under a stable key: a program that declares its graph at every start-up
/// keeps one DAG job per key, with its ID and its run history, across restarts (SPEC §7.8).
extension PersistentScheduler {
    /// Declares the DAG job stored under `key`, and returns its ID once the state holds the
    /// declaration durably: adds the job if no job has the key, leaves it alone if it was
    /// declared the same way, updates it in place if its function, arguments, trigger or
    /// upstream jobs changed.
    ///
    /// Call it at every start-up, after ``start()``, root first: the IDs it returns are the
    /// stored ones, so the `dependsOn` of the next declarations name the same jobs in every
    /// process.
    ///
    /// ```swift
    /// scheduler.start()
    /// let extract = try scheduler.scheduleDependencyJob(key: "etl.extract", name: "extract", function: "etl.extract",
    ///                                                   trigger: try CronTrigger("0 2 * * *", timeZone: .gmt))
    /// let load = try scheduler.scheduleDependencyJob(key: "etl.load", name: "load", function: "etl.load",
    ///                                                dependsOn: [extract])
    /// ```
    ///
    /// The declaration is the name, function, arguments, trigger, options and the set of
    /// upstream jobs (their order does not matter). An ``IntervalTrigger`` without a start
    /// matches the stored one whatever its anchor. When it differs:
    /// - a changed upstream set: the missing edges are added and the others removed, in one
    ///   journal record; an edge that would close a cycle refuses the whole declaration
    ///   (``PersistentSchedulerError/dependency(_:)`` with ``DependencyError/cycle(_:)``) and
    ///   nothing changes. A dependent waiting in a DAG run in progress stops waiting for a removed
    ///   upstream job's run (its trigger rule is applied to the others);
    /// - a root's changed trigger: the root fires by the new one from now (as by
    ///   ``reschedule(_:trigger:)``); DAG runs in progress keep their jobs;
    /// - a changed function or arguments: runs started from then on get them.
    ///
    /// The job keeps its ID and its runs (``dependencyRuns(of:)``) through an update. A changed
    /// name or options, a root declared as a dependent or the reverse, or any change before
    /// ``start()`` has rebuilt the stored graph is refused with
    /// ``PersistentSchedulerError/dependencyJobNotUpdatable(key:reason:)``: remove the job with
    /// ``remove(_:)`` and declare it again, or use another key. Keys are shared with
    /// the jobs of ``schedule(key:name:function:arguments:trigger:options:)-(String,_,_,_,_,_)``; ``cancel(_:)`` and
    /// ``remove(_:)`` free a DAG job's key.
    ///
    /// - Complexity: nothing written for an unchanged declaration; otherwise as
    ///   ``scheduleDependencyJob(name:function:arguments:trigger:dependsOn:options:)`` or
    ///   ``addDependency(_:dependsOn:)``, one journal record per kind of change (edges; trigger,
    ///   function and arguments), each durable before the next. Calls for one key are serialized;
    ///   calls for different keys run side by side.
    /// - Throws: ``PersistentSchedulerError/invalidJobKey(_:reason:)`` for an empty or too long
    ///   key or the key of a job that is not a DAG job,
    ///   ``PersistentSchedulerError/dependencyJobNotUpdatable(key:reason:)``, and the errors of
    ///   ``scheduleDependencyJob(name:function:arguments:trigger:dependsOn:options:)``.
    @discardableResult
    public func scheduleDependencyJob(
        key: String, name: String = "", function: String, arguments: JSONValue = nil, trigger: (any Trigger)? = nil,
        dependsOn upstream: [JobID] = [], options: DependencyJobOptions = DependencyJobOptions()
    ) throws(PersistentSchedulerError) -> JobID {
        try Self.checkKey(key)
        var declaredTrigger: JSONValue?
        if let trigger {
            guard let description = TriggerDescription(trigger) else {
                throw .triggerNotPersistable(String(describing: type(of: trigger)))
            }
            declaredTrigger = SchedulerValueCoding.json(description)
        }
        if let failure = store.failure { throw .persistence(failure) }
        guard state.withLock({ $0.functions[function] != nil }) else { throw .functionNotRegistered(function) }
        return try keyLocks.withLock(key) { () throws(PersistentSchedulerError) -> JobID in
            try declareDependencyJob(
                key: key, name: name, function: function, arguments: arguments, trigger: trigger,
                declaredTrigger: declaredTrigger, dependsOn: upstream, options: options)
        }
    }

    /// The declaration of
    /// ``scheduleDependencyJob(key:name:function:arguments:trigger:dependsOn:options:)``, holding `key`.
    private func declareDependencyJob(
        key: String, name: String, function: String, arguments: JSONValue, trigger: (any Trigger)?,
        declaredTrigger: JSONValue?, dependsOn upstream: [JobID], options: DependencyJobOptions
    ) throws(PersistentSchedulerError) -> JobID {
        let document = store.document
        guard let id = document.jobKeys[key] else {
            return try addDependencyJob(
                key: key, name: name, function: function, arguments: arguments, trigger: trigger,
                dependsOn: upstream, options: options)
        }
        guard let stored = document.dag.jobs[id] else {
            throw .invalidJobKey(key, reason: "it is the key of job \(id), which is not a DAG job; declare it with schedule(key:…)")
        }
        let sameTrigger =
            switch (stored.trigger, declaredTrigger) {
            case (nil, nil): true
            case let (storedTrigger?, declared?): Self.storedTrigger(storedTrigger, matches: declared)
            default: false
            }
        let sameUpstream = Set(stored.upstream) == Set(upstream)
        if sameTrigger, sameUpstream, stored.name == name, stored.function == function, stored.arguments == arguments,
            stored.options == PersistedDAGJob(id: id, name: name, function: function, options: options).options
        {
            return id
        }
        if let reason = notUpdatableReason(stored, name: name, isRoot: trigger != nil, options: options) {
            throw .dependencyJobNotUpdatable(key: key, reason: reason)
        }
        if !sameUpstream {
            do { try dependencies.setUpstream(id, to: upstream) } catch { throw Self.error(error) }
        }
        var replaced: (trigger: JSONValue, first: Date?)?
        if let trigger, !sameTrigger {
            do {
                let anchored = try dependencies.replaceTrigger(of: id, with: trigger)
                replaced = (SchedulerValueCoding.json(TriggerDescription(anchored)!), firstDueDate(of: anchored))
            } catch {
                throw Self.error(error)
            }
        }
        guard replaced != nil || stored.function != function || stored.arguments != arguments else { return id }
        state.withLock { state in
            state.dagJobs[id]?.function = function
            state.dagJobs[id]?.arguments = arguments
        }
        do {
            try store.commit { (document: StateDocument) -> [StateChange] in
                guard var job = document.dag.jobs[id] else { return [] }
                job.function = function
                job.arguments = arguments
                if let replaced {
                    job.trigger = replaced.trigger
                    job.first = replaced.first
                    // Dates the old trigger fired for are not the new one's: the root continues
                    // from `first`, unless it has fired by the new trigger already.
                    if let last = job.last, let first = replaced.first, last < first { job.last = nil }
                }
                return [.dag(.putJob(job))]
            }
        } catch {
            throw .persistence(error)
        }
        dependencies.releaseHeldRuns()
        return id
    }

    /// Why the stored DAG job cannot be changed in place to the declaration; `nil` if it can.
    private func notUpdatableReason(
        _ stored: PersistedDAGJob, name: String, isRoot: Bool,
        options: DependencyJobOptions
    ) -> String? {
        if !dependencies.contains(stored.id) {
            return "the stored graph is rebuilt by start(); declare changed DAG jobs after it"
        }
        if let invalid = state.withLock({ $0.dagJobs[stored.id]?.invalidReason }) {
            return "it cannot be restored here (\(invalid))"
        }
        if stored.name != name { return "its name changed from \"\(stored.name)\" to \"\(name)\"" }
        if (stored.trigger != nil) != isRoot {
            return isRoot
                ? "it is stored as a dependent and declared as a root (with a trigger)"
                : "it is stored as a root (with a trigger) and declared as a dependent"
        }
        let declared = PersistedDAGJob(id: stored.id, name: name, function: "", options: options).options
        if stored.options != declared { return "its options changed from \(stored.options) to \(declared)" }
        return nil
    }
}
