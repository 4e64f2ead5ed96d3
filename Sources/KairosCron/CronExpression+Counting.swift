import Foundation

/// Counting fire times without visiting each one: what misfire handling needs after a long outage
/// (a per-second expression fires 2.6 million times in 30 days).
extension CronExpression {
    /// The number of fire times in `first...last` (seconds since the epoch).
    ///
    /// A day at a time: from a fire time to the end of its wall-clock day, when no UTC offset
    /// change falls in between, the fire times are exactly the day's remaining
    /// hour × minute × second combinations (the day matched, or that fire time would not exist),
    /// so they are counted from the bit sets. A day with a transition, and the last partial day,
    /// are walked one fire time at a time, which applies the DST rules of `nextInstant`.
    ///
    /// - Complexity: O(days in the range + fire times on transition days and on the last day).
    func fireCount(from first: Int64, through last: Int64, in zone: ZoneOffsets) -> Int {
        var count = 0
        var cursor = nextInstant(after: first - 1, in: zone)
        while let current = cursor, current <= last {
            let table = zone.table(containing: current)
            let (_, secondOfDay) = CivilDate.split(current + table.offset(at: current))
            let dayEnd = current + (CivilDate.secondsPerDay - 1 - Int64(secondOfDay))
            if dayEnd <= last, !table.hasTransition(in: current...dayEnd) {
                count += firesInDay(fromSecondOfDay: secondOfDay)
                cursor = nextInstant(after: dayEnd, in: zone)
            } else {
                count += 1
                cursor = nextInstant(after: current, in: zone)
            }
        }
        return count
    }

    /// The hour × minute × second combinations at or after `secondOfDay` (itself a match).
    private func firesInDay(fromSecondOfDay secondOfDay: Int) -> Int {
        let hour = secondOfDay / 3600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        let perMinute = seconds.nonzeroBitCount
        let perHour = minutes.nonzeroBitCount * perMinute
        let laterHours = (hours >> UInt32(hour + 1)).nonzeroBitCount
        let laterMinutes = (minutes >> UInt64(minute + 1)).nonzeroBitCount
        let fromSecond = (seconds >> UInt64(second)).nonzeroBitCount
        return laterHours * perHour + laterMinutes * perMinute + fromSecond
    }

    /// The number of fire times after `first` and at or before `last`, in `timeZone`: how
    /// misfire handling in the scheduler counts the dates it skips (see
    /// `fireCount(from:through:in:)`).
    package func fireDateCount(after first: Date, through last: Date, in timeZone: TimeZone) -> Int {
        guard let from = Self.instant(first, roundingUp: false), let through = Self.instant(last, roundingUp: false),
            from < through
        else { return 0 }
        return fireCount(from: from + 1, through: through, in: ZoneOffsets.of(timeZone))
    }
}
