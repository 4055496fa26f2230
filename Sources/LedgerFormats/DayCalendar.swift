public import Foundation

/// Maps block heights to days of the genesis time zone (docs/formats.md, "Daily blocks"):
/// block `h` closes the local date `startDate + h`, which runs from the first instant of that
/// date to the first instant of the next, as this machine's tz database says.
///
/// Skipped dates: a zone that skips a whole date (Pacific/Apia skipped 2011-12-30) has no day
/// for that block, so it is refused twice over. `Genesis` scans the zone's offset transitions
/// for the 100 years after `startDate` and refuses the zone if any skips a date (cheap: a few
/// hundred transitions). And every day computed here re-checks its own date, because the scan
/// is bounded and a tz database update after genesis can change the future: a skipped date
/// then throws `unsupported` instead of producing a wrong block.
public struct DayCalendar: Sendable {
    public let timeZone: TimeZone
    public let startDate: LocalDate
    private let calendar: Calendar

    /// One day of the chain: `start <= time < end` for every entry of block `height`.
    public struct Day: Hashable, Sendable {
        public let height: Int64
        public let date: LocalDate
        public let start: Timestamp
        public let end: Timestamp
    }

    public init(genesis: Genesis) throws(LedgerFormatsError) {
        self.init(timeZone: try Genesis.checkedTimeZone(genesis.timeZone), startDate: genesis.startDate)
    }

    /// A calendar for any zone; unlike `Genesis`, this does not scan ahead for skipped dates
    /// (each day is still checked when computed).
    public init(timeZone: TimeZone, startDate: LocalDate) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.timeZone = timeZone
        self.startDate = startDate
        self.calendar = calendar
    }

    /// The local date block `height` closes.
    public func date(atHeight height: Int64) throws(LedgerFormatsError) -> LocalDate {
        guard height >= 0 else {
            throw LedgerFormatsError(.invalidArgument, "block height \(height) is negative")
        }
        return try startDate.adding(days: height)
    }

    /// The day block `height` closes, with its UTC boundaries.
    public func day(atHeight height: Int64) throws(LedgerFormatsError) -> Day {
        let date = try date(atHeight: height)
        let start = try firstInstant(of: date)
        let end = try firstInstant(of: try date.adding(days: 1))
        guard start < end else {
            throw LedgerFormatsError(
                .unsupported,
                "time zone \(timeZone.identifier) gives \(date) no duration (\(start) ... \(end)); the chain cannot close it"
            )
        }
        return Day(height: height, date: date, start: start, end: end)
    }

    /// The height of the block whose day contains `instant`. Throws for an instant before the
    /// chain's first day.
    public func height(containing instant: Timestamp) throws(LedgerFormatsError) -> Int64 {
        let date = try localDate(containing: instant)
        let height = date.days(since: startDate)
        guard height >= 0 else {
            throw LedgerFormatsError(
                .invalidArgument,
                "\(instant) is on \(date) in \(timeZone.identifier), before the chain's first day \(startDate)"
            )
        }
        return height
    }

    /// The local date of `instant` in the zone.
    public func localDate(containing instant: Timestamp) throws(LedgerFormatsError) -> LocalDate {
        let components = calendar.dateComponents([.year, .month, .day], from: instant.date)
        guard let year = components.year, let month = components.month, let day = components.day else {
            throw LedgerFormatsError(.invalidArgument, "no local date for \(instant) in \(timeZone.identifier)")
        }
        return try LocalDate(year: year, month: month, day: day)
    }

    /// The first instant of `date`: local midnight, or, where a DST jump at 00:00 removes
    /// midnight, the first instant that exists (what `Calendar.startOfDay` gives). Local noon
    /// exists on every date a zone does not skip, so it anchors the date.
    private func firstInstant(of date: LocalDate) throws(LedgerFormatsError) -> Timestamp {
        let skipped = LedgerFormatsError(
            .unsupported,
            "time zone \(timeZone.identifier) skips the whole date \(date), so no block can close it; choose another zone in the genesis"
        )
        guard
            let noon = calendar.date(
                from: DateComponents(year: date.year, month: date.month, day: date.day, hour: 12)
            ),
            try localDate(containing: Timestamp(noon)) == date
        else { throw skipped }
        let start = try Timestamp(calendar.startOfDay(for: noon))
        guard try localDate(containing: start) == date else { throw skipped }
        guard start.isWholeSecond else {
            throw LedgerFormatsError(
                .unsupported,
                "time zone \(timeZone.identifier) starts \(date) at \(start), not a whole second; blocks state whole seconds"
            )
        }
        return start
    }

    /// Refuses `timeZone` if an offset transition in the `years` after `startDate` skips a
    /// whole local date. Pure arithmetic on the transitions' offsets, no `Calendar`.
    static func checkNoSkippedDates(in timeZone: TimeZone, from startDate: LocalDate, years: Int64) throws(LedgerFormatsError) {
        let secondsPerDay: Int64 = 86_400
        // A day earlier in UTC than any zone's local midnight of startDate.
        var cursor = Date(timeIntervalSince1970: Double((startDate.daysSinceEpoch - 1) * secondsPerDay))
        let horizon = Date(timeIntervalSince1970: Double((startDate.daysSinceEpoch + years * 366) * secondsPerDay))
        while let transition = timeZone.nextDaylightSavingTimeTransition(after: cursor), transition < horizon {
            let before = Int64(timeZone.secondsFromGMT(for: transition.addingTimeInterval(-1)))
            let after = Int64(timeZone.secondsFromGMT(for: transition))
            let instant = Int64(transition.timeIntervalSince1970.rounded(.down))
            let lastLocalDay = Self.floorDivide(instant - 1 + before, secondsPerDay)
            let firstLocalDay = Self.floorDivide(instant + after, secondsPerDay)
            if firstLocalDay - lastLocalDay >= 2 {
                let skipped = try LocalDate(daysSinceEpoch: lastLocalDay + 1)
                if skipped >= startDate {
                    throw LedgerFormatsError(
                        .unsupported,
                        "time zone \(timeZone.identifier) skips the whole date \(skipped), so no block could close it; choose another zone"
                    )
                }
            }
            guard transition > cursor else { break }
            cursor = transition
        }
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }
}
