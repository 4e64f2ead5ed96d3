import Foundation

/// The state behind a ``DependencyScheduler``: the graph, and the runs of each DAG run in
/// progress. A plain value mutated under the scheduler's lock; its methods decide and record, and
/// return the runs to launch (``Effects``) so that the caller starts them after unlocking.
struct DependencyGraph {
    struct Node {
        let id: JobID
        let name: String
        let options: DependencyJobOptions
        /// The anchored trigger of a root; `nil` for a dependent.
        var trigger: (any Trigger)?
        /// The scheduler job that carries a root's trigger.
        var triggerJobID: JobID?
        /// Removed from the graph: its index stays taken, it has no edges and joins no DAG run.
        var isRemoved = false
        /// The latest slot a root fired for: it will not fire for that slot or an earlier one again.
        var lastFired = -Double.infinity
        var upstream: [Int32] = []
        var downstream: [Int32] = []
        /// The latest finished runs, oldest first (at most ``historyLimit``).
        var history: [DependencyRun] = []
    }

    enum Phase: UInt8, CaseIterable {
        case absent, waitingForTrigger, waitingForUpstream, waitingForPast, running
        case succeeded, failed, upstreamFailed, skipped

        /// The stored name of a phase (SPEC §7.2).
        var name: String {
            switch self {
            case .absent: "absent"
            case .waitingForTrigger: "waitingForTrigger"
            case .waitingForUpstream: "waitingForUpstream"
            case .waitingForPast: "waitingForPast"
            case .running: "running"
            case .succeeded: "succeeded"
            case .failed: "failed"
            case .upstreamFailed: "upstreamFailed"
            case .skipped: "skipped"
            }
        }

        init?(name: String) {
            guard let phase = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = phase
        }

        var isFinal: Bool { rawValue >= Phase.succeeded.rawValue }

        init(_ state: DependencyRunState) {
            switch state {
            case .waiting: self = .waitingForUpstream
            case .running: self = .running
            case .succeeded: self = .succeeded
            case .failed: self = .failed
            case .upstreamFailed: self = .upstreamFailed
            case .skipped: self = .skipped
            }
        }

        var state: DependencyRunState? {
            switch self {
            case .absent: nil
            case .waitingForTrigger, .waitingForUpstream, .waitingForPast: .waiting
            case .running: .running
            case .succeeded: .succeeded
            case .failed: .failed
            case .upstreamFailed: .upstreamFailed
            case .skipped: .skipped
            }
        }
    }

    struct NodeRun {
        var phase: Phase = .absent
        var attempts: Int32 = 0
        /// What it has heard from its upstream runs in the DAG run.
        var upstream = TriggerRule.Tally()
    }

    struct Wave {
        let slot: Double
        var runs: [NodeRun]
        /// How many jobs take part.
        var members = 0
        var unfinished = 0
    }

    /// The start of a DAG run for a given set of firing roots, computed once per graph change:
    /// starting a DAG run copies it instead of walking the graph.
    struct RunTemplate {
        /// Each taking-part job waiting (roots for their trigger), with its upstream runs in the
        /// DAG run counted as pending.
        var runs: [NodeRun]
        /// The taking-part jobs, in the order they joined.
        var joined: [Int32]
        /// The taking-part dependents whose rule is ``TriggerRule/always``: they start at once.
        var immediate: [Int32]
    }

    struct Launch {
        let node: Int32
        let id: JobID
        let slot: Double
        let attempt: Int
    }

    struct Effects {
        var launches: [Launch] = []
        var finished: [(run: DAGRun, waiters: [CheckedContinuation<DAGRun?, Never>])] = []
    }

    static let historyLimit = 64
    static let finishedRunLimit = 1_000
    /// At most this many sets of roots keep a ``RunTemplate``.
    static let templateLimit = 16

    var nodes: [Node] = []
    var roots: [Int32] = []
    var indexByID: [JobID: Int32] = [:]
    var waves: [Double: Wave] = [:]
    /// Keyed by the roots that start the DAG run, in `roots` order. Adding a job keeps them up
    /// to date (the one of all roots, what a graph whose roots share a schedule uses, stays that);
    /// the other graph changes empty them.
    var templates: [(roots: [Int32], template: RunTemplate)] = [([], RunTemplate(runs: [], joined: [], immediate: []))]
    var finishedRuns: [Double: DAGRun] = [:]
    var finishedOrder: [Double] = []
    var waiters: [Double: [UUID: CheckedContinuation<DAGRun?, Never>]] = [:]
    /// Runs that became ready while the scheduler was not running, started by the next start.
    var parked: [Launch] = []
    /// Runs whose job may not start yet (see ``DependencyScheduler/LaunchGate``), started when
    /// released.
    var held: [Launch] = []
    /// Every change, in order, while a recorder is installed (`nil`: not recording).
    var changeLog: [DependencyChange]?

    mutating func log(_ change: DependencyChange) {
        if changeLog != nil { changeLog!.append(change) }
    }

    /// Sets a job's phase (and attempt count) in a DAG run the caller has taken out of `waves`
    /// (one dictionary lookup per change instead of one per edge), and logs it.
    private mutating func mark(_ node: Int32, in wave: inout Wave, _ phase: Phase, attempts: Int32? = nil) {
        wave.runs[Int(node)].phase = phase
        if let attempts { wave.runs[Int(node)].attempts = attempts }
        if changeLog != nil { logRun(node, slot: wave.slot, phase, attempts: wave.runs[Int(node)].attempts) }
    }

    private mutating func logRun(_ node: Int32, slot: Double, _ phase: Phase, attempts: Int32) {
        changeLog!.append(
            .run(
                dueDate: Date(timeIntervalSinceReferenceDate: slot), job: nodes[Int(node)].id, phase: phase,
                attempts: Int(attempts)))
    }

    // MARK: Building

    mutating func addNode(id: JobID, name: String, options: DependencyJobOptions, trigger: (any Trigger)?, upstream: [Int32]) -> Int32 {
        let index = Int32(nodes.count)
        nodes.append(Node(id: id, name: name, options: options, trigger: trigger, upstream: upstream))
        for parent in upstream { nodes[Int(parent)].downstream.append(index) }
        for slot in waves.keys { waves[slot]!.runs.append(NodeRun()) }
        extendTemplates(with: index)
        indexByID[id] = index
        if trigger != nil { roots.append(index) }
        log(.jobAdded(id))
        return index
    }

    /// Adds a new job to the cached templates: a dependent joins the DAG runs its upstream jobs
    /// take part in; a new root turns the template of all roots into the one of all roots and
    /// it, so that it stays the one found when they all fire. Call before adding a root to `roots`.
    ///
    /// - Complexity: O(upstream jobs) per cached template.
    private mutating func extendTemplates(with node: Int32) {
        let isRoot = nodes[Int(node)].trigger != nil
        for position in templates.indices {
            var run = NodeRun()
            if isRoot {
                // The template of all roots becomes that of all roots and this one.
                if templates[position].roots == roots {
                    templates[position].roots.append(node)
                    run.phase = .waitingForTrigger
                }
            } else {
                run.upstream.pending = Int32(nodes[Int(node)].upstream.count { templates[position].template.runs[Int($0)].phase != .absent })
                if run.upstream.pending > 0 { run.phase = .waitingForUpstream }
            }
            templates[position].template.runs.append(run)
            guard run.phase != .absent else { continue }
            templates[position].template.joined.append(node)
            if !isRoot, nodes[Int(node)].options.triggerRule == .always { templates[position].template.immediate.append(node) }
        }
    }

    /// The names along the cycle that the edge `dependent → upstream` would close, or `nil`.
    func cycle(adding dependent: Int32, dependsOn upstream: Int32) -> [String]? {
        Self.cycle(adding: dependent, dependsOn: upstream) { nodes[Int($0)].upstream }?.map { nodes[Int($0)].name }
    }

    /// The jobs along the cycle that the edge `dependent → upstream` would close in the graph
    /// whose edges `upstreamOf` lists, from `dependent` back to itself; `nil` if none. Shared with
    /// the state file's check of stored edges.
    ///
    /// - Complexity: O(jobs upstream of `upstream` + edges among them).
    static func cycle<Node: Hashable>(adding dependent: Node, dependsOn upstream: Node, upstreamOf: (Node) -> [Node]) -> [Node]? {
        if dependent == upstream { return [dependent, dependent] }
        // Search the upstream closure of `upstream` for `dependent`, remembering how we got there.
        var cameFrom: [Node: Node] = [upstream: upstream]
        var stack = [upstream]
        while let current = stack.popLast() {
            for parent in upstreamOf(current) where cameFrom[parent] == nil {
                cameFrom[parent] = current
                if parent == dependent {
                    // `current` depends on `dependent`; walk back down to `upstream`.
                    var chain: [Node] = [dependent]
                    var step = current
                    while step != upstream {
                        chain.append(step)
                        step = cameFrom[step]!
                    }
                    chain.append(upstream)
                    return [dependent] + chain.reversed()
                }
                stack.append(parent)
            }
        }
        return nil
    }

    mutating func addEdge(_ dependent: Int32, dependsOn upstream: Int32, effects: inout Effects) {
        guard !nodes[Int(dependent)].upstream.contains(upstream) else { return }
        nodes[Int(dependent)].upstream.append(upstream)
        nodes[Int(upstream)].downstream.append(dependent)
        log(.edgeAdded(nodes[Int(dependent)].id, upstream: nodes[Int(upstream)].id))
        reapply(dependent, upstream: upstream, by: 1, effects: &effects)
    }

    /// Counts (`by: 1`) or forgets (`by: -1`) the run of `upstream` in each DAG run where
    /// `dependent` still waits for its upstream runs, and applies its trigger rule again.
    private mutating func reapply(_ dependent: Int32, upstream: Int32, by step: Int32, effects: inout Effects) {
        templates.removeAll()
        for slot in waves.keys.sorted() {
            // A settle below may have finished a later DAG run (`dependsOnPast`).
            guard var wave = waves.removeValue(forKey: slot) else { continue }
            let child = wave.runs[Int(dependent)].phase
            let parent = wave.runs[Int(upstream)].phase
            var work: [(Int32, Phase)] = []
            if child == .waitingForUpstream, parent != .absent {
                tally(parent, into: &wave.runs[Int(dependent)], by: step)
                evaluate(dependent, in: &wave, work: &work, effects: &effects)
            }
            waves[slot] = wave
            if !work.isEmpty { settle(work, slot: slot, effects: &effects) }
        }
    }

    /// Removes the edge `dependent → upstream`. In each DAG run where the dependent still waits
    /// for its upstream runs, what it had heard from `upstream` is forgotten and its trigger rule
    /// is applied again to the others.
    mutating func removeEdge(_ dependent: Int32, dependsOn upstream: Int32, effects: inout Effects) {
        guard let position = nodes[Int(dependent)].upstream.firstIndex(of: upstream) else { return }
        nodes[Int(dependent)].upstream.remove(at: position)
        nodes[Int(upstream)].downstream.removeAll { $0 == dependent }
        log(.edgeRemoved(nodes[Int(dependent)].id, upstream: nodes[Int(upstream)].id))
        reapply(dependent, upstream: upstream, by: -1, effects: &effects)
    }

    /// Removes a job no job depends on: it takes no further part in any DAG run, and a DAG run
    /// in progress left with finished jobs only finishes. Its index stays taken.
    mutating func removeNode(_ node: Int32, effects: inout Effects) {
        let id = nodes[Int(node)].id
        for parent in nodes[Int(node)].upstream { nodes[Int(parent)].downstream.removeAll { $0 == node } }
        nodes[Int(node)].upstream = []
        nodes[Int(node)].isRemoved = true
        roots.removeAll { $0 == node }
        indexByID[id] = nil
        templates.removeAll()
        parked.removeAll { $0.node == node }
        held.removeAll { $0.node == node }
        log(.jobRemoved(id))
        for slot in waves.keys.sorted() {
            let phase = waves[slot]!.runs[Int(node)].phase
            guard phase != .absent else { continue }
            waves[slot]!.runs[Int(node)] = NodeRun()
            if !phase.isFinal {
                waves[slot]!.unfinished -= 1
                if waves[slot]!.unfinished == 0 { finishWave(slot, effects: &effects) }
            }
        }
    }

    // MARK: DAG runs

    /// A root fired for `slot` (a date as seconds since the reference date).
    mutating func rootFired(_ root: Int32, slot: Double, effects: inout Effects) {
        guard !nodes[Int(root)].isRemoved else { return }
        nodes[Int(root)].lastFired = max(nodes[Int(root)].lastFired, slot)
        log(.rootFired(nodes[Int(root)].id, dueDate: Date(timeIntervalSinceReferenceDate: slot)))
        // Earlier DAG runs still waiting for this root will not get it: it has moved on.
        let missed = waves.compactMap { $0.key < slot && $0.value.runs[Int(root)].phase == .waitingForTrigger ? $0.key : nil }
        for earlier in missed.sorted() {
            settle([(root, .skipped)], slot: earlier, effects: &effects)
        }
        var wave: Wave
        var immediate: [Int32]
        if let existing = waves.removeValue(forKey: slot) {
            wave = existing
            immediate = wave.runs[Int(root)].phase == .absent ? join([root], into: &wave).immediate : []
        } else {
            let date = Date(timeIntervalSinceReferenceDate: slot)
            let before = Date(timeIntervalSinceReferenceDate: slot.nextDown)
            // Roots that have already fired for this date (for a DAG run that has finished) will
            // not fire for it again.
            let expected = roots.filter {
                $0 == root || (nodes[Int($0)].lastFired < slot && nodes[Int($0)].trigger?.nextFireDate(after: before) == date)
            }
            let template = runTemplate(for: expected)
            wave = Wave(slot: slot, runs: template.runs, members: template.joined.count, unfinished: template.joined.count)
            if changeLog != nil {
                for node in template.joined { logRun(node, slot: slot, wave.runs[Int(node)].phase, attempts: 0) }
            }
            immediate = template.immediate
        }
        var work: [(Int32, Phase)] = []
        if wave.runs[Int(root)].phase == .waitingForTrigger { proceed(root, in: &wave, work: &work, effects: &effects) }
        for node in immediate where wave.runs[Int(node)].phase == .waitingForUpstream {
            proceed(node, in: &wave, work: &work, effects: &effects)
        }
        waves[slot] = wave
        if !work.isEmpty { settle(work, slot: slot, effects: &effects) }
    }

    /// The start of a DAG run in which `expected` fire, from the cache or computed and cached.
    private mutating func runTemplate(for expected: [Int32]) -> RunTemplate {
        if let cached = templates.first(where: { $0.roots == expected }) { return cached.template }
        var wave = Wave(slot: 0, runs: Array(repeating: NodeRun(), count: nodes.count))
        let log = changeLog
        changeLog = nil
        let (joined, immediate) = join(expected, into: &wave)
        changeLog = log
        let template = RunTemplate(runs: wave.runs, joined: joined, immediate: immediate)
        if templates.count >= Self.templateLimit { templates.removeAll() }
        templates.append((expected, template))
        return template
    }

    /// How a launched attempt ended; returns the delay before the next attempt when it is retried.
    mutating func attemptFinished(_ node: Int32, slot: Double, attempt: Int, outcome: RunOutcome, effects: inout Effects) -> TimeInterval? {
        guard waves[slot]?.runs[Int(node)].phase == .running else { return nil }
        let phase: Phase
        switch outcome {
        case .success:
            phase = .succeeded
        case .failure, .timedOut:
            if let delay = nodes[Int(node)].options.retry.delaySeconds(beforeAttempt: attempt + 1) {
                var wave = waves.removeValue(forKey: slot)!
                mark(node, in: &wave, .running, attempts: Int32(attempt + 1))
                waves[slot] = wave
                return delay
            }
            phase = .failed
        case .cancelled:
            phase = .failed
        }
        settle([(node, phase)], slot: slot, effects: &effects)
        return nil
    }

    /// Adds `newcomers` and every job downstream of them not yet in the DAG run, and counts the
    /// edges between the run's jobs exactly once. Returns the jobs that joined, and those of them
    /// whose rule is ``TriggerRule/always``, which the caller starts.
    private mutating func join(_ newcomers: [Int32], into wave: inout Wave) -> (joined: [Int32], immediate: [Int32]) {
        var joined: [Int32] = []
        var isNew = Set<Int32>()
        var stack: [Int32] = []
        var immediate: [Int32] = []
        for node in newcomers where wave.runs[Int(node)].phase == .absent {
            mark(node, in: &wave, nodes[Int(node)].trigger == nil ? .waitingForUpstream : .waitingForTrigger)
            stack.append(node)
        }
        while let node = stack.popLast() {
            joined.append(node)
            isNew.insert(node)
            for child in nodes[Int(node)].downstream where wave.runs[Int(child)].phase == .absent {
                mark(child, in: &wave, .waitingForUpstream)
                stack.append(child)
            }
        }
        wave.members += joined.count
        wave.unfinished += joined.count
        for node in joined {
            if nodes[Int(node)].options.triggerRule == .always, nodes[Int(node)].trigger == nil { immediate.append(node) }
            for parent in nodes[Int(node)].upstream {
                let phase = wave.runs[Int(parent)].phase
                if phase != .absent { tally(phase, into: &wave.runs[Int(node)]) }
            }
            for child in nodes[Int(node)].downstream
            where !isNew.contains(child)
                && wave.runs[Int(child)].phase == .waitingForUpstream
            {
                wave.runs[Int(child)].upstream.pending += 1
            }
        }
        return (joined, immediate)
    }

    /// Counts an upstream run in `phase` into a dependent's run (`by: -1` takes it out again).
    func tally(_ phase: Phase, into run: inout NodeRun, by step: Int32 = 1) {
        switch phase {
        case .succeeded: run.upstream.succeeded += step
        case .failed: run.upstream.failed += step
        case .upstreamFailed: run.upstream.upstreamFailed += step
        case .skipped: run.upstream.skipped += step
        case .absent: break
        case .waitingForTrigger, .waitingForUpstream, .waitingForPast, .running: run.upstream.pending += step
        }
    }

    /// Applies the trigger rule of a job waiting for its upstream runs.
    private mutating func evaluate(_ node: Int32, in wave: inout Wave, work: inout [(Int32, Phase)], effects: inout Effects) {
        switch nodes[Int(node)].options.triggerRule.decide(wave.runs[Int(node)].upstream) {
        case .wait: break
        case .run: proceed(node, in: &wave, work: &work, effects: &effects)
        case .upstreamFailed:
            mark(node, in: &wave, .upstreamFailed)
            work.append((node, .upstreamFailed))
        case .skipped:
            mark(node, in: &wave, .skipped)
            work.append((node, .skipped))
        }
    }

    /// Starts a job whose rule is met (or a root that fired), unless its past holds it back.
    private mutating func proceed(_ node: Int32, in wave: inout Wave, work: inout [(Int32, Phase)], effects: inout Effects) {
        if nodes[Int(node)].options.dependsOnPast {
            switch pastDecision(node, before: wave.slot) {
            case .wait:
                mark(node, in: &wave, .waitingForPast)
                return
            case .skip:
                mark(node, in: &wave, .skipped)
                work.append((node, .skipped))
                return
            case .run:
                break
            }
        }
        mark(node, in: &wave, .running, attempts: 1)
        effects.launches.append(Launch(node: node, id: nodes[Int(node)].id, slot: wave.slot, attempt: 1))
    }

    private enum PastDecision { case run, skip, wait }

    /// The job's latest earlier run that ran (or may still run) decides.
    private func pastDecision(_ node: Int32, before slot: Double) -> PastDecision {
        var candidates: [(slot: Double, phase: Phase)] = []
        for (earlier, wave) in waves where earlier < slot && wave.runs[Int(node)].phase != .absent {
            candidates.append((earlier, wave.runs[Int(node)].phase))
        }
        for run in nodes[Int(node)].history where run.dueDate.timeIntervalSinceReferenceDate < slot {
            candidates.append((run.dueDate.timeIntervalSinceReferenceDate, Phase(run.state)))
        }
        candidates.sort { $0.slot > $1.slot }
        for candidate in candidates {
            switch candidate.phase {
            case .skipped, .upstreamFailed, .absent: continue
            case .succeeded: return .run
            case .failed: return .skip
            case .waitingForTrigger, .waitingForUpstream, .waitingForPast, .running: return .wait
            }
        }
        return .run
    }

    /// Records final phases and lets their downstream jobs (transitively) and later runs of the
    /// same jobs (`dependsOnPast`) react.
    private mutating func settle(_ initial: [(Int32, Phase)], slot: Double, effects: inout Effects) {
        // Taken out of `waves` for the walk (see `mark`); `pastDecision` reads earlier runs only.
        var wave = waves.removeValue(forKey: slot)!
        var work = initial
        var unblocked: [(Int32, Double)] = []
        while let (node, phase) = work.popLast() {
            mark(node, in: &wave, phase)
            wave.unfinished -= 1
            record(node, slot: slot, phase: phase, attempts: wave.runs[Int(node)].attempts)
            for child in nodes[Int(node)].downstream where wave.runs[Int(child)].phase == .waitingForUpstream {
                wave.runs[Int(child)].upstream.pending -= 1
                tally(phase, into: &wave.runs[Int(child)])
                evaluate(child, in: &wave, work: &work, effects: &effects)
            }
            if nodes[Int(node)].options.dependsOnPast {
                for (later, other) in waves where later > slot && other.runs[Int(node)].phase == .waitingForPast {
                    unblocked.append((node, later))
                }
            }
        }
        if wave.unfinished == 0 {
            finish(wave, effects: &effects)
        } else {
            waves[slot] = wave
        }
        for (node, later) in unblocked where waves[later]?.runs[Int(node)].phase == .waitingForPast {
            var laterWave = waves.removeValue(forKey: later)!
            var laterWork: [(Int32, Phase)] = []
            proceed(node, in: &laterWave, work: &laterWork, effects: &effects)
            waves[later] = laterWave
            if !laterWork.isEmpty { settle(laterWork, slot: later, effects: &effects) }
        }
    }

    private mutating func record(_ node: Int32, slot: Double, phase: Phase, attempts: Int32) {
        let attempts = phase == .succeeded || phase == .failed ? Int(attempts) : 0
        let run = DependencyRun(dueDate: Date(timeIntervalSinceReferenceDate: slot), state: phase.state ?? .skipped, attempts: attempts)
        Self.record(run, in: &nodes[Int(node)].history)
    }

    /// Adds a finished run to a job's history, kept in due-date order and to the latest
    /// ``historyLimit`` runs (shared with the state file, which keeps the same history).
    static func record(_ run: DependencyRun, in history: inout [DependencyRun]) {
        if let last = history.last, last.dueDate > run.dueDate {
            let position = history.lastIndex { $0.dueDate <= run.dueDate }.map { $0 + 1 } ?? 0
            history.insert(run, at: position)
        } else {
            history.append(run)
        }
        if history.count > historyLimit { history.removeFirst() }
    }

    mutating func finishWave(_ slot: Double, effects: inout Effects) {
        guard let wave = waves.removeValue(forKey: slot) else { return }
        finish(wave, effects: &effects)
    }

    /// Records a DAG run taken out of `waves` as finished and hands it to its waiters.
    private mutating func finish(_ wave: Wave, effects: inout Effects) {
        log(.dagRunFinished(dueDate: Date(timeIntervalSinceReferenceDate: wave.slot)))
        let run = snapshot(wave)
        finishedRuns[wave.slot] = run
        finishedOrder.append(wave.slot)
        while finishedOrder.count > Self.finishedRunLimit {
            finishedRuns[finishedOrder.removeFirst()] = nil
        }
        effects.finished.append((run, Array((waiters.removeValue(forKey: wave.slot) ?? [:]).values)))
    }

    func snapshot(_ wave: Wave) -> DAGRun {
        var states: [JobID: DependencyRunState] = [:]
        states.reserveCapacity(wave.members)
        for (index, run) in wave.runs.enumerated() {
            if let state = run.phase.state { states[nodes[index].id] = state }
        }
        return DAGRun(dueDate: Date(timeIntervalSinceReferenceDate: wave.slot), states: states)
    }
}
