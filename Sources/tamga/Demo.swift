import Codecs
import ArgumentParser
import Crypto
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import Sodium

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the ledger at work on a development chain (created on first use).",
        discussion: """
            Creates a dev chain in the data folder if there is none (origin dev.tamga.local/log, \
            starting three days ago so that past days are sealed as blocks), logs a key's life \
            (consent, create, three signatures, destroy), prints the entries, one receipt and the \
            latest block, and verifies the whole store. Safe to run again: each run adds events. \
            Refuses a chain that is not a development chain: these events are made up.
            """
    )

    @OptionGroup var data: DataOption

    func run() async throws {
        let folder = data.folder
        if !FileManager.default.fileExists(atPath: folder.genesis) {
            let created = try createDevChain(folder)
            print("created a dev chain in \(folder.path) (verifier key \(created.verifierKey))")
        }
        let ledger = try Ledger.open(folder: folder)
        guard try ledger.isDevelopmentChain else {
            throw ValidationError("\(folder.path) holds a real chain (made by tamga init): tamga demo writes made-up key events, so it runs only on a development chain; give another --data")
        }
        ledger.start()
        defer { ledger.shutdown() }

        let owner = "dev-owner-\(Int.random(in: 1000...9999))"
        let key = hex(Sodium.randomBytes(16))
        var events: [JournalEvent] = [
            .consent(terms: Array(SHA256.hash(data: Array("personal data and cloud key terms, dev".utf8)))),
            .keyCreate(key: key, algorithm: "Ed25519", fingerprint: hex(Sodium.randomBytes(32))),
        ]
        for document in ["contract.pdf", "invoice.xml", "letter.txt"] {
            events.append(.keyUse(key: key, document: Array(SHA256.hash(data: Array(document.utf8))), algorithm: "Ed25519"))
        }
        events.append(.keyDestroy(key: key))
        let records = try events.map { try EventRecord($0, owner: owner) }

        var appended: [Appended] = []
        for record in records { appended.append(try await ledger.append(record)) }
        let head = ledger.head
        print("\nappended \(appended.count) events; the log now has \(head.treeSize) entries and \(head.blockCount) sealed blocks")
        for bytes in try ledger.entries(from: appended[0].seq, count: appended.count) {
            print("  " + String(decoding: bytes, as: UTF8.self))
        }
        print("\nlatest checkpoint:\n" + head.checkpoint.formatted)
        if head.blockCount > 0, let block = try ledger.blockNote(head.blockCount - 1) {
            print("latest block:\n" + String(decoding: block, as: UTF8.self))
        }
        print("receipt of seq \(appended[2].seq) (tamga receipt \(appended[2].seq) --data \(folder.path)):\n" + (try ledger.receipt(seq: appended[2].seq).formatted))
        let report = try ledger.verifyChain()
        print("chain verify: \(report.isValid ? "OK" : "FAILED") (\(report.blocks) blocks, \(report.entries) entries)")
        for problem in report.problems { print("  FAIL \(problem)") }
        if !report.isValid { throw ExitCode(1) }
    }
}

/// A development chain starting three days ago (Asia/Almaty), so that past days are sealed as
/// blocks on first start. It is marked as such in its store: only there do `tamga demo` and
/// `journal append` write key events.
func createDevChain(_ folder: DataFolder) throws -> Ledger.Created {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = try TimeZone(identifier: "Asia/Almaty").orThrow(ValidationError("no tz database"))
    let then = calendar.dateComponents([.year, .month, .day], from: Date().addingTimeInterval(-3 * 86400))
    let start = try LocalDate(year: then.year ?? 1970, month: then.month ?? 1, day: then.day ?? 1)
    return try Ledger.create(
        folder: folder, origin: "dev.tamga.local/log", timeZone: "Asia/Almaty", startDate: start, development: true)
}
