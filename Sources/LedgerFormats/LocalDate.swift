/// A calendar date with no time zone, `YYYY-MM-DD`: a genesis `startDate` and the date a block
/// closes. Arithmetic is exact proleptic-Gregorian day counting, independent of any zone, so
/// "block h closes day startDate + h" never depends on the tz database.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The dates the formats can write: four-digit years, and nothing before the Unix epoch
    /// (no ledger starts in the past of its own timestamps).
    public static let earliest = LocalDate(unchecked: 1970, 1, 1)
    public static let latest = LocalDate(unchecked: 9999, 12, 31)

    public init(year: Int, month: Int, day: Int) throws(LedgerFormatsError) {
        guard (1...12).contains(month), day >= 1, day <= Civil.daysInMonth(year: year, month: month) else {
            throw LedgerFormatsError(.invalidArgument, "\(year)-\(month)-\(day) is not a calendar date")
        }
        let date = LocalDate(unchecked: year, month, day)
        guard date >= Self.earliest, date <= Self.latest else {
            throw LedgerFormatsError(.invalidArgument, "date \(date) is outside 1970-01-01...9999-12-31")
        }
        self = date
    }

    /// Parses exactly `YYYY-MM-DD` (ASCII digits, real calendar date, 1970...9999).
    public init(parsing text: String) throws(LedgerFormatsError) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"),
            let year = Civil.digits(utf8, 0, 4), let month = Civil.digits(utf8, 5, 2),
            let day = Civil.digits(utf8, 8, 2)
        else {
            throw LedgerFormatsError(.malformed, "date \(CanonicalWriter.quoted(text)) is not in the form YYYY-MM-DD")
        }
        do {
            try self.init(year: year, month: month, day: day)
        } catch {
            throw LedgerFormatsError(.malformed, "date \(CanonicalWriter.quoted(text)) is not a valid date in 1970...9999")
        }
    }

    private init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    init(daysSinceEpoch days: Int64) throws(LedgerFormatsError) {
        guard days >= 0, days <= Self.latest.daysSinceEpoch else {
            throw LedgerFormatsError(.invalidArgument, "day number \(days) is outside 1970-01-01...9999-12-31")
        }
        let civil = Civil.civil(fromDays: days)
        self.init(unchecked: civil.year, civil.month, civil.day)
    }

    /// Days since 1970-01-01.
    var daysSinceEpoch: Int64 {
        Civil.days(year: year, month: month, day: day)
    }

    /// The date `days` later (or earlier, if negative); throws outside 1970...9999.
    public func adding(days: Int64) throws(LedgerFormatsError) -> LocalDate {
        let (sum, overflow) = daysSinceEpoch.addingReportingOverflow(days)
        guard !overflow else { throw LedgerFormatsError(.invalidArgument, "date arithmetic overflowed") }
        return try LocalDate(daysSinceEpoch: sum)
    }

    /// How many days `self` is after `other` (negative if before).
    public func days(since other: LocalDate) -> Int64 {
        daysSinceEpoch - other.daysSinceEpoch
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        Civil.appendDigits(year, count: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Civil.appendDigits(month, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Civil.appendDigits(day, count: 2, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Proleptic-Gregorian day counting (Howard Hinnant's `days_from_civil`/`civil_from_days`),
/// so formatting and parsing timestamps needs neither Foundation nor a lookup table.
enum Civil {
    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a valid civil date.
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// `count` ASCII digits starting at `offset`, or nil if any byte is not a digit.
    static func digits(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> Int? {
        var value = 0
        for index in offset..<offset + count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.mmm]Z` for the instant `millisecondOfDay` into day `days`
    /// since 1970-01-01 (negative before it).
    static func appendInstant(days: Int64, millisecondOfDay: Int, milliseconds: Bool, to bytes: inout [UInt8]) {
        let civil = civil(fromDays: days)
        appendDigits(civil.year, count: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(civil.month, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(civil.day, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(millisecondOfDay / 3_600_000, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(millisecondOfDay / 60_000 % 60, count: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(millisecondOfDay / 1000 % 60, count: 2, to: &bytes)
        if milliseconds {
            bytes.append(UInt8(ascii: "."))
            appendDigits(millisecondOfDay % 1000, count: 3, to: &bytes)
        }
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Appends `value` zero-padded to exactly `count` digits (callers keep it in range).
    static func appendDigits(_ value: Int, count: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
