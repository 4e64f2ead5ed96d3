// Cron expression benchmarks: parsing, and `nextDate(after:in:)` on the same work as the peer
// evaluators in ../shared/peer-benchmarks/cron (robfig/cron, cronsim, croniter).
import Benchmark
import Foundation
import Kairos

/// The mixed set named by issue 2: every minute, weekdays at 09:00, a time in the skipped hour,
/// monthly, leap day, Friday-the-13th (Vixie OR rule), the 31st.
let issueSet = [
    "* * * * *", "0 9 * * 1-5", "30 2 * * *", "0 0 1 * *", "0 0 29 2 *", "0 0 13 * 5", "0 0 31 * *",
]

/// A copy of ../shared/peer-benchmarks/cron/exprs.txt, the set the peer figures are measured on.
let peerSet = [
    "* * * * *", "*/5 * * * *", "0 9 * * 1-5", "30 2 * * *", "0 0 1 * *", "0 0 29 2 *", "0 0 13 * 5",
    "0 0 31 * *", "5,35 */2 1-15 jan,jul *", "0 */6 * * sun",
]

let newYork = TimeZone(identifier: "America/New_York")!

/// The peers' start instants: 2026-01-01T00:00 America/New_York plus i * 7919 minutes, i < 2000,
/// which spreads the calls over ~30 years and across every DST transition in them.
let starts = (0..<2000).map { Date(timeIntervalSince1970: 1_767_243_600 + Double($0) * 7919 * 60) }

/// The (expression, start) pairs in round-robin order of expressions, so that every benchmark
/// iteration (1000 calls) covers each expression about equally: its time per call is the mean
/// over the set, the figure the peers report (`total_ns_per_op`).
func interleavedCalls(_ texts: [String]) -> [(CronExpression, Date)] {
    let expressions = texts.map { try! CronExpression($0) }
    return (0..<starts.count * expressions.count).map { k in
        (expressions[k % expressions.count], starts[k / expressions.count])
    }
}

/// Where the next iteration continues in the list of calls.
final class Cursor {
    var index = 0
}

func benchmarkNextDate(_ name: String, calls: [(CronExpression, Date)]) {
    let cursor = Cursor()
    Benchmark(name) { benchmark in
        for _ in benchmark.scaledIterations {
            let (expression, start) = calls[cursor.index]
            cursor.index = cursor.index + 1 == calls.count ? 0 : cursor.index + 1
            blackHole(expression.nextDate(after: start, in: newYork))
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: .kilo(100)
    )

    Benchmark("Cron.parse (peer set)") { benchmark in
        for i in benchmark.scaledIterations {
            blackHole(try? CronExpression(peerSet[i % peerSet.count]))
        }
    }

    benchmarkNextDate("Cron.nextDate (issue set, America/New_York)", calls: interleavedCalls(issueSet))
    benchmarkNextDate("Cron.nextDate (peer set, America/New_York)", calls: interleavedCalls(peerSet))
    for text in peerSet {
        benchmarkNextDate("Cron.nextDate \"\(text)\"", calls: interleavedCalls([text]))
    }
}
