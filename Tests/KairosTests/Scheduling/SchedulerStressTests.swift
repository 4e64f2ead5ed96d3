import Foundation
import KairosPlatform
import KairosTestSupport
import Synchronization
import Testing

@testable import Kairos

/// 100,000 jobs, stepped through 40 seconds of virtual time while random jobs are cancelled,
/// paused and resumed, or rescheduled. Every job must fire exactly the due dates its trigger and
/// the operations on it imply: none twice, none lost, none extra.
@Suite(.timeLimit(.minutes(10))) struct SchedulerStressTests {
    enum Fate {
        case plain
        case cancel(at: Int)
        case pause(at: Int, resumeAt: Int)
        case reschedule(at: Int, to: IntervalTrigger)
    }

    struct Plan {
        var trigger: any Trigger
        var fate: Fate
    }

    static let jobCount = 100_000
    static let steps = 40

    @Test func everyJobFiresExactlyTheDatesItsTriggerAndOperationsImply() async throws {
        let origin = utcDate("2026-01-01T00:00:00Z")
        let clock = ManualClock(now: origin)
        let scheduler = Scheduler(configuration: .init(maxConcurrentJobs: 2, clock: clock, finishedJobRetention: 10 * Self.jobCount))
        scheduler.start()
        var random = SplitMix(seed: 2026)
        func second(_ offset: Int) -> Date { origin.addingTimeInterval(Double(offset)) }

        var plans: [Plan] = []
        plans.reserveCapacity(Self.jobCount)
        for _ in 0..<Self.jobCount {
            let trigger: any Trigger
            if random.next() % 5 == 0 {
                trigger = OnceTrigger(at: second(Int(random.next() % 30) + 1))
            } else {
                trigger = try IntervalTrigger(
                    every: .seconds(Int(random.next() % 5) + 1),
                    startingAt: second(Int(random.next() % 10) + 1),
                    repeatCount: Int(random.next() % 6) + 1)
            }
            let at = Int(random.next() % 30) + 1
            let fate: Fate
            switch random.next() % 4 {
            case 0: fate = .plain
            case 1: fate = .cancel(at: at)
            case 2: fate = .pause(at: at, resumeAt: at + Int(random.next() % 8) + 1)
            default:
                fate = .reschedule(
                    at: at,
                    to: try IntervalTrigger(
                        every: .seconds(Int(random.next() % 4) + 1),
                        startingAt: second(at + Int(random.next() % 3)),
                        repeatCount: Int(random.next() % 4) + 1))
            }
            plans.append(Plan(trigger: trigger, fate: fate))
        }

        let fired = LockedState([[Double]](repeating: [], count: Self.jobCount))
        var ids: [JobID] = []
        ids.reserveCapacity(Self.jobCount)
        for (index, plan) in plans.enumerated() {
            ids.append(
                try scheduler.schedule(trigger: plan.trigger) { context in
                    let due = context.dueDate.timeIntervalSince(origin)
                    fired.withLock { $0[index].append(due) }
                })
        }

        var operations: [Int: [(Int, Fate)]] = [:]
        for (index, plan) in plans.enumerated() {
            switch plan.fate {
            case .plain: break
            case .cancel(let at), .reschedule(let at, _): operations[at, default: []].append((index, plan.fate))
            case .pause(let at, let resumeAt):
                operations[at, default: []].append((index, plan.fate))
                operations[resumeAt, default: []].append((index, .plain))
            }
        }

        for step in 1...Self.steps {
            clock.advance(to: second(step))
            await scheduler.waitUntilIdle()
            for (index, fate) in operations[step] ?? [] {
                switch fate {
                case .plain: try scheduler.resume(ids[index], catchingUp: false)
                case .cancel: #expect(scheduler.cancel(ids[index]) || scheduler.job(ids[index])?.status == .completed)
                case .pause: try scheduler.pause(ids[index])
                case .reschedule(_, let trigger): try scheduler.reschedule(ids[index], trigger: trigger)
                }
            }
            await scheduler.waitUntilIdle()
        }

        func dates(of trigger: any Trigger, from: Int, through: Int) -> [Double] {
            var result: [Double] = []
            var cursor = second(from).addingTimeInterval(-0.5)
            while let next = trigger.nextFireDate(after: cursor), next <= second(through) {
                result.append(next.timeIntervalSince(origin))
                cursor = next
            }
            return result
        }

        let recorded = fired.withLock { $0 }
        var mismatches = 0
        for (index, plan) in plans.enumerated() {
            let expected: [Double]
            switch plan.fate {
            case .plain: expected = dates(of: plan.trigger, from: 0, through: Self.steps)
            case .cancel(let at): expected = dates(of: plan.trigger, from: 0, through: at)
            case .pause(let at, let resumeAt):
                expected = dates(of: plan.trigger, from: 0, through: at) + dates(of: plan.trigger, from: resumeAt, through: Self.steps)
            case .reschedule(let at, let trigger):
                expected = dates(of: plan.trigger, from: 0, through: at) + dates(of: trigger, from: at, through: Self.steps)
            }
            if recorded[index] != expected {
                mismatches += 1
                if mismatches <= 5 { Issue.record("job \(index) (\(plan.fate)): fired \(recorded[index]), expected \(expected)") }
            }
        }
        #expect(mismatches == 0)
        let stats = scheduler.stats
        #expect(stats.activeRuns == 0)
        #expect(stats.totals.runs == recorded.reduce(0) { $0 + $1.count })
        #expect(stats.totals.missed == 0)
        #expect(stats.totals.overlapSkipped == 0)
    }
}
