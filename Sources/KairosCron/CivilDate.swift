/// Proleptic Gregorian calendar arithmetic on plain integers (Howard Hinnant's algorithms).
///
/// Days are counted from 1970-01-01 (day 0, a Thursday). These functions replace Foundation's
/// `Calendar` in the cron engine's hot path: each is a handful of integer operations.
package enum CivilDate {
    package static let secondsPerDay: Int64 = 86_400

    /// The day number of a civil date (`month` 1...12, `day` 1...31).
    @inline(__always)
    package static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day number.
    @inline(__always)
    package static func date(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// The weekday of a day number: 0 is Sunday ... 6 is Saturday.
    @inline(__always)
    package static func weekday(ofDays days: Int) -> Int {
        let w = (days + 4) % 7
        return w < 0 ? w + 7 : w
    }

    @inline(__always)
    package static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    @inline(__always)
    package static func daysInMonth(year: Int, month: Int) -> Int {
        if month == 2 { return isLeapYear(year) ? 29 : 28 }
        return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31
    }

    /// Floor division of seconds into (day number, second of day).
    @inline(__always)
    package static func split(_ seconds: Int64) -> (days: Int, secondOfDay: Int) {
        var days = seconds / secondsPerDay
        var rest = seconds - days * secondsPerDay
        if rest < 0 { days -= 1; rest += secondsPerDay }
        return (Int(days), Int(rest))
    }

    /// The civil year containing an instant counted in seconds from 1970-01-01T00:00.
    @inline(__always)
    package static func year(ofSeconds seconds: Int64) -> Int {
        date(fromDays: split(seconds).days).year
    }

    /// Seconds from 1970-01-01T00:00 to the start of a civil date.
    @inline(__always)
    package static func seconds(year: Int, month: Int, day: Int) -> Int64 {
        Int64(days(year: year, month: month, day: day)) * secondsPerDay
    }

    /// The civil date and time of day of a wall-clock time in seconds.
    @inline(__always)
    package static func components(ofSeconds seconds: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let (days, secondOfDay) = split(seconds)
        let (year, month, day) = date(fromDays: days)
        return (year, month, day, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60)
    }
}
