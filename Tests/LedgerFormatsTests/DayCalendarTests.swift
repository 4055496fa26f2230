import Foundation
import LedgerFormats
import Testing

@Suite struct DayCalendarTests {
    static func calendar(_ zone: String, from start: String) throws -> DayCalendar {
        DayCalendar(timeZone: try #require(TimeZone(identifier: zone)), startDate: try LocalDate(parsing: start))
    }

    static func instant(_ text: String) throws -> Timestamp {
        try Timestamp(rfc3339Seconds: text)
    }

    /// Kazakhstan moved from UTC+6 to UTC+5 at 2024-03-01 00:00 local (clocks went back to
    /// 23:00 on 29 February), so 29 February lasted 25 hours.
    @Test func almatyAroundTheOffsetChange() throws {
        let calendar = try Self.calendar("Asia/Almaty", from: "2024-02-20")
        let expected: [(String, String, String)] = [
            ("2024-02-28", "2024-02-27T18:00:00Z", "2024-02-28T18:00:00Z"),
            ("2024-02-29", "2024-02-28T18:00:00Z", "2024-02-29T19:00:00Z"),
            ("2024-03-01", "2024-02-29T19:00:00Z", "2024-03-01T19:00:00Z"),
            ("2024-03-02", "2024-03-01T19:00:00Z", "2024-03-02T19:00:00Z"),
        ]
        for (offset, (date, start, end)) in expected.enumerated() {
            let height = Int64(8 + offset)
            let day = try calendar.day(atHeight: height)
            #expect(day.height == height)
            #expect(day.date.description == date)
            #expect(try day.start.rfc3339Seconds == start)
            #expect(try day.end.rfc3339Seconds == end)
            #expect(try calendar.height(containing: day.start) == height)
        }
        #expect(try calendar.height(containing: Self.instant("2024-02-29T18:30:00Z")) == 9)  // the repeated hour
        #expect(try calendar.height(containing: Self.instant("2024-02-29T19:00:00Z")) == 10)
    }

    /// Local 23:59:59.999 belongs to the day, local 00:00:00.000 to the next; the wall times
    /// are built with Foundation's own calendar, not from the days under test.
    @Test func localMidnightBoundaries() throws {
        let calendar = try Self.calendar("Asia/Almaty", from: "2023-01-01")
        var foundation = Calendar(identifier: .gregorian)
        foundation.timeZone = try #require(TimeZone(identifier: "Asia/Almaty"))
        for height in Int64(0)..<800 {
            let date = try calendar.date(atHeight: height)
            guard date.description != "2024-02-29" else { continue }  // 23:59:59.999 happens twice
            let lastMoment = try #require(foundation.date(from: DateComponents(
                year: date.year, month: date.month, day: date.day, hour: 23, minute: 59, second: 59, nanosecond: 999_500_000)))
            let midnight = try #require(foundation.date(from: DateComponents(year: date.year, month: date.month, day: date.day)))
            #expect(try calendar.height(containing: Timestamp(lastMoment)) == height)
            #expect(try calendar.height(containing: Timestamp(midnight)) == height)
            #expect(try calendar.day(atHeight: height).start == Timestamp(midnight))
        }
    }

    /// EU rule: summer time starts on the last Sunday of March and ends on the last Sunday of
    /// October, so those days last 23 and 25 hours.
    @Test func berlinDaylightSavingDays() throws {
        let calendar = try Self.calendar("Europe/Berlin", from: "2025-01-01")
        var lengths: [String: Int64] = [:]
        for height in Int64(0)..<365 {
            let day = try calendar.day(atHeight: height)
            lengths[day.date.description] = day.end.millisecondsSinceEpoch - day.start.millisecondsSinceEpoch
        }
        let hour: Int64 = 3_600_000
        #expect(lengths["2025-03-30"] == 23 * hour)
        #expect(lengths["2025-10-26"] == 25 * hour)
        #expect(lengths.filter { $0.value != 24 * hour }.count == 2)
        let spring = try calendar.day(atHeight: 88)
        #expect(spring.date.description == "2025-03-30")
        #expect(try spring.start.rfc3339Seconds == "2025-03-29T23:00:00Z")
        #expect(try spring.end.rfc3339Seconds == "2025-03-30T22:00:00Z")
    }

    /// Brazil's summer time began at midnight (2018-11-04 00:00 became 01:00): that date's
    /// first instant is 01:00 local, 03:00 UTC.
    @Test func zoneWithoutMidnightUsesTheFirstInstant() throws {
        let calendar = try Self.calendar("America/Sao_Paulo", from: "2018-11-01")
        let day = try calendar.day(atHeight: 3)
        #expect(day.date.description == "2018-11-04")
        #expect(try day.start.rfc3339Seconds == "2018-11-04T03:00:00Z")
        #expect(try day.end.rfc3339Seconds == "2018-11-05T02:00:00Z")
        #expect(try calendar.day(atHeight: 2).end == day.start)
        #expect(try calendar.height(containing: Self.instant("2018-11-04T02:59:59Z")) == 2)
    }

    @Test(arguments: [("Asia/Almaty", "2023-06-01"), ("Europe/Berlin", "2024-01-01"), ("America/Sao_Paulo", "2017-06-01"),
        ("Australia/Lord_Howe", "2020-01-01"), ("Etc/UTC", "2026-01-01")])
    func consecutiveDaysTile(_ zone: String, _ start: String) throws {
        let calendar = try Self.calendar(zone, from: start)
        var previous = try calendar.day(atHeight: 0)
        for height in Int64(1)...1000 {
            let day = try calendar.day(atHeight: height)
            #expect(day.start == previous.end, "\(zone) \(day.date)")
            #expect(day.date == (try previous.date.adding(days: 1)))
            #expect(try calendar.height(containing: day.start) == height)
            #expect(try calendar.height(containing: Timestamp(millisecondsSinceEpoch: day.start.millisecondsSinceEpoch - 1)) == height - 1)
            #expect(try day.start.rfc3339Seconds.hasSuffix("Z"))
            previous = day
        }
    }

    @Test func randomInstantsFallInsideTheirDay() throws {
        let calendar = try Self.calendar("Asia/Almaty", from: "2020-01-01")
        let first = try calendar.day(atHeight: 0).start.millisecondsSinceEpoch
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let instant = try Timestamp(millisecondsSinceEpoch: Int64.random(in: first..<(first + 40 * 365 * 86_400_000), using: &generator))
            let day = try calendar.day(atHeight: try calendar.height(containing: instant))
            #expect(day.start <= instant && instant < day.end)
        }
    }

    @Test func outOfRangeRequestsAreRefused() throws {
        let calendar = try Self.calendar("Asia/Almaty", from: "2026-11-23")
        requireFormatsError(.invalidArgument) { _ = try calendar.day(atHeight: -1) }
        let error = requireFormatsError(.invalidArgument) {
            _ = try calendar.height(containing: Self.instant("2026-11-22T18:59:59Z"))
        }
        #expect(error?.message.contains("2026-11-22") == true)
        #expect(try calendar.height(containing: Self.instant("2026-11-22T19:00:00Z")) == 0)
        requireFormatsError(.invalidArgument) { _ = try calendar.day(atHeight: 3_000_000) }
    }

    /// Samoa skipped 2011-12-30 (from UTC−10 to UTC+14): no block can close it.
    @Test func apiaSkippedDateIsRefused() throws {
        let calendar = try Self.calendar("Pacific/Apia", from: "2011-12-01")
        let error = requireFormatsError(.unsupported) { _ = try calendar.day(atHeight: 29) }
        #expect(error?.message.contains("2011-12-30") == true)
        let next = try calendar.day(atHeight: 30)
        #expect(next.date.description == "2011-12-31")
        #expect(try next.start.rfc3339Seconds == "2011-12-30T10:00:00Z")
    }
}
