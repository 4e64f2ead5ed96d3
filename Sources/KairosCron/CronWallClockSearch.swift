/// Field-by-field search over local wall-clock time, ignoring time zones.
///
/// Wall-clock times are seconds from 1970-01-01T00:00 as if the local clock were UTC. Each step
/// jumps to the next set bit of a field's bitmask; a carry moves to the next larger unit. The month
/// loop runs at most once per month of the 400-year Gregorian cycle and usually once.
extension CronExpression {
    /// The first matching wall-clock time at or after `start`, or `nil` if it would be after `limit`.
    func nextWallClockTime(atOrAfter start: Int64, notAfter limit: Int64) -> Int64? {
        var (year, month, day, hour, minute, second) = CivilDate.components(ofSeconds: start)
        let months = UInt32(self.months)
        while true {
            if months & (1 << UInt32(month)) == 0 {
                let later = months & ~((UInt32(2) << UInt32(month)) &- 1)
                if later != 0 {
                    month = later.trailingZeroBitCount
                } else {
                    year += 1
                    month = months.trailingZeroBitCount
                }
                day = 1; hour = 0; minute = 0; second = 0
            }
            if CivilDate.seconds(year: year, month: month, day: 1) > limit { return nil }
            let dayBits = days.mask(year: year, month: month)
            while day <= 31 {
                let candidates = dayBits & ~((UInt32(1) << UInt32(day)) &- 1)
                if candidates == 0 { break }
                let found = candidates.trailingZeroBitCount
                if found != day { day = found; hour = 0; minute = 0; second = 0 }
                if let time = nextTime(hour: hour, minute: minute, second: second) {
                    let result = CivilDate.seconds(year: year, month: month, day: day) + time
                    return result <= limit ? result : nil
                }
                day += 1; hour = 0; minute = 0; second = 0
            }
            month += 1
            if month > 12 { month = 1; year += 1 }
            day = 1; hour = 0; minute = 0; second = 0
        }
    }

    /// The last matching wall-clock time at or before `start`, or `nil` if it would be before `limit`.
    func previousWallClockTime(atOrBefore start: Int64, notBefore limit: Int64) -> Int64? {
        var (year, month, day, hour, minute, second) = CivilDate.components(ofSeconds: start)
        let months = UInt32(self.months)
        while true {
            if months & (1 << UInt32(month)) == 0 {
                let earlier = months & ((UInt32(1) << UInt32(month)) &- 1)
                if earlier != 0 {
                    month = 31 - earlier.leadingZeroBitCount
                } else {
                    year -= 1
                    month = 31 - months.leadingZeroBitCount
                }
                day = 31; hour = 23; minute = 59; second = 59
            }
            if CivilDate.seconds(year: year, month: month, day: 1) + 31 * CivilDate.secondsPerDay < limit { return nil }
            let dayBits = days.mask(year: year, month: month)
            while day >= 1 {
                let candidates = dayBits & (day >= 31 ? UInt32.max : (UInt32(2) << UInt32(day)) &- 1)
                if candidates == 0 { break }
                let found = 31 - candidates.leadingZeroBitCount
                if found != day { day = found; hour = 23; minute = 59; second = 59 }
                if let time = previousTime(hour: hour, minute: minute, second: second) {
                    let result = CivilDate.seconds(year: year, month: month, day: day) + time
                    return result >= limit ? result : nil
                }
                day -= 1; hour = 23; minute = 59; second = 59
            }
            month -= 1
            if month < 1 { month = 12; year -= 1 }
            day = 31; hour = 23; minute = 59; second = 59
        }
    }

    /// Whether a wall-clock time matches every field.
    func matchesWallClockTime(_ wall: Int64) -> Bool {
        let (dayNumber, secondOfDay) = CivilDate.split(wall)
        let (year, month, day) = CivilDate.date(fromDays: dayNumber)
        return seconds & (1 << UInt64(secondOfDay % 60)) != 0
            && minutes & (1 << UInt64(secondOfDay / 60 % 60)) != 0
            && hours & (1 << UInt32(secondOfDay / 3600)) != 0
            && months & (1 << UInt16(month)) != 0
            && days.mask(year: year, month: month) & (1 << UInt32(day)) != 0
    }

    /// The first matching time of day (seconds since midnight) at or after h:m:s, if any.
    @inline(__always)
    private func nextTime(hour: Int, minute: Int, second: Int) -> Int64? {
        var hour = hour, minute = minute, second = second
        while true {
            let hourBits = hours & ~((UInt32(1) << UInt32(hour)) &- 1)
            if hourBits == 0 { return nil }
            let foundHour = hourBits.trailingZeroBitCount
            if foundHour != hour { hour = foundHour; minute = 0; second = 0 }
            let minuteBits = minutes & ~((UInt64(1) << UInt64(minute)) &- 1)
            if minuteBits != 0 {
                let foundMinute = minuteBits.trailingZeroBitCount
                if foundMinute != minute { minute = foundMinute; second = 0 }
                let secondBits = seconds & ~((UInt64(1) << UInt64(second)) &- 1)
                if secondBits != 0 {
                    return Int64(hour * 3600 + minute * 60 + secondBits.trailingZeroBitCount)
                }
                let laterMinutes = minutes & ~((UInt64(2) << UInt64(minute)) &- 1)
                if laterMinutes != 0 {
                    return Int64(hour * 3600 + laterMinutes.trailingZeroBitCount * 60 + seconds.trailingZeroBitCount)
                }
            }
            hour += 1; minute = 0; second = 0
            if hour > 23 { return nil }
        }
    }

    /// The last matching time of day (seconds since midnight) at or before h:m:s, if any.
    @inline(__always)
    private func previousTime(hour: Int, minute: Int, second: Int) -> Int64? {
        var hour = hour, minute = minute, second = second
        while true {
            let hourBits = hours & ((UInt32(2) << UInt32(hour)) &- 1)
            if hourBits == 0 { return nil }
            let foundHour = 31 - hourBits.leadingZeroBitCount
            if foundHour != hour { hour = foundHour; minute = 59; second = 59 }
            let minuteBits = minutes & ((UInt64(2) << UInt64(minute)) &- 1)
            if minuteBits != 0 {
                let foundMinute = 63 - minuteBits.leadingZeroBitCount
                if foundMinute != minute { minute = foundMinute; second = 59 }
                let secondBits = seconds & ((UInt64(2) << UInt64(second)) &- 1)
                if secondBits != 0 {
                    return Int64(hour * 3600 + minute * 60 + 63 - secondBits.leadingZeroBitCount)
                }
                let earlierMinutes = minutes & ((UInt64(1) << UInt64(minute)) &- 1)
                if earlierMinutes != 0 {
                    return Int64(hour * 3600 + (63 - earlierMinutes.leadingZeroBitCount) * 60 + 63 - seconds.leadingZeroBitCount)
                }
            }
            hour -= 1; minute = 59; second = 59
            if hour < 0 { return nil }
        }
    }
}
