import Foundation
import KairosPlatform
import Testing

@testable import Kairos

/// A thread-safe list that job bodies append to.
final class Recorder<Element: Sendable>: Sendable {
    private let items = LockedState<[Element]>([])
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

/// A thread-safe counter that also tracks the highest value it reached.
final class Gauge: Sendable {
    private let state = LockedState((current: 0, peak: 0))
    func enter() {
        state.withLock {
            $0.current += 1; $0.peak = max($0.peak, $0.current)
        }
    }
    func leave() { state.withLock { $0.current -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}

/// Fires every `interval` seconds from `start` (inclusive), `count` times if given.
struct EveryTrigger: Trigger {
    let start: Date
    let interval: TimeInterval
    var count: Int?
    func nextFireDate(after date: Date) -> Date? {
        let k = date < start ? 0 : Int((date.timeIntervalSince(start) / interval).rounded(.down)) + 1
        if let count, k >= count { return nil }
        return start.addingTimeInterval(Double(k) * interval)
    }
}

let pipelineEpoch = Date(timeIntervalSince1970: 1_767_225_600)

/// Yields until `condition` holds, however long the code under test takes to get there (a TSan
/// build on a loaded machine is many times slower than a plain one): no wall-clock budget. A
/// condition that never holds is a hang, ended by the suite's time limit, which cancels the test:
/// the wait then records what it was waiting for and returns.
func eventually(
    _ what: String = "condition",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) async {
    var checks = 0
    while !condition() {
        if Task.isCancelled {
            Issue.record("cancelled while waiting for \(what)", sourceLocation: sourceLocation)
            return
        }
        checks += 1
        // Yield first; then back off a little so that many waiting tests do not starve the
        // threads the code under test runs on.
        if checks < 100 { await Task.yield() } else { try? await Task.sleep(for: .microseconds(200)) }
    }
}

extension ManualClock {
    /// Waits until `count` tasks sleep on the clock, then advances it to `date`.
    func advance(to date: Date, whenSleeping count: Int, sourceLocation: SourceLocation = #_sourceLocation) async {
        await eventually("\(count) sleeping tasks", sourceLocation: sourceLocation) { sleepingTaskCount >= count }
        advance(to: date)
    }
}
