import Foundation

/// The dependency graph of a `PersistentScheduler` and its DAG runs in progress, as the state file
/// holds them (SPEC §7.2, §7.8).
package struct PersistedDAG: Sendable, Hashable {
    /// The graph's jobs by identity.
    package var jobs: [JobID: PersistedDAGJob] = [:]
    /// The DAG runs in progress by due date.
    package var runs: [Date: PersistedDAGRun] = [:]

    package init() {}

    /// Whether the state holds no dependency data (it is then written as format version 1).
    package var isEmpty: Bool { jobs.isEmpty && runs.isEmpty }

    /// Applies one change.
    ///
    /// - Throws: ``PersistenceError/invalidChange(reason:)`` when the change names a job the graph
    ///   does not hold, would close a cycle, removes a job others depend on, or finishes a DAG
    ///   run that has unfinished jobs. The graph may then be partly changed: apply to a copy.
    mutating func apply(_ change: DAGStateChange) throws(PersistenceError) {
        switch change {
        case .putJob(let job):
            for upstream in job.upstream where upstream != job.id && jobs[upstream] == nil {
                throw .invalidChange(reason: "DAG job \(job.id) depends on job \(upstream), which is not in the graph")
            }
            // A new job has no dependents (they would name it before it existed), so only a
            // replaced one can close a cycle.
            let isNew = jobs.updateValue(job, forKey: job.id) == nil
            if !isNew {
                for upstream in job.upstream {
                    if let cycle = cycle(adding: job.id, dependsOn: upstream) { throw .invalidChange(reason: cycle) }
                }
            }
        case .addEdge(let id, let upstream):
            guard let job = jobs[id] else { throw .invalidChange(reason: "no DAG job \(id) to add an edge to") }
            guard jobs[upstream] != nil else {
                throw .invalidChange(reason: "DAG job \(id) cannot depend on job \(upstream), which is not in the graph")
            }
            guard job.trigger == nil else { throw .invalidChange(reason: "DAG job \(id) is a root (it has a trigger) and cannot depend on another job") }
            if let cycle = cycle(adding: id, dependsOn: upstream) { throw .invalidChange(reason: cycle) }
            if !job.upstream.contains(upstream) { jobs[id]!.upstream.append(upstream) }
        case .removeEdge(let id, let upstream):
            guard let job = jobs[id], let position = job.upstream.firstIndex(of: upstream) else {
                throw .invalidChange(reason: "DAG job \(id) does not depend on job \(upstream), so that edge cannot be removed")
            }
            guard job.upstream.count > 1 else {
                throw .invalidChange(reason: "removing the edge to job \(upstream) would leave DAG job \(id) with neither a trigger nor upstream jobs")
            }
            jobs[id]!.upstream.remove(at: position)
        case .removeJob(let id):
            guard jobs.removeValue(forKey: id) != nil else { throw .invalidChange(reason: "no DAG job \(id) to remove") }
            if let dependent = jobs.values.first(where: { $0.upstream.contains(id) }) {
                throw .invalidChange(reason: "DAG job \(id) is removed while job \(dependent.id) depends on it")
            }
            for due in runs.keys { runs[due]!.jobs[id] = nil }
        case .rootFired(let id, let due):
            guard let job = jobs[id] else { throw .invalidChange(reason: "no DAG job \(id) to fire") }
            guard job.trigger != nil else { throw .invalidChange(reason: "DAG job \(id) has no trigger, so it cannot fire") }
            jobs[id]!.last = max(job.last ?? due, due)
        case .updateRun(let due, let updates, let finished):
            var run = runs[due] ?? PersistedDAGRun(due: due)
            for update in updates {
                guard jobs[update.id] != nil else {
                    throw .invalidChange(reason: "the DAG run for \(due.timeIntervalSince1970) names job \(update.id), which is not in the graph")
                }
                let wasFinal = run.jobs[update.id]?.phase.isFinal ?? false
                run.jobs[update.id] = update
                if update.phase.isFinal, !wasFinal {
                    let attempts = update.phase == .succeeded || update.phase == .failed ? update.attempts : 0
                    DependencyGraph.record(
                        DependencyRun(dueDate: due, state: update.phase.state ?? .skipped, attempts: attempts),
                        in: &jobs[update.id]!.history)
                }
            }
            if finished {
                if let unfinished = run.jobs.values.first(where: { !$0.phase.isFinal }) {
                    throw .invalidChange(reason: "the DAG run for \(due.timeIntervalSince1970) finishes while job \(unfinished.id) is \(unfinished.phase.name)")
                }
                runs[due] = nil
            } else {
                runs[due] = run
            }
        }
    }

    /// A sentence naming the cycle the edge `id → upstream` closes, or `nil`.
    private func cycle(adding id: JobID, dependsOn upstream: JobID) -> String? {
        guard let cycle = DependencyGraph.cycle(adding: id, dependsOn: upstream, upstreamOf: { jobs[$0]?.upstream ?? [] }) else { return nil }
        return "the DAG edges close a cycle: " + cycle.map { "\"\(jobs[$0]?.name ?? "?")\" (\($0))" }.joined(separator: " → ")
    }

    /// A sentence naming a cycle of the graph, or `nil` if it has none.
    ///
    /// - Complexity: O(jobs + edges): a topological sort (Kahn's algorithm); the jobs it cannot
    ///   order each depend on another such job, so following their edges returns to one of them.
    private func anyCycle() -> String? {
        var unorderedUpstream: [JobID: Int] = [:]
        var downstream: [JobID: [JobID]] = [:]
        for job in jobs.values {
            unorderedUpstream[job.id] = Set(job.upstream).count
            for upstream in Set(job.upstream) { downstream[upstream, default: []].append(job.id) }
        }
        var ready = unorderedUpstream.filter { $0.value == 0 }.map(\.key)
        while let id = ready.popLast() {
            unorderedUpstream[id] = nil
            for child in downstream[id] ?? [] {
                unorderedUpstream[child]! -= 1
                if unorderedUpstream[child] == 0 { ready.append(child) }
            }
        }
        guard let start = unorderedUpstream.keys.min() else { return nil }
        var path: [JobID] = [start]
        var position: [JobID: Int] = [start: 0]
        while true {
            let next = jobs[path.last!]!.upstream.first { unorderedUpstream[$0] != nil }!
            if let first = position[next] {
                let cycle = Array(path[first...]) + [next]
                return "the DAG edges close a cycle: " + cycle.map { "\"\(jobs[$0]!.name)\" (\($0))" }.joined(separator: " → ")
            }
            position[next] = path.count
            path.append(next)
        }
    }

    /// Builds the graph of a snapshot, checking it as the journal's changes are checked.
    ///
    /// - Returns: why the stored graph is not valid, or `nil`.
    static func checked(jobs stored: [PersistedDAGJob], runs storedRuns: [PersistedDAGRun]) -> (PersistedDAG?, String?) {
        var dag = PersistedDAG()
        for job in stored {
            if dag.jobs.updateValue(job, forKey: job.id) != nil { return (nil, "DAG job \(job.id) appears twice") }
        }
        for job in stored {
            for upstream in job.upstream {
                guard dag.jobs[upstream] != nil else { return (nil, "DAG job \(job.id) depends on job \(upstream), which is not in the graph") }
                if job.trigger != nil { return (nil, "DAG job \(job.id) is a root (it has a trigger) and also depends on job \(upstream)") }
            }
            if job.trigger == nil, job.upstream.isEmpty { return (nil, "DAG job \(job.id) has neither a trigger nor upstream jobs") }
        }
        if let cycle = dag.anyCycle() { return (nil, cycle) }
        for run in storedRuns {
            if dag.runs.updateValue(run, forKey: run.due) != nil { return (nil, "the DAG run for \(run.due.timeIntervalSince1970) appears twice") }
            if let unknown = run.jobs.keys.first(where: { dag.jobs[$0] == nil }) {
                return (nil, "the DAG run for \(run.due.timeIntervalSince1970) names job \(unknown), which is not in the graph")
            }
        }
        return (dag, nil)
    }
}

/// One change to the stored dependency graph or its DAG runs; a journal record's change
/// (`putDAGJob`, `addDAGEdge`, `removeDAGEdge`, `removeDAGJob`, `dagRootFired`, `updateDAGRun`).
package enum DAGStateChange: Sendable, Hashable {
    /// Adds or replaces a job.
    case putJob(PersistedDAGJob)
    /// Adds the edge `job → depends on upstream`.
    case addEdge(job: JobID, upstream: JobID)
    /// Removes the edge `job → depends on upstream`; the job keeps at least one upstream job.
    case removeEdge(job: JobID, upstream: JobID)
    /// Removes a job (no job may depend on it) from the graph and the DAG runs in progress.
    case removeJob(JobID)
    /// A root fired for a due date: its latest fire date.
    case rootFired(job: JobID, due: Date)
    /// Sets the phase of jobs in the DAG run for `due` (creating it); `finished` removes it.
    case updateRun(due: Date, jobs: [PersistedDAGJobRun], finished: Bool)
}

/// A job of the dependency graph as the state file holds it.
package struct PersistedDAGJob: Sendable, Hashable {
    /// The job's identity (a job ID of the state's sequence).
    package var id: JobID
    /// The name given when it was added.
    package var name: String
    /// The key it was declared under (`scheduleDependencyJob(key:…)`), unique among all jobs of
    /// the state; `nil` for a job added without one.
    package var key: String?
    /// The registered function that runs it.
    package var function: String
    /// The arguments passed to the function.
    package var arguments: JSONValue
    /// A root's trigger (anchored) as a `TriggerDescription` JSON; `nil` for a dependent.
    package var trigger: JSONValue?
    /// Trigger rule, retry, timeout, `dependsOnPast`, priority, and a root's misfire policy, in
    /// their stored form (checked when read; kept as read, so that it writes back byte for byte).
    package var options: JSONValue
    /// Upstream jobs, in the order the edges were added.
    package var upstream: [JobID]
    /// A root's first due date when it was scheduled.
    package var first: Date?
    /// A root's latest fire date.
    package var last: Date?
    /// The latest finished runs (at most 64), oldest first, for `dependsOnPast` and `runs(of:)`.
    package var history: [DependencyRun]

    package init(
        id: JobID, name: String, key: String? = nil, function: String, arguments: JSONValue = .null, trigger: JSONValue? = nil,
        options: DependencyJobOptions = DependencyJobOptions(), upstream: [JobID] = [], first: Date? = nil,
        last: Date? = nil, history: [DependencyRun] = []
    ) {
        self.id = id
        self.name = name
        self.key = key
        self.function = function
        self.arguments = arguments
        self.trigger = trigger
        let stored = options.stored
        self.options = stored == [:] ? .null : stored
        self.upstream = upstream
        self.first = first
        self.last = last
        self.history = history
    }
}

extension PersistedDAGJob {
    /// The job's options.
    ///
    /// - Throws: ``PersistedValueError`` saying what is wrong with the stored form.
    func dependencyOptions() throws(PersistedValueError) -> DependencyJobOptions {
        try DependencyJobOptions(stored: options)
    }
}

/// A DAG run in progress as the state file holds it: the phase of each job taking part.
package struct PersistedDAGRun: Sendable, Hashable {
    /// The DAG run's due date.
    package var due: Date
    /// The runs of the jobs taking part, by job.
    package var jobs: [JobID: PersistedDAGJobRun] = [:]
}

/// One job's run in a stored DAG run: `{"id":N,"phase":P,"attempts":A}`.
package struct PersistedDAGJobRun: Sendable, Hashable {
    /// The job.
    package var id: JobID
    /// Where its run is (never `absent`).
    var phase: DependencyGraph.Phase
    /// The attempts made or under way (0 before it runs).
    package var attempts: Int
}
