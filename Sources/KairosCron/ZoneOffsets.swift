import Foundation
import KairosPlatform
import Synchronization

/// A time zone's UTC offsets and transitions, learned from `TimeZone` once per (zone, year) and
/// cached, so that the cron engine's common case is integer arithmetic.
///
/// Thread safety: the registry of zones and the tables of years outside 1970-2100 are behind
/// `Mutex`es; tables are immutable once built.
/// `TimeZone` is only asked for offsets and transitions, outside the lock.
final class ZoneOffsets: Sendable {
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

    /// Years whose tables are built together the first time a zone is used, so that the common
    /// case finds its table by indexing an immutable array, without a lock.
    static let eagerYears = 1970..<2101
    private static let eagerStart = CivilDate.seconds(year: eagerYears.lowerBound, month: 1, day: 1)
    private static let eagerEnd = CivilDate.seconds(year: eagerYears.upperBound, month: 1, day: 1)

    /// The zone tables learned so far; `last` saves hashing the identifier when one zone is used
    /// repeatedly.
    private struct Registry {
        var last: ZoneOffsets?
        var byIdentifier: [String: ZoneOffsets] = [:]
    }

    private static let registry = LockedState(Registry())

    let timeZone: TimeZone
    private let identifier: String
    private let eagerTables: [YearTable]
    /// Tables for years outside `eagerYears`, built on demand.
    private let otherTables = LockedState<[Int: YearTable]>([:])
    private static let otherTablesLimit = 2_000

    private init(_ timeZone: TimeZone, identifier: String) {
        self.timeZone = timeZone
        self.identifier = identifier
        self.eagerTables = Self.eagerYears.map { Self.makeTable(timeZone, year: $0) }
    }

    /// The offsets of `timeZone`, shared by every caller that uses a zone with its identifier.
    ///
    /// - Complexity: the first use of a zone asks `TimeZone` for the transitions of 1970-2100
    ///   (well under a millisecond); later uses are a lock and a string comparison.
    static func of(_ timeZone: TimeZone) -> ZoneOffsets {
        let identifier = timeZone.identifier
        if let found = registry.withLock({ registry -> ZoneOffsets? in
            if let last = registry.last, last.identifier == identifier { return last }
            let found = registry.byIdentifier[identifier]
            if let found { registry.last = found }
            return found
        }) {
            return found
        }
        let made = ZoneOffsets(timeZone, identifier: identifier)
        return registry.withLock { registry in
            let winner = registry.byIdentifier[identifier] ?? made
            registry.byIdentifier[identifier] = winner
            registry.last = winner
            return winner
        }
    }

    /// The table for the UTC year containing `instant`.
    @inline(__always)
    func table(containing instant: Int64) -> YearTable {
        if instant >= Self.eagerStart && instant < Self.eagerEnd {
            var index = Int((instant - Self.eagerStart) / 31_556_952)
            if index >= eagerTables.count { index = eagerTables.count - 1 }
            while eagerTables[index].start > instant { index -= 1 }
            while eagerTables[index].end <= instant { index += 1 }
            return eagerTables[index]
        }
        let year = CivilDate.year(ofSeconds: instant)
        if let table = otherTables.withLock({ $0[year] }) { return table }
        let table = Self.makeTable(timeZone, year: year)
        otherTables.withLock { tables in
            if tables.count >= Self.otherTablesLimit { tables.removeAll(keepingCapacity: true) }
            tables[year] = table
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
