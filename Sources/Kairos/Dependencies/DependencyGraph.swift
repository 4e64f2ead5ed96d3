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
        var pending: Int32 = 0
        var succeeded: Int32 = 0
        var failed: Int32 = 0
        var skipped: Int32 = 0
        var attempts: Int32 = 0
    }

    struct Wave {
        let slot: Double
        var runs: [NodeRun]
        var unfinished = 0
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

    var nodes: [Node] = []
    var roots: [Int32] = []
    var indexByID: [JobID: Int32] = [:]
    var waves: [Double: Wave] = [:]
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

    /// Sets a job's phase (and attempt count) in a DAG run, and logs it.
    private mutating func mark(_ node: Int32, slot: Double, _ phase: Phase, attempts: Int32? = nil) {
        waves[slot]!.runs[Int(node)].phase = phase
        if let attempts { waves[slot]!.runs[Int(node)].attempts = attempts }
        if changeLog != nil { logRun(node, slot: slot, phase, attempts: waves[slot]!.runs[Int(node)].attempts) }
    }

    /// ``mark(_:slot:_:attempts:)`` for a DAG run the caller has taken out of `waves`.
    private mutating func mark(_ node: Int32, in wave: inout Wave, _ phase: Phase) {
        wave.runs[Int(node)].phase = phase
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
        indexByID[id] = index
        if trigger != nil { roots.append(index) }
        log(.jobAdded(id))
        return index
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
        for slot in Array(waves.keys) {
            let child = waves[slot]!.runs[Int(dependent)].phase
            let parent = waves[slot]!.runs[Int(upstream)].phase
            guard child == .waitingForUpstream, parent != .absent else { continue }
            tally(parent, into: &waves[slot]!.runs[Int(dependent)])
            var work: [(Int32, Phase)] = []
            evaluate(dependent, slot: slot, work: &work, effects: &effects)
            settle(work, slot: slot, effects: &effects)
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
        for slot in Array(waves.keys) {
            let child = waves[slot]!.runs[Int(dependent)].phase
            let parent = waves[slot]!.runs[Int(upstream)].phase
            guard child == .waitingForUpstream, parent != .absent else { continue }
            tally(parent, into: &waves[slot]!.runs[Int(dependent)], by: -1)
            var work: [(Int32, Phase)] = []
            evaluate(dependent, slot: slot, work: &work, effects: &effects)
            settle(work, slot: slot, effects: &effects)
        }
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
        if waves[slot] == nil {
            let date = Date(timeIntervalSinceReferenceDate: slot)
            let before = Date(timeIntervalSinceReferenceDate: slot.nextDown)
            // Roots that have already fired for this date (for a DAG run that has finished) will
            // not fire for it again.
            let expected = roots.filter {
                $0 == root || (nodes[Int($0)].lastFired < slot && nodes[Int($0)].trigger?.nextFireDate(after: before) == date)
            }
            waves[slot] = Wave(slot: slot, runs: Array(repeating: NodeRun(), count: nodes.count))
            join(expected, slot: slot)
        } else if waves[slot]!.runs[Int(root)].phase == .absent {
            join([root], slot: slot)
        }
        guard waves[slot]!.runs[Int(root)].phase == .waitingForTrigger else { return }
        var work: [(Int32, Phase)] = []
        proceed(root, slot: slot, work: &work, effects: &effects)
        settle(work, slot: slot, effects: &effects)
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
                mark(node, slot: slot, .running, attempts: Int32(attempt + 1))
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
    /// edges between the run's jobs exactly once.
    private mutating func join(_ newcomers: [Int32], slot: Double) {
        // The DAG run is taken out of `waves` for the walk: one lookup instead of one per edge.
        var wave = waves.removeValue(forKey: slot)!
        defer { waves[slot] = wave }
        var joined: [Int32] = []
        var isNew = Set<Int32>()
        var stack: [Int32] = []
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
        wave.unfinished += joined.count
        for node in joined {
            for parent in nodes[Int(node)].upstream {
                let phase = wave.runs[Int(parent)].phase
                if phase != .absent { tally(phase, into: &wave.runs[Int(node)]) }
            }
            for child in nodes[Int(node)].downstream
            where !isNew.contains(child)
                && wave.runs[Int(child)].phase == .waitingForUpstream
            {
                wave.runs[Int(child)].pending += 1
            }
        }
    }

    /// Counts an upstream run in `phase` into a dependent's run (`by: -1` takes it out again).
    func tally(_ phase: Phase, into run: inout NodeRun, by step: Int32 = 1) {
        switch phase {
        case .succeeded: run.succeeded += step
        case .failed, .upstreamFailed: run.failed += step
        case .skipped: run.skipped += step
        case .absent: break
        case .waitingForTrigger, .waitingForUpstream, .waitingForPast, .running: run.pending += step
        }
    }

    /// Applies the trigger rule of a job waiting for its upstream runs.
    private mutating func evaluate(_ node: Int32, slot: Double, work: inout [(Int32, Phase)], effects: inout Effects) {
        let run = waves[slot]!.runs[Int(node)]
        switch nodes[Int(node)].options.triggerRule.decide(
            succeeded: Int(run.succeeded), failed: Int(run.failed), skipped: Int(run.skipped), pending: Int(run.pending)
        ) {
        case .wait: break
        case .run: proceed(node, slot: slot, work: &work, effects: &effects)
        case .upstreamFailed:
            mark(node, slot: slot, .upstreamFailed)
            work.append((node, .upstreamFailed))
        case .skipped:
            mark(node, slot: slot, .skipped)
            work.append((node, .skipped))
        }
    }

    /// Starts a job whose rule is met (or a root that fired), unless its past holds it back.
    private mutating func proceed(_ node: Int32, slot: Double, work: inout [(Int32, Phase)], effects: inout Effects) {
        if nodes[Int(node)].options.dependsOnPast {
            switch pastDecision(node, before: slot) {
            case .wait:
                mark(node, slot: slot, .waitingForPast)
                return
            case .skip:
                mark(node, slot: slot, .skipped)
                work.append((node, .skipped))
                return
            case .run:
                break
            }
        }
        mark(node, slot: slot, .running, attempts: 1)
        effects.launches.append(Launch(node: node, id: nodes[Int(node)].id, slot: slot, attempt: 1))
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
        var work = initial
        var unblocked: [(Int32, Double)] = []
        while let (node, phase) = work.popLast() {
            mark(node, slot: slot, phase)
            waves[slot]!.unfinished -= 1
            record(node, slot: slot, phase: phase)
            for child in nodes[Int(node)].downstream where waves[slot]!.runs[Int(child)].phase == .waitingForUpstream {
                waves[slot]!.runs[Int(child)].pending -= 1
                tally(phase, into: &waves[slot]!.runs[Int(child)])
                evaluate(child, slot: slot, work: &work, effects: &effects)
            }
            if nodes[Int(node)].options.dependsOnPast {
                for (later, wave) in waves where later > slot && wave.runs[Int(node)].phase == .waitingForPast {
                    unblocked.append((node, later))
                }
            }
        }
        if waves[slot]!.unfinished == 0 { finishWave(slot, effects: &effects) }
        for (node, later) in unblocked where waves[later]?.runs[Int(node)].phase == .waitingForPast {
            var laterWork: [(Int32, Phase)] = []
            proceed(node, slot: later, work: &laterWork, effects: &effects)
            if !laterWork.isEmpty { settle(laterWork, slot: later, effects: &effects) }
        }
    }

    private mutating func record(_ node: Int32, slot: Double, phase: Phase) {
        let attempts = phase == .succeeded || phase == .failed ? Int(waves[slot]!.runs[Int(node)].attempts) : 0
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
        log(.dagRunFinished(dueDate: Date(timeIntervalSinceReferenceDate: slot)))
        let run = snapshot(wave)
        finishedRuns[slot] = run
        finishedOrder.append(slot)
        while finishedOrder.count > Self.finishedRunLimit {
            finishedRuns[finishedOrder.removeFirst()] = nil
        }
        effects.finished.append((run, Array((waiters.removeValue(forKey: slot) ?? [:]).values)))
    }

    func snapshot(_ wave: Wave) -> DAGRun {
        var states: [JobID: DependencyRunState] = [:]
        for (index, run) in wave.runs.enumerated() {
            if let state = run.phase.state { states[nodes[index].id] = state }
        }
        return DAGRun(dueDate: Date(timeIntervalSinceReferenceDate: wave.slot), states: states)
    }
}
