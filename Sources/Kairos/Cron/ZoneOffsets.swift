import Foundation
import Synchronization

/// A time zone's UTC offsets and transitions, learned from `TimeZone` once per (zone, year) and
/// cached, so that the cron engine's common case is integer arithmetic.
///
/// Thread safety: the cache is a process-wide dictionary behind a `Mutex`; tables are immutable.
/// `TimeZone` is only asked for offsets and transitions, outside the lock.
struct ZoneOffsets: Sendable {
    /// An instant at which the offset changes.
    struct Transition: Sendable {
        /// Seconds since 1970-01-01T00:00Z; the new offset applies from this instant on.
        let instant: Int64
        let offsetBefore: Int64
        let offsetAfter: Int64
    }

    /// The offsets around one UTC year: every transition from 2 days before the year starts until
    /// 2 days after it ends, so that any question about a window of ±2 days around an instant of
    /// the year is answered by this table alone.
    final class YearTable: Sendable {
        let year: Int
        /// Start of the year, seconds since the epoch (UTC).
        let start: Int64
        /// Start of the next year.
        let end: Int64
        let offsetAtWindowStart: Int64
        let transitions: [Transition]

        init(year: Int, start: Int64, end: Int64, offsetAtWindowStart: Int64, transitions: [Transition]) {
            self.year = year
            self.start = start
            self.end = end
            self.offsetAtWindowStart = offsetAtWindowStart
            self.transitions = transitions
        }

        /// The UTC offset in effect at `instant` (which must be within the table's window).
        @inline(__always)
        func offset(at instant: Int64) -> Int64 {
            var offset = offsetAtWindowStart
            for transition in transitions {
                if transition.instant > instant { break }
                offset = transition.offsetAfter
            }
            return offset
        }

        /// The last transition at or before `instant`, if it is within the window.
        @inline(__always)
        func transition(atOrBefore instant: Int64) -> Transition? {
            var found: Transition?
            for transition in transitions {
                if transition.instant > instant { break }
                found = transition
            }
            return found
        }

        /// Whether the offset changes anywhere in `range`.
        @inline(__always)
        func hasTransition(in range: ClosedRange<Int64>) -> Bool {
            for transition in transitions where range.contains(transition.instant) { return true }
            return false
        }

        /// The instant the offset next changes after `instant`, or the end of the year.
        @inline(__always)
        func segmentEnd(after instant: Int64) -> Int64 {
            for transition in transitions where transition.instant > instant {
                return min(transition.instant, end)
            }
            return end
        }

        /// The instant the offset last changed at or before `instant`, or the start of the year.
        @inline(__always)
        func segmentStart(atOrBefore instant: Int64) -> Int64 {
            var found = start
            for transition in transitions where transition.instant <= instant {
                found = max(transition.instant, start)
            }
            return found
        }
    }

    static let margin: Int64 = 2 * CivilDate.secondsPerDay

    private struct Key: Hashable {
        let zone: String
        let year: Int
    }

    private static let cache = Mutex<[Key: YearTable]>([:])
    private static let cacheLimit = 20_000

    let timeZone: TimeZone
    private let identifier: String

    init(_ timeZone: TimeZone) {
        self.timeZone = timeZone
        self.identifier = timeZone.identifier
    }

    /// The table for the UTC year containing `instant`.
    @inline(__always)
    func table(containing instant: Int64) -> YearTable {
        table(forYear: CivilDate.year(ofSeconds: instant))
    }

    func table(forYear year: Int) -> YearTable {
        let key = Key(zone: identifier, year: year)
        if let table = Self.cache.withLock({ $0[key] }) { return table }
        let table = Self.makeTable(timeZone, year: year)
        Self.cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[key] = table
        }
        return table
    }

    /// The UTC offset in effect at `instant`.
    @inline(__always)
    func offset(at instant: Int64) -> Int64 {
        table(containing: instant).offset(at: instant)
    }

    private static func makeTable(_ zone: TimeZone, year: Int) -> YearTable {
        let start = CivilDate.seconds(year: year, month: 1, day: 1)
        let end = CivilDate.seconds(year: year + 1, month: 1, day: 1)
        let windowStart = start - margin, windowEnd = end + margin
        func offset(_ instant: Int64) -> Int64 {
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
        }
        var transitions: [Transition] = []
        var cursor = windowStart
        var current = offset(windowStart)
        let initial = current
        while let next = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: TimeInterval(cursor))) {
            let instant = Int64(next.timeIntervalSince1970.rounded(.up))
            if instant >= windowEnd || instant <= cursor { break }
            let after = offset(instant)
            if after != current {
                appendChanges(from: cursor, to: instant - 1, zone: zone, current: &current, into: &transitions)
                if after != current {
                    transitions.append(Transition(instant: instant, offsetBefore: current, offsetAfter: after))
                    current = after
                }
            }
            cursor = instant
        }
        appendChanges(from: cursor, to: windowEnd - 1, zone: zone, current: &current, into: &transitions)
        return YearTable(year: year, start: start, end: end, offsetAtWindowStart: initial, transitions: transitions)
    }

    /// Finds offset changes `nextDaylightSavingTimeTransition` did not report, by bisection,
    /// checking the ends of the interval and its midpoint.
    private static func appendChanges(from low: Int64, to high: Int64, zone: TimeZone, current: inout Int64, into transitions: inout [Transition]) {
        func offset(_ instant: Int64) -> Int64 {
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
        }
        guard high > low else { return }
        let endOffset = offset(high)
        guard endOffset != current else { return }
        // Bisect for the first instant whose offset differs from `current`.
        var lo = low, hi = high
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if offset(mid) == current { lo = mid } else { hi = mid }
        }
        let after = offset(hi)
        transitions.append(Transition(instant: hi, offsetBefore: current, offsetAfter: after))
        current = after
        appendChanges(from: hi, to: high, zone: zone, current: &current, into: &transitions)
    }
}
