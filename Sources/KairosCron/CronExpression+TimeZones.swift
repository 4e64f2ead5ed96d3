/// Fire times as instants: the wall-clock search of `CronWallClockSearch` mapped through a time
/// zone's offsets, with the DST rules of Debian cron / cronie (SPEC.md §1).
extension CronExpression {
    /// The first fire time > `start` (seconds since the epoch).
    func nextInstant(after start: Int64, in zone: ZoneOffsets) -> Int64? {
        let end = min(start + Self.horizon, Self.lastInstant)
        if followsWallClock {
            let table = zone.table(containing: start)
            var lower = start + table.offset(at: start) + 1
            if let repeated = table.transition(atOrBefore: start), repeated.offsetBefore > repeated.offsetAfter,
                start < repeated.instant + (repeated.offsetBefore - repeated.offsetAfter)
            {
                // In the second copy of a repeated interval: its wall times already fired.
                lower = repeated.instant + repeated.offsetBefore
            }
            while let wall = nextWallClockTime(atOrAfter: lower, notAfter: lower + Self.horizon) {
                let instant = Self.instant(ofWallClockTime: wall, in: zone)
                if instant > end { return nil }
                if instant > start { return instant }
                lower = wall + 1
            }
            return nil
        }
        var cursor = start + 1
        while cursor <= end {
            let table = zone.table(containing: cursor)
            let offset = table.offset(at: cursor)
            let segmentEnd = table.segmentEnd(after: cursor)
            if let wall = nextWallClockTime(atOrAfter: cursor + offset, notAfter: segmentEnd - 1 + offset) {
                let instant = wall - offset
                return instant <= end ? instant : nil
            }
            cursor = segmentEnd
        }
        return nil
    }

    /// The last fire time <= `start` (seconds since the epoch).
    func previousInstant(atOrBefore start: Int64, in zone: ZoneOffsets) -> Int64? {
        let begin = max(start - Self.horizon, Self.firstInstant)
        if followsWallClock {
            let table = zone.table(containing: start)
            var upper = start + table.offset(at: start)
            if let repeated = table.transition(atOrBefore: start), repeated.offsetBefore > repeated.offsetAfter,
                start < repeated.instant + (repeated.offsetBefore - repeated.offsetAfter)
            {
                // In the second copy: every wall time of the repeated interval fired in the first.
                upper = repeated.instant + repeated.offsetBefore - 1
            }
            while let wall = previousWallClockTime(atOrBefore: upper, notBefore: upper - Self.horizon) {
                let instant = Self.instant(ofWallClockTime: wall, in: zone)
                if instant < begin { return nil }
                if instant <= start { return instant }
                upper = wall - 1
            }
            return nil
        }
        var cursor = start
        while cursor >= begin {
            let table = zone.table(containing: cursor)
            let offset = table.offset(at: cursor)
            let segmentStart = table.segmentStart(atOrBefore: cursor)
            if let wall = previousWallClockTime(atOrBefore: cursor + offset, notBefore: segmentStart + offset) {
                let instant = wall - offset
                return instant >= begin ? instant : nil
            }
            cursor = segmentStart - 1
        }
        return nil
    }

    /// Whether `instant` is a fire time.
    func matches(instant: Int64, in zone: ZoneOffsets) -> Bool {
        let table = zone.table(containing: instant)
        let wall = instant + table.offset(at: instant)
        if !followsWallClock { return matchesWallClockTime(wall) }
        if matchesWallClockTime(wall) && Self.instant(ofWallClockTime: wall, in: zone) == instant { return true }
        // A spring-forward transition fires for the skipped wall times that match.
        if let transition = table.transition(atOrBefore: instant), transition.instant == instant,
            transition.offsetAfter > transition.offsetBefore
        {
            return nextWallClockTime(
                atOrAfter: instant + transition.offsetBefore,
                notAfter: instant + transition.offsetAfter - 1) != nil
        }
        return false
    }

    /// The instant a fixed-time expression fires for a wall-clock time: the time itself when it
    /// exists once, its first occurrence when the clock repeats it, and the transition when the
    /// clock skips it.
    static func instant(ofWallClockTime wall: Int64, in zone: ZoneOffsets) -> Int64 {
        let table = zone.table(containing: wall)
        let guess = wall - table.offset(at: wall)
        let day = CivilDate.secondsPerDay
        if !table.hasTransition(in: (guess - day)...(guess + day)) { return guess }
        let near = table.transitions.filter { abs($0.instant - wall) < ZoneOffsets.margin }
        var earliest: Int64?
        for (index, transition) in near.enumerated() {
            let segmentStart = index == 0 ? Int64.min : near[index - 1].instant
            let segmentEnd = index + 1 < near.count ? near[index + 1].instant : Int64.max
            let before = wall - transition.offsetBefore
            if before >= segmentStart && before < transition.instant { earliest = min(earliest ?? before, before) }
            let after = wall - transition.offsetAfter
            if after >= transition.instant && after < segmentEnd { earliest = min(earliest ?? after, after) }
        }
        if let earliest { return earliest }
        for transition in near
        where wall >= transition.instant + transition.offsetBefore
            && wall < transition.instant + transition.offsetAfter
        {
            return transition.instant
        }
        return guess
    }
}
