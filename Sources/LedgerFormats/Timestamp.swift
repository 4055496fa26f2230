public import Foundation

/// An instant as whole milliseconds since the Unix epoch: the resolution of an entry's `time`.
/// Formatting and parsing are hand-written (no `DateFormatter`), because every entry is
/// formatted once when sequenced and parsed once when verified.
///
/// The range is 1970-01-01T00:00:00.000Z ... 9999-12-31T23:59:59.999Z: RFC 3339 has four-digit
/// years, and nothing in a ledger predates the epoch.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let millisecondsSinceEpoch: Int64

    public static let validRange: ClosedRange<Int64> = 0...253_402_300_799_999
    private static let millisecondsPerDay: Int64 = 86_400_000

    static let latest = Timestamp(uncheckedMilliseconds: validRange.upperBound)

    private init(uncheckedMilliseconds: Int64) {
        millisecondsSinceEpoch = uncheckedMilliseconds
    }

    public init(millisecondsSinceEpoch: Int64) throws(LedgerFormatsError) {
        guard Self.validRange.contains(millisecondsSinceEpoch) else {
            throw LedgerFormatsError(
                .invalidArgument,
                "timestamp \(millisecondsSinceEpoch) ms is outside 1970-01-01...9999-12-31 (UTC)"
            )
        }
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The millisecond containing `date`. A `Date` is a binary floating-point number of
    /// seconds, so a value within a microsecond of a whole millisecond is taken as that
    /// millisecond (…123 ms is stored as …122.9999 ms).
    public init(_ date: Date) throws(LedgerFormatsError) {
        let scaled = date.timeIntervalSince1970 * 1000
        guard scaled.isFinite, scaled > -1e15, scaled < 1e15 else {
            throw LedgerFormatsError(.invalidArgument, "date \(date) is outside 1970-01-01...9999-12-31 (UTC)")
        }
        let nearest = scaled.rounded()
        let milliseconds = abs(scaled - nearest) < 0.001 ? nearest : scaled.rounded(.down)
        try self.init(millisecondsSinceEpoch: Int64(milliseconds))
    }

    public var date: Date {
        Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000)
    }

    public var isWholeSecond: Bool {
        millisecondsSinceEpoch % 1000 == 0
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// `2026-11-25T10:15:30.123Z`, the form of an entry's `time`.
    public var rfc3339Milliseconds: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        appendRFC3339(to: &bytes, milliseconds: true)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `2026-11-23T19:00:00Z`, the form of a block's day boundaries. Throws if the instant is
    /// not a whole second rather than silently dropping the milliseconds.
    public var rfc3339Seconds: String {
        get throws(LedgerFormatsError) {
            guard isWholeSecond else {
                throw LedgerFormatsError(
                    .invalidArgument,
                    "\(rfc3339Milliseconds) is not a whole second and cannot be written without milliseconds"
                )
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(20)
            appendRFC3339(to: &bytes, milliseconds: false)
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    public var description: String { rfc3339Milliseconds }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SS.mmmZ` (upper-case `T` and `Z`, UTC only, no leap
    /// second): one instant has one spelling, so entries stay canonical.
    public init(rfc3339Milliseconds text: String) throws(LedgerFormatsError) {
        try self.init(parsing: text, milliseconds: true)
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SSZ`.
    public init(rfc3339Seconds text: String) throws(LedgerFormatsError) {
        try self.init(parsing: text, milliseconds: false)
    }

    private init(parsing text: String, milliseconds: Bool) throws(LedgerFormatsError) {
        let bytes = Array(text.utf8)
        let expectedLength = milliseconds ? 24 : 20
        guard bytes.count == expectedLength,
            bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[expectedLength - 1] == UInt8(ascii: "Z"),
            !milliseconds || bytes[19] == UInt8(ascii: "."),
            let year = Civil.digits(bytes, 0, 4), let month = Civil.digits(bytes, 5, 2),
            let day = Civil.digits(bytes, 8, 2), let hour = Civil.digits(bytes, 11, 2),
            let minute = Civil.digits(bytes, 14, 2), let second = Civil.digits(bytes, 17, 2),
            let millisecond = milliseconds ? Civil.digits(bytes, 20, 3) : 0,
            hour < 24, minute < 60, second < 60,
            let date = try? LocalDate(year: year, month: month, day: day)
        else {
            let form = milliseconds ? "YYYY-MM-DDTHH:MM:SS.mmmZ" : "YYYY-MM-DDTHH:MM:SSZ"
            throw LedgerFormatsError(
                .malformed,
                "timestamp \(CanonicalWriter.quoted(text)) is not an RFC 3339 UTC time of the form \(form)"
            )
        }
        let secondOfDay = Int64(hour * 3600 + minute * 60 + second)
        try self.init(
            millisecondsSinceEpoch: date.daysSinceEpoch * Self.millisecondsPerDay + secondOfDay * 1000
                + Int64(millisecond)
        )
    }

    /// Appends the RFC 3339 text to a buffer, for serializers that build bytes directly.
    func appendRFC3339(to bytes: inout [UInt8], milliseconds: Bool) {
        Civil.appendInstant(
            days: millisecondsSinceEpoch / Self.millisecondsPerDay,
            millisecondOfDay: Int(millisecondsSinceEpoch % Self.millisecondsPerDay), milliseconds: milliseconds,
            to: &bytes)
    }
}
