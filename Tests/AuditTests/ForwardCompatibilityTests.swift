import Audit
import Foundation
import HSMBoundary
import Ledger
import LedgerFormats
import PublicLog
import TestSupport
import Testing

/// The auditor meets entries written by a newer node: an event name it does not know is
/// reported, never a reason to reject a validly signed receipt or export.
@Suite struct ForwardCompatibilityTests {
    @Test func unknownEventsVerifyAndAreReported() async throws {
        let folder = try makeChain()
        let root = URL(fileURLWithPath: folder.path).deletingLastPathComponent().path
        let clock = ManualClock(startTime)
        let ledger = try Ledger.open(folder: folder, clock: clock)
        ledger.start()
        let future = try #require(EventName(rawValue: "witness.cosign"))
        _ = try await ledger.append(EventRecord(.authOK(key: "k", purpose: "sign", factors: "password"), owner: "900101300123"))
        let appended = try await ledger.append(
            EventRecord(event: future, owner: "ca-operator", fields: ["witness": "kz-gov", "size": 2]))
        _ = try await ledger.append(EventRecord(event: future, owner: "ca-operator", fields: ["witness": "kz-nsc"]))
        let receipt = Array(try ledger.receipt(seq: appended.seq).formatted.utf8)
        let entries = try ledger.entries(from: 0, count: 3)
        try writeExport(ledger, to: root + "/export")
        ledger.shutdown()

        for source in [nil, root + "/export"] {
            let report = try await ReceiptAudit(
                receipt: receipt, genesis: ledger.genesis, source: source.map { DirectorySource(path: $0) }
            ).run()
            #expect(report.event == "witness.cosign" && report.index == 1)
            #expect(report.warnings.map(\.subject) == ["entry 1"])
            #expect(report.warnings.first?.message.contains("\"witness.cosign\" is not one this tamga-audit knows") == true)
        }

        let journal = URL(fileURLWithPath: root + "/journal.jsonl")
        try Data(entries.map { $0 + [0x0A] }.joined()).write(to: journal)
        let export = try await ExportAudit(
            journal: journal, source: DirectorySource(path: root + "/export"), genesis: ledger.genesis
        ).run()
        #expect(export.entries == 3)
        #expect(export.warnings.map(\.subject) == ["entry 1"], "one warning per unknown name, at its first entry")
    }
}
