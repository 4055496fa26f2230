import Crypto
import Foundation
import LedgerFormats
import Testing

@Suite struct BlockTests {
    static let origin = "tamga.example/log"
    static let root = Array(SHA256.hash(data: Array("root".utf8)))
    static let previous = Array(SHA256.hash(data: Array("previous block".utf8)))
    static let dayRoot = Array(SHA256.hash(data: Array("day".utf8)))
    static let emptyRoot = Array(SHA256.hash(data: [UInt8]()))
    // 2026-11-23T19:00:00Z and 2026-11-24T19:00:00Z (Python: datetime(2026, 11, 23, 19, tzinfo=utc).timestamp()):
    // the midnights of 2026-11-24 in Asia/Almaty (UTC+5), docs/formats.md's example.
    static let start: Int64 = 1_795_460_400
    static let end: Int64 = 1_795_546_800

    static func sample(height: UInt64 = 3, treeSize: UInt64 = 120, dayFirst: UInt64 = 100) throws -> Block {
        try Block(
            origin: origin, treeSize: treeSize, rootHash: root, height: height, date: "2026-11-24",
            start: start, end: end, previousHash: previous, dayFirst: dayFirst, dayRoot: dayRoot
        )
    }

    static var sampleText: String {
        """
        tamga.example/log
        120
        \(base64Std(root))
        block 3
        date 2026-11-24 2026-11-23T19:00:00Z 2026-11-24T19:00:00Z
        prev \(base64Std(previous))
        day 100 20 \(base64Std(dayRoot))

        """
    }

    @Test func noteTextHasTheDesignLayout() throws {
        let block = try Self.sample()
        #expect(block.noteText == Self.sampleText)
        #expect(block.dayCount == 20)
        #expect(block.checkpoint.size == 120)
        #expect(block.checkpoint.extensions.count == 4)
    }

    @Test func parseRoundTrip() throws {
        let block = try Self.sample()
        let parsed = try Block(text: Self.sampleText)
        #expect(parsed == block)
        #expect(parsed.height == 3)
        #expect(parsed.date == "2026-11-24")
        #expect(parsed.start == Self.start)
        #expect(parsed.end == Self.end)
        #expect(parsed.previousHash == Self.previous)
        #expect(parsed.dayFirst == 100)
        #expect(parsed.dayRoot == Self.dayRoot)
        #expect(try Block(checkpoint: Checkpoint(text: Self.sampleText)) == block)
    }

    @Test func emptyDayAndFirstBlock() throws {
        let empty = try Block(
            origin: Self.origin, treeSize: 100, rootHash: Self.root, height: 4, date: "2026-11-25",
            start: Self.end, end: Self.end + 86_400, previousHash: Self.previous, dayFirst: 100, dayRoot: Self.emptyRoot
        )
        #expect(empty.dayCount == 0)
        #expect(try Block(text: empty.noteText) == empty)
        let first = try Block(
            origin: Self.origin, treeSize: 0, rootHash: Self.emptyRoot, height: 0, date: "2026-11-24",
            start: Self.start, end: Self.end, previousHash: Self.previous, dayFirst: 0, dayRoot: Self.emptyRoot
        )
        #expect(first.noteText.contains("\nblock 0\n"))
        #expect(first.noteText.hasSuffix("\nday 0 0 \(base64Std(Self.emptyRoot))\n"))
        #expect(try Block(text: first.noteText) == first)
    }

    /// Well-known instants: the Unix epoch, a leap day, and the ends of four-digit years.
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (Int64(951_782_400), "2000-02-29T00:00:00Z"),
        (Int64(-1), "1969-12-31T23:59:59Z"),
        (Int64(-62_135_596_800), "0001-01-01T00:00:00Z"),
        (Int64(253_402_300_799), "9999-12-31T23:59:59Z"),
        (Int64(1_709_229_600), "2024-02-29T18:00:00Z"),
    ])
    func instantsAreFormattedAndParsed(_ seconds: Int64, _ text: String) throws {
        // The latest instant can only be an end; every other one is tested as a start.
        let isEnd = seconds == 253_402_300_799
        let block = try Block(
            origin: Self.origin, treeSize: 1, rootHash: Self.root, height: 0, date: "2000-02-29",
            start: isEnd ? seconds - 1 : seconds, end: isEnd ? seconds : seconds + 1,
            previousHash: Self.previous, dayFirst: 0, dayRoot: Self.dayRoot
        )
        let line = try #require(block.noteText.split(separator: "\n").first { $0.hasPrefix("date ") })
        #expect(line.split(separator: " ")[isEnd ? 3 : 2] == text[...])
        let parsed = try Block(text: block.noteText)
        #expect((isEnd ? parsed.end : parsed.start) == seconds)
    }

    @Test func instantsRoundTripAcrossTheYears() throws {
        // Every ~13 days for 60 years around the epoch, at odd times of day.
        for seconds in stride(from: Int64(-946_684_800), to: 946_684_800, by: 1_123_457) {
            let block = try Block(
                origin: Self.origin, treeSize: 1, rootHash: Self.root, height: 0, date: "1999-12-31",
                start: seconds, end: seconds + 86_399, previousHash: Self.previous, dayFirst: 0, dayRoot: Self.dayRoot
            )
            let parsed = try Block(text: block.noteText)
            #expect(parsed.start == seconds && parsed.end == seconds + 86_399)
        }
    }

    // MARK: - Hash

    @Test func hashIsSHA256OfNoteTextAndIgnoresSignatures() throws {
        let signer = TestSigner(name: Self.origin)
        let block = try Self.sample()
        #expect(block.hash == Array(SHA256.hash(data: Array(block.noteText.utf8))))
        let note = try block.signed(by: signer)
        let cosigned = try note.adding(signatureBy: TestSigner(name: "witness.example"))
        let fromSigned = try Block(note: SignedNote(parsing: Array(note.formatted.utf8)), verifier: signer.verifier)
        let fromCosigned = try Block(note: SignedNote(parsing: Array(cosigned.formatted.utf8)), verifier: signer.verifier)
        #expect(fromSigned.hash == block.hash)
        #expect(fromCosigned.hash == block.hash)
        #expect(block.hash != Array(SHA256.hash(data: Array(note.formatted.utf8))))
        // Any change to the text changes the hash.
        let next = try Self.sample(height: 4)
        #expect(next.hash != block.hash)
    }

    @Test func signedBlockOfAnotherKeyIsRejected() throws {
        let signer = TestSigner(name: Self.origin)
        let note = try Self.sample().signed(by: TestSigner(name: Self.origin))
        #expect(formatsError { try Block(note: note, verifier: signer.verifier) }?.code == .invalidSignature)
        #expect(formatsError { try Self.sample().signed(by: TestSigner(name: "other")) }?.code == .invalidArgument)
    }

    // MARK: - Strict parsing

    /// Each case edits one thing in the valid sample text.
    @Test(arguments: [
        ("lines in the wrong order", { @Sendable (t: String) in LineEdit.swap(t, 4, 5) }),
        ("missing day line", { @Sendable (t: String) in LineEdit.drop(t, 6) }),
        ("missing block line", { @Sendable (t: String) in LineEdit.drop(t, 3) }),
        ("extra line", { @Sendable (t: String) in t + "more\n" }),
        ("plain checkpoint", { @Sendable (t: String) in t.split(separator: "\n").prefix(3).joined(separator: "\n") + "\n" }),
        ("unknown keyword", { @Sendable (t: String) in t.replacingOccurrences(of: "block 3", with: "blocks 3") }),
        ("double space", { @Sendable (t: String) in t.replacingOccurrences(of: "block 3", with: "block  3") }),
        ("trailing space", { @Sendable (t: String) in t.replacingOccurrences(of: "block 3\n", with: "block 3 \n") }),
        ("height with leading zero", { @Sendable (t: String) in t.replacingOccurrences(of: "block 3", with: "block 03") }),
        ("first index with leading zero", { @Sendable (t: String) in t.replacingOccurrences(of: "day 100 20", with: "day 0100 20") }),
        ("count with plus sign", { @Sendable (t: String) in t.replacingOccurrences(of: "day 100 20", with: "day 100 +20") }),
        ("first + count below size", { @Sendable (t: String) in t.replacingOccurrences(of: "day 100 20", with: "day 100 19") }),
        ("first + count above size", { @Sendable (t: String) in t.replacingOccurrences(of: "day 100 20", with: "day 101 20") }),
        ("first + count overflows", { @Sendable (t: String) in t.replacingOccurrences(of: "day 100 20", with: "day 18446744073709551615 121") }),
        ("missing day root", { @Sendable (t: String) in LineEdit.replace(t, 6, "day 100 20") }),
        ("short previous hash", { @Sendable (t: String) in LineEdit.replace(t, 5, "prev AAAA") }),
        ("short day root", { @Sendable (t: String) in LineEdit.replace(t, 6, "day 100 20 AAAA") }),
        ("date not a date", { @Sendable (t: String) in t.replacingOccurrences(of: "date 2026-11-24", with: "date 2026-02-29") }),
        ("month 13", { @Sendable (t: String) in t.replacingOccurrences(of: "date 2026-11-24", with: "date 2026-13-24") }),
        ("one-digit month", { @Sendable (t: String) in t.replacingOccurrences(of: "date 2026-11-24", with: "date 2026-1-24") }),
        ("year zero", { @Sendable (t: String) in t.replacingOccurrences(of: "date 2026-11-24", with: "date 0000-11-24") }),
        ("offset instead of Z", { @Sendable (t: String) in t.replacingOccurrences(of: "2026-11-23T19:00:00Z", with: "2026-11-24T00:00:00+05:00") }),
        ("fractional seconds", { @Sendable (t: String) in t.replacingOccurrences(of: "2026-11-23T19:00:00Z", with: "2026-11-23T19:00:00.000Z") }),
        ("lowercase t", { @Sendable (t: String) in t.replacingOccurrences(of: "2026-11-23T19:00:00Z", with: "2026-11-23t19:00:00Z") }),
        ("lowercase z", { @Sendable (t: String) in t.replacingOccurrences(of: "2026-11-23T19:00:00Z", with: "2026-11-23T19:00:00z") }),
        ("hour 24", { @Sendable (t: String) in t.replacingOccurrences(of: "2026-11-23T19:00:00Z", with: "2026-11-23T24:00:00Z") }),
        ("leap second", { @Sendable (t: String) in t.replacingOccurrences(of: "2026-11-23T19:00:00Z", with: "2026-11-23T19:00:60Z") }),
        ("start equals end", { @Sendable (t: String) in t.replacingOccurrences(of: "2026-11-23T19:00:00Z", with: "2026-11-24T19:00:00Z") }),
        ("start after end", { @Sendable (t: String) in t.replacingOccurrences(of: "2026-11-23T19:00:00Z", with: "2026-11-25T19:00:00Z") }),
        ("missing end", { @Sendable (t: String) in t.replacingOccurrences(of: " 2026-11-24T19:00:00Z", with: "") }),
        ("empty day with a non-empty root", { @Sendable (t: String) in
            t.replacingOccurrences(of: "\n120\n", with: "\n100\n").replacingOccurrences(of: "day 100 20", with: "day 100 0")
        }),
    ] as [(String, @Sendable (String) -> String)])
    func rejectsMalformed(_ label: String, _ edit: @Sendable (String) -> String) {
        let text = edit(Self.sampleText)
        #expect(text != Self.sampleText, "\(label): the edit changed nothing")
        let error = formatsError { try Block(text: text) }
        #expect(error?.code == .malformed, "\(label): \(String(describing: error))")
    }

    @Test func rejectsUnwritableValues() {
        func make(
            treeSize: UInt64 = 120, date: String = "2026-11-24", start: Int64 = BlockTests.start,
            end: Int64 = BlockTests.end, previous: [UInt8] = BlockTests.previous, dayFirst: UInt64 = 100,
            dayRoot: [UInt8] = BlockTests.dayRoot
        ) -> LedgerFormatsError.Code? {
            formatsError {
                try Block(
                    origin: Self.origin, treeSize: treeSize, rootHash: Self.root, height: 1, date: date, start: start, end: end,
                    previousHash: previous, dayFirst: dayFirst, dayRoot: dayRoot
                )
            }?.code
        }
        #expect(make(dayFirst: 121) == .invalidArgument)
        #expect(make(date: "2026-11-31") == .invalidArgument)
        #expect(make(date: "26-11-24") == .invalidArgument)
        #expect(make(start: Self.end) == .invalidArgument)
        #expect(make(end: 253_402_300_800) == .invalidArgument)
        #expect(make(start: -62_135_596_801) == .invalidArgument)
        #expect(make(previous: [1]) == .invalidArgument)
        #expect(make(dayRoot: []) == .invalidArgument)
        #expect(make(dayFirst: 120) == .invalidArgument)  // empty day whose root is not SHA-256("")
        #expect(make(treeSize: 0, dayFirst: 0) == .invalidArgument)  // empty tree whose root is not SHA-256("")
    }
}

/// Line edits for the strict-parsing tables (texts that end in a newline).
enum LineEdit {
    static func lines(_ text: String) -> [Substring] {
        Array(text.split(separator: "\n", omittingEmptySubsequences: false).dropLast())
    }

    static func join(_ lines: [Substring]) -> String {
        lines.joined(separator: "\n") + "\n"
    }

    static func swap(_ text: String, _ a: Int, _ b: Int) -> String {
        var all = lines(text)
        all.swapAt(a, b)
        return join(all)
    }

    static func drop(_ text: String, _ index: Int) -> String {
        var all = lines(text)
        all.remove(at: index)
        return join(all)
    }

    static func replace(_ text: String, _ index: Int, _ line: String) -> String {
        var all = lines(text)
        all[index] = line[...]
        return join(all)
    }
}
