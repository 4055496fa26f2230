import Foundation
import LedgerFormats
import Testing

@Suite struct TimestampTests {
    /// 1970-01-01 ... 2200-01-01 in milliseconds.
    static let testedRange: ClosedRange<Int64> = 0...7_258_118_400_000

    @Test func formattingMatchesFoundationForRandomInstants() throws {
        let withMilliseconds = ISO8601DateFormatter()
        withMilliseconds.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        withMilliseconds.timeZone = TimeZone(identifier: "Etc/UTC")
        let whole = ISO8601DateFormatter()
        whole.timeZone = TimeZone(identifier: "Etc/UTC")
        var generator = SystemRandomNumberGenerator()
        for index in 0..<5000 {
            var milliseconds = Int64.random(in: Self.testedRange, using: &generator)
            if index % 5 == 0 { milliseconds -= milliseconds % 86_400_000 }  // midnights too
            let timestamp = try Timestamp(millisecondsSinceEpoch: milliseconds)
            // A Date is binary floating point: give Foundation's formatter a quarter of a
            // millisecond more, so neither its truncation nor its rounding can change the digits.
            let date = Date(timeIntervalSince1970: (Double(milliseconds) + 0.25) / 1000)
            #expect(timestamp.rfc3339Milliseconds == withMilliseconds.string(from: date))
            #expect(try Timestamp(rfc3339Milliseconds: timestamp.rfc3339Milliseconds) == timestamp)
            #expect(try Timestamp(timestamp.date) == timestamp)

            let second = try Timestamp(millisecondsSinceEpoch: milliseconds - milliseconds % 1000)
            let text = try second.rfc3339Seconds
            #expect(text == whole.string(from: second.date))
            #expect(try Timestamp(rfc3339Seconds: text) == second)
            let parsed = try #require(whole.date(from: text))
            #expect(try Timestamp(parsed) == second)
        }
    }

    @Test func rangeEnds() throws {
        #expect(try Timestamp(millisecondsSinceEpoch: 0).rfc3339Milliseconds == "1970-01-01T00:00:00.000Z")
        #expect(try Timestamp(millisecondsSinceEpoch: Timestamp.validRange.upperBound).rfc3339Milliseconds == "9999-12-31T23:59:59.999Z")
        requireFormatsError(.invalidArgument) { _ = try Timestamp(millisecondsSinceEpoch: -1) }
        requireFormatsError(.invalidArgument) { _ = try Timestamp(millisecondsSinceEpoch: Timestamp.validRange.upperBound + 1) }
        requireFormatsError(.invalidArgument) { _ = try Timestamp(Date(timeIntervalSince1970: -0.5)) }
        requireFormatsError(.invalidArgument) { _ = try Timestamp(Date.distantFuture.addingTimeInterval(1e12)) }
    }

    @Test func leapDays() throws {
        #expect(try Timestamp(rfc3339Seconds: "2024-02-29T12:00:00Z").rfc3339Seconds == "2024-02-29T12:00:00Z")
        #expect(try Timestamp(rfc3339Seconds: "2000-02-29T00:00:00Z").rfc3339Seconds == "2000-02-29T00:00:00Z")
        requireFormatsError(.malformed) { _ = try Timestamp(rfc3339Seconds: "2100-02-29T00:00:00Z") }
        requireFormatsError(.malformed) { _ = try Timestamp(rfc3339Seconds: "2023-02-29T00:00:00Z") }
    }

    @Test func dateConversionToleratesBinaryFractions() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let milliseconds = Int64.random(in: Self.testedRange, using: &generator)
            #expect(try Timestamp(Date(timeIntervalSince1970: Double(milliseconds) / 1000)).millisecondsSinceEpoch == milliseconds)
            #expect(try Timestamp(Date(timeIntervalSince1970: (Double(milliseconds) + 0.9) / 1000)).millisecondsSinceEpoch == milliseconds)
        }
    }

    @Test func secondsFormRefusesMilliseconds() throws {
        let error = requireFormatsError(.invalidArgument) { _ = try Timestamp(millisecondsSinceEpoch: 1001).rfc3339Seconds }
        #expect(error?.message.contains("1970-01-01T00:00:01.001Z") == true)
    }

    @Test(arguments: [
        "2026-11-25T10:15:30.123", "2026-11-25t10:15:30.123Z", "2026-11-25T10:15:30.123z", "2026-11-25 10:15:30.123Z",
        "2026-11-25T10:15:30.12Z", "2026-11-25T10:15:30.1234Z", "2026-11-25T10:15:30Z", "2026-11-25T10:15:30.123+00:00",
        "2026-11-25T10:15:60.000Z", "2026-11-25T24:00:00.000Z", "2026-11-25T10:60:00.000Z", "2026-13-25T10:15:30.123Z",
        "2026-00-25T10:15:30.123Z", "2026-11-31T10:15:30.123Z", "2026-11-00T10:15:30.123Z", "1969-12-31T23:59:59.999Z",
        "+2026-11-25T10:15:30.123Z", "2026-11-25T10:15:30,123Z", " 2026-11-25T10:15:30.123Z", "2026-11-25T10:15:3٠.123Z",
        "2026-11-25T-1:15:30.123Z", "", "2026/11/25T10:15:30.123Z",
    ])
    func millisecondFormIsStrict(_ text: String) {
        let error = requireFormatsError(.malformed) { _ = try Timestamp(rfc3339Milliseconds: text) }
        #expect(error?.message.contains("YYYY-MM-DDTHH:MM:SS.mmmZ") == true)
    }

    @Test(arguments: ["2026-11-23T19:00:00.000Z", "2026-11-23T19:00:00", "2026-11-23T19:00Z", "2026-11-23T19:00:00+06:00"])
    func secondFormIsStrict(_ text: String) {
        requireFormatsError(.malformed) { _ = try Timestamp(rfc3339Seconds: text) }
    }

    @Test func localDates() throws {
        let date = try LocalDate(parsing: "2024-02-28")
        #expect(try date.adding(days: 1).description == "2024-02-29")
        #expect(try date.adding(days: 2).description == "2024-03-01")
        #expect(try date.adding(days: 366).description == "2025-02-28")
        #expect(try date.adding(days: -1).description == "2024-02-27")
        #expect(try LocalDate(parsing: "2025-01-01").days(since: date) == 308)
        #expect(try LocalDate(parsing: "1970-01-01") == LocalDate.earliest)
        #expect(LocalDate.latest.description == "9999-12-31")
        requireFormatsError(.invalidArgument) { _ = try LocalDate.latest.adding(days: 1) }
        requireFormatsError(.invalidArgument) { _ = try LocalDate.earliest.adding(days: -1) }
        requireFormatsError(.invalidArgument) { _ = try LocalDate(year: 2026, month: 2, day: 29) }
        // Day counting agrees with Foundation's calendar over a long run.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Etc/UTC"))
        var day = LocalDate.earliest
        for offset in stride(from: Int64(0), to: 150_000, by: 37) {
            day = try LocalDate.earliest.adding(days: offset)
            let reference = try #require(calendar.date(byAdding: .day, value: Int(offset), to: Date(timeIntervalSince1970: 0)))
            let components = calendar.dateComponents([.year, .month, .day], from: reference)
            #expect([day.year, day.month, day.day] == [components.year, components.month, components.day])
        }
    }

    @Test(arguments: ["2026-1-05", "26-11-23", "2026-11-23 ", "2026-02-30", "2026-11-23T00", "1969-12-31", "２０２６-11-23", ""])
    func localDateParsingIsStrict(_ text: String) {
        requireFormatsError(.malformed) { _ = try LocalDate(parsing: text) }
    }
}
