import Foundation

/// Rebuilding a graph and its DAG runs in progress from stored state (`PersistentScheduler`).
extension DependencyGraph {
    /// A stored job.
    struct RestoredNode {
        var id: JobID
        var name: String
        var options: DependencyJobOptions
        /// A root's trigger, already anchored.
        var trigger: (any Trigger)?
        var triggerJobID: JobID?
        /// The latest date a root fired for.
        var lastFired: Date?
        /// In the order the edges were added.
        var upstream: [JobID]
        var history: [DependencyRun]
    }

    /// A stored DAG run in progress: each taking part job's phase and attempts.
    struct RestoredRun {
        var slot: Double
        var runs: [JobID: (phase: Phase, attempts: Int32)]
    }

    /// Adds the stored jobs, their edges and the DAG runs in progress, recomputing what each
    /// waiting job has heard from its upstream runs. Jobs that were running (or waiting to retry)
    /// run again: their attempt count goes one up and is logged; the launches are returned.
    ///
    /// The caller has checked the stored graph: every upstream job exists and there is no cycle.
    ///
    /// - Complexity: O(jobs + edges) plus O(jobs + edges) per DAG run.
    mutating func restore(nodes restored: [RestoredNode], runs: [RestoredRun], effects: inout Effects) {
        let log = changeLog
        changeLog = nil
        for node in restored {
            let index = addNode(id: node.id, name: node.name, options: node.options, trigger: node.trigger, upstream: [])
            nodes[Int(index)].triggerJobID = node.triggerJobID
            nodes[Int(index)].history = node.history
            if let lastFired = node.lastFired { nodes[Int(index)].lastFired = lastFired.timeIntervalSinceReferenceDate }
        }
        for node in restored {
            let child = indexByID[node.id]!
            for id in node.upstream {
                guard let parent = indexByID[id], !nodes[Int(child)].upstream.contains(parent) else { continue }
                nodes[Int(child)].upstream.append(parent)
                nodes[Int(parent)].downstream.append(child)
            }
        }
        changeLog = log
        templates.removeAll()
        for run in runs.sorted(by: { $0.slot < $1.slot }) {
            var wave = Wave(slot: run.slot, runs: Array(repeating: NodeRun(), count: nodes.count))
            for (id, stored) in run.runs {
                guard let index = indexByID[id] else { continue }
                wave.runs[Int(index)].phase = stored.phase
                wave.runs[Int(index)].attempts = stored.attempts
            }
            for index in wave.runs.indices where wave.runs[index].phase != .absent {
                for parent in nodes[index].upstream where wave.runs[Int(parent)].phase != .absent {
                    tally(wave.runs[Int(parent)].phase, into: &wave.runs[index])
                }
                wave.members += 1
                if !wave.runs[index].phase.isFinal { wave.unfinished += 1 }
            }
            waves[run.slot] = wave
            if wave.unfinished == 0 {
                finishWave(run.slot, effects: &effects)
                continue
            }
            for index in wave.runs.indices where wave.runs[index].phase == .running {
                let attempt = wave.runs[index].attempts + 1
                waves[run.slot]!.runs[index].attempts = attempt
                self.log(
                    .run(
                        dueDate: Date(timeIntervalSinceReferenceDate: run.slot), job: nodes[index].id, phase: .running,
                        attempts: Int(attempt)))
                effects.launches.append(Launch(node: Int32(index), id: nodes[index].id, slot: run.slot, attempt: Int(attempt)))
            }
        }
    }
}
