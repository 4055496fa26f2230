import Codecs
internal import Crypto

/// A daily block (docs/formats.md, "Daily blocks"): a checkpoint of the log whose extension lines
/// are exactly
///
///     block <h>
///     date <YYYY-MM-DD> <start> <end>
///     prev <base64 SHA-256 of the previous block's note text, or of the genesis document>
///     day <first index> <count> <base64 day root>
///
/// Its hash covers only the note text, so witnesses' cosignatures added later leave it as is.
public struct Block: Sendable, Hashable {
    public let origin: String
    public let treeSize: UInt64
    public let rootHash: [UInt8]
    /// `h`: block h closes day `startDate + h` of the genesis time zone.
    public let height: UInt64
    /// The local calendar date the block closes, `YYYY-MM-DD`.
    public let date: String
    /// The UTC instants, in seconds since 1970-01-01T00:00:00Z, of the local midnights that
    /// open and close `date` (written as RFC 3339 `2026-11-23T19:00:00Z`).
    public let start: Int64
    public let end: Int64
    /// SHA-256 of the previous block's note text; for block 0, of the genesis document.
    public let previousHash: [UInt8]
    /// The index of the day's first entry: the previous block's tree size (0 for block 0).
    public let dayFirst: UInt64
    /// RFC 9162 tree hash of the leaves `[dayFirst, treeSize)`; SHA-256("") for an empty day.
    public let dayRoot: [UInt8]
    /// The block as a checkpoint: its tree head plus the four block lines.
    public let checkpoint: Checkpoint

    /// The number of entries the day added.
    public var dayCount: UInt64 { treeSize - dayFirst }

    /// - Throws: `invalidArgument` for a value a block cannot state (see the property docs).
    public init(
        origin: String, treeSize: UInt64, rootHash: [UInt8], height: UInt64, date: String,
        start: Int64, end: Int64, previousHash: [UInt8], dayFirst: UInt64, dayRoot: [UInt8]
    ) throws(LedgerFormatsError) {
        try self.init(
            origin: origin, treeSize: treeSize, rootHash: rootHash, height: height, date: date, start: start,
            end: end, previousHash: previousHash, dayFirst: dayFirst, dayRoot: dayRoot, code: .invalidArgument
        )
    }

    private init(
        origin: String, treeSize: UInt64, rootHash: [UInt8], height: UInt64, date: String, start: Int64,
        end: Int64, previousHash: [UInt8], dayFirst: UInt64, dayRoot: [UInt8], code: LedgerFormatsError.Code
    ) throws(LedgerFormatsError) {
        guard BlockTime.isDate(date) else {
            throw LedgerFormatsError(code, "block date \"\(date)\" is not a YYYY-MM-DD date between 0001 and 9999")
        }
        guard BlockTime.range.contains(start), BlockTime.range.contains(end) else {
            throw LedgerFormatsError(code, "block start and end must lie within the years 0001 to 9999")
        }
        guard start < end else {
            throw LedgerFormatsError(code, "a block's day must end after it starts")
        }
        guard previousHash.count == 32, dayRoot.count == 32 else {
            throw LedgerFormatsError(code, "the previous block hash and the day root are 32-byte SHA-256 hashes")
        }
        guard dayFirst <= treeSize else {
            throw LedgerFormatsError(code, "the day's first index \(dayFirst) is beyond the tree size \(treeSize)")
        }
        if dayFirst == treeSize && dayRoot != Checkpoint.emptyTreeRoot {
            throw LedgerFormatsError(code, "the day root of a day without entries is SHA-256 of the empty string")
        }
        let extensions = [
            "block \(height)",
            "date \(date) \(BlockTime.formatInstant(start)) \(BlockTime.formatInstant(end))",
            "prev \(Base64.encode(previousHash))",
            "day \(dayFirst) \(treeSize - dayFirst) \(Base64.encode(dayRoot))",
        ]
        do {
            checkpoint = try Checkpoint(origin: origin, size: treeSize, rootHash: rootHash, extensions: extensions)
        } catch {
            throw LedgerFormatsError(code, error.message)
        }
        self.origin = origin
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.height = height
        self.date = date
        self.start = start
        self.end = end
        self.previousHash = previousHash
        self.dayFirst = dayFirst
        self.dayRoot = dayRoot
    }

    /// Reads a block from a checkpoint whose extension lines must be exactly the block's four.
    public init(checkpoint: Checkpoint) throws(LedgerFormatsError) {
        let lines = checkpoint.extensions
        guard lines.count == 4 else {
            throw LedgerFormatsError(.malformed, "a block has exactly four extension lines (block, date, prev, day), found \(lines.count)")
        }
        let block = try Block.fields(lines[0], "block", count: 1)
        let date = try Block.fields(lines[1], "date", count: 3)
        let prev = try Block.fields(lines[2], "prev", count: 1)
        let day = try Block.fields(lines[3], "day", count: 3)

        let height = try NoteSyntax.decimal(block[0], field: "block height")
        guard BlockTime.isDate(date[0]) else {
            throw LedgerFormatsError(.malformed, "block date \"\(date[0].prefix(30))\" is not a YYYY-MM-DD date")
        }
        let start = try BlockTime.parseInstant(date[1], field: "block start")
        let end = try BlockTime.parseInstant(date[2], field: "block end")
        let previousHash = try NoteSyntax.hash(prev[0], field: "previous block hash")
        let first = try NoteSyntax.decimal(day[0], field: "day first index")
        let count = try NoteSyntax.decimal(day[1], field: "day entry count")
        let dayRoot = try NoteSyntax.hash(day[2], field: "day root")
        let (sum, overflow) = first.addingReportingOverflow(count)
        guard !overflow, sum == checkpoint.size else {
            throw LedgerFormatsError(.malformed, "the day's first index \(first) plus its count \(count) must equal the tree size \(checkpoint.size)")
        }
        try self.init(
            origin: checkpoint.origin, treeSize: checkpoint.size, rootHash: checkpoint.rootHash, height: height,
            date: String(date[0]), start: start, end: end, previousHash: previousHash, dayFirst: first,
            dayRoot: dayRoot, code: .malformed
        )
    }

    /// Parses a block's note text, without verifying any signature.
    public init(text: String) throws(LedgerFormatsError) {
        try self.init(checkpoint: Checkpoint(text: text))
    }

    /// Verifies a signed block against the log's key, then parses it.
    public init(note: SignedNote, verifier: NoteVerifier) throws(LedgerFormatsError) {
        try self.init(checkpoint: Checkpoint(note: note, verifier: verifier))
    }

    /// Every line up to and including the `day` line, each with its newline.
    public var noteText: String { checkpoint.text }

    /// SHA-256 of `noteText`: what the next block's `prev` line states.
    public var hash: [UInt8] { Array(SHA256.hash(data: Array(noteText.utf8))) }

    /// Signs the block with the log key, whose name must be the origin.
    public func signed(by signer: any NoteSigner) throws -> SignedNote {
        try checkpoint.signed(by: signer)
    }

    private static func fields(_ line: String, _ keyword: String, count: Int) throws(LedgerFormatsError) -> [Substring] {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == count + 1, parts[0] == keyword else {
            throw LedgerFormatsError(.malformed, "expected the block line \"\(keyword)\" with \(count) value\(count == 1 ? "" : "s") separated by single spaces, found \"\(line.prefix(80))\"")
        }
        return Array(parts.dropFirst())
    }
}

/// The block's `date` line: its date and its whole-second UTC instants, written and read with
/// `Civil`'s day counting (proleptic Gregorian) rather than Foundation's calendar.
package enum BlockTime {
    /// 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59Z in Unix seconds.
    static let range: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    /// `YYYY-MM-DD` for a real date in the years 0001 to 9999.
    static func isDate(_ text: some StringProtocol) -> Bool {
        let b = Array(text.utf8)
        return b.count == 10 && date(b) != nil
    }

    /// The date in the first ten bytes of `b` (at least ten).
    private static func date(_ b: [UInt8]) -> (year: Int, month: Int, day: Int)? {
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            let year = Civil.digits(b, 0, 4), let month = Civil.digits(b, 5, 2), let day = Civil.digits(b, 8, 2),
            year >= 1, (1...12).contains(month), day >= 1, day <= Civil.daysInMonth(year: year, month: month)
        else { return nil }
        return (year, month, day)
    }

    /// `2026-11-23T19:00:00Z` for Unix seconds within `range` (a parsed block's instants).
    package static func formatInstant(_ seconds: Int64) -> String {
        precondition(range.contains(seconds), "LedgerFormats: block instant outside the years 0001...9999")
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        Civil.appendInstant(days: days, millisecondOfDay: Int(seconds - days * 86_400) * 1000, milliseconds: false, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Exactly `YYYY-MM-DDTHH:MM:SSZ`: UTC, whole seconds, no leap second.
    package static func parseInstant(_ text: some StringProtocol, field: String) throws(LedgerFormatsError) -> Int64 {
        let b = Array(text.utf8)
        guard b.count == 20, let (year, month, day) = date(b), b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"),
            b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "Z"),
            let hour = Civil.digits(b, 11, 2), let minute = Civil.digits(b, 14, 2), let second = Civil.digits(b, 17, 2),
            hour < 24, minute < 60, second < 60
        else {
            throw LedgerFormatsError(.malformed, "\(field) must be an RFC 3339 UTC time in whole seconds like 2026-11-23T19:00:00Z, found \"\(text.prefix(40))\"")
        }
        return Civil.days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }
}
