import Foundation
import Journal
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

/// Days close at Asia/Almaty midnights (UTC+5 since 2024-03-01): 2026-11-20 runs from
/// 2026-11-19T19:00:00Z to 2026-11-20T19:00:00Z.
@Suite struct DailyChainTests {
    @Test func eventsAtTheLastAndFirstMillisecondLandInTheRightDays() async throws {
        let folder = try makeChain(startDate: "2026-11-20")
        let clock = ManualClock(ms("2026-11-20T18:59:59.999Z"))  // 23:59:59.999 local
        let ledger = try Ledger.open(folder: folder, clock: clock)
        ledger.start()
        defer { ledger.shutdown() }
        let late = try await ledger.append(record())
        clock.set(ms("2026-11-20T19:00:00.000Z"))  // 00:00:00.000 local, next day
        let early = try await ledger.append(record())
        #expect(ledger.head.blockCount == 1)
        let block = try Block(note: SignedNote(parsing: try #require(try ledger.blockNote(0))), verifier: ledger.verifier)
        #expect(block.date == "2026-11-20")
        #expect(block.start == ms("2026-11-19T19:00:00Z") / 1000)
        #expect(block.end == ms("2026-11-20T19:00:00Z") / 1000)
        #expect(block.dayFirst == 0 && block.treeSize == 1, "the 23:59:59.999 event closes day 0")
        #expect(late.seq == 0 && early.seq == 1)
        #expect(early.time.millisecondsSinceEpoch == ms("2026-11-20T19:00:00.000Z"))
        try checkChainInvariants(ledger)
    }

    @Test func aClockSteppingBackAcrossMidnightNeverReopensASealedDay() async throws {
        let folder = try makeChain(startDate: "2026-11-20")
        let clock = ManualClock(ms("2026-11-20T19:00:00.100Z"))
        let ledger = try Ledger.open(folder: folder, clock: clock)
        ledger.start()
        defer { ledger.shutdown() }
        try await ledger.sealDueDays()
        #expect(ledger.head.blockCount == 1)
        clock.set(ms("2026-11-20T18:59:00Z"))  // a minute before the midnight just sealed
        let appended = try await ledger.append(record())
        #expect(appended.time.millisecondsSinceEpoch == ms("2026-11-20T19:00:00Z"), "clamped to the open day's start")
        clock.set(ms("2026-11-21T19:00:00Z"))
        try await ledger.sealDueDays()
        try checkChainInvariants(ledger)
        let block1 = try Block(note: SignedNote(parsing: try #require(try ledger.blockNote(1))), verifier: ledger.verifier)
        #expect(block1.dayFirst == 0 && block1.dayCount == 1)
    }

    @Test func tenDaysOfDowntimeAreSealedInOrderBeforeNewEvents() async throws {
        let folder = try makeChain(startDate: "2026-11-01")
        let clock = ManualClock(ms("2026-11-01T05:00:00Z"))
        do {
            let ledger = try Ledger.open(folder: folder, clock: clock)
            ledger.start()
            for i in 0..<5 { _ = try await ledger.append(record(owner: "before-\(i)")) }
            ledger.shutdown()
        }
        // Down from Nov 1 to Nov 11, 10:00 local: days Nov 1 ... Nov 10 are due.
        clock.set(ms("2026-11-11T05:00:00Z"))
        let ledger = try Ledger.open(folder: folder, clock: clock)
        #expect(ledger.head.blockCount == 0)
        ledger.start()
        defer { ledger.shutdown() }
        let after = try await ledger.append(record(owner: "after"))
        #expect(ledger.head.blockCount == 10)
        #expect(after.seq == 5)
        try checkChainInvariants(ledger)
        var dates: [String] = []
        for h in 0..<UInt64(10) {
            let block = try Block(note: SignedNote(parsing: try #require(try ledger.blockNote(h))), verifier: ledger.verifier)
            dates.append(block.date)
            #expect(block.dayCount == (h == 0 ? 5 : 0), "day \(h): only the first day has events")
            if h > 0 { #expect(block.dayRoot == MerkleTree.emptyRoot.bytes, "an empty day's root is SHA-256(\"\")") }
        }
        #expect(dates == (1...10).map { String(format: "2026-11-%02d", $0) })
        // Sealing again is a no-op: each day has exactly one block.
        try await ledger.sealDueDays()
        #expect(ledger.head.blockCount == 10)
    }

    @Test func chainVerifyCatchesATamperedEntry() async throws {
        let folder = try makeChain(startDate: "2026-11-20")
        let clock = ManualClock(ms("2026-11-20T10:00:00Z"))
        do {
            let ledger = try Ledger.open(folder: folder, clock: clock)
            ledger.start()
            for _ in 0..<3 { _ = try await ledger.append(record()) }
            ledger.shutdown()
            #expect(try ledger.verifyChain().isValid)
        }
        // Rewrite entry 1's owner directly in LevelDB, as an insider with file access might.
        do {
            let store = try JournalStore.open(at: folder.store)
            let original = try #require(try store.entry(1))
            let forged = Array(
                String(decoding: original, as: UTF8.self).replacingOccurrences(of: "900101300123", with: "900101300999").utf8)
            let batch = JournalBatch()
            batch.putEntry(seq: 1, bytes: forged, leafHash: MerkleTree.leafHash(forged).bytes, owner: "900101300999")
            try store.commit(batch)
        }
        let report = try Ledger.open(folder: folder, clock: clock).verifyChain()
        #expect(report.problems == ["entry 1: leaf hash differs from the stored tree"])
    }
}
