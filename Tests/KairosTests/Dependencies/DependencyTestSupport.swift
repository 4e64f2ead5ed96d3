import Foundation
import KairosPlatform
import KairosTestSupport

@testable import Kairos

let dagEpoch = Date(timeIntervalSince1970: 1_767_225_600)

func dagDate(_ seconds: TimeInterval) -> Date { dagEpoch.addingTimeInterval(seconds) }

/// A started dependency scheduler on a manual clock.
func makeDAG(maxConcurrentJobs: Int = 4) -> (DependencyScheduler, ManualClock) {
    let clock = ManualClock(now: dagEpoch)
    let dag = DependencyScheduler(configuration: .init(maxConcurrentJobs: maxConcurrentJobs, clock: clock))
    dag.start()
    return (dag, clock)
}

/// A body that records its name and the clock's time when it starts and ends.
final class Timeline: Sendable {
    struct Entry: Equatable, Sendable {
        let job: String
        let started: Date
        var ended: Date?
    }
    private let entries = LockedState<[Entry]>([])
    let gauge = Gauge()

    func body(
        _ name: String, clock: ManualClock, sleep seconds: TimeInterval = 0, fail: Bool = false
    )
        -> @Sendable (JobContext) async throws -> Void
    {
        { [self] _ in
            let index = entries.withLock { entries in
                entries.append(Entry(job: name, started: clock.now.date))
                return entries.count - 1
            }
            gauge.enter()
            defer {
                gauge.leave()
                entries.withLock { $0[index].ended = clock.now.date }
            }
            if seconds > 0 { try await clock.sleep(until: clock.now.date.addingTimeInterval(seconds)) }
            if fail { throw TestFailure("\(name) failed") }
        }
    }

    var all: [Entry] { entries.withLock { $0 } }
    var jobs: [String] { all.map(\.job) }
    func entry(_ job: String) -> Entry? { all.first { $0.job == job } }
}
