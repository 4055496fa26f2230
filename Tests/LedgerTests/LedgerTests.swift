import Foundation
import Journal
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

@Suite struct SequencingTests {
    @Test func contiguousSeqsAndAgreeingIndexesUnder64ConcurrentWriters() async throws {
        let folder = try makeChain()
        let clock = ManualClock(ms("2026-11-20T10:00:00Z"))
        let acked = try await appendConcurrently(folder: folder, clock: clock)
        #expect(acked.map(\.seq).sorted() == Array(0..<1280))
        #expect(acked.allSatisfy { $0.treeSize > $0.seq })

        let reopened = try Ledger.open(folder: folder, clock: clock)
        #expect(reopened.head.treeSize == 1280)
        try checkChainInvariants(reopened)
        // The owner index lists exactly the entries that name the owner, newest first.
        let entries = try reopened.entries(from: 0, count: 1280).map { try Entry(parsing: $0) }
        for owner in 0..<8 {
            let expected = entries.filter { $0.owner == "owner-\(owner)" }.map { UInt64($0.seq) }
            #expect(try reopened.seqs(owner: "owner-\(owner)", limit: 10_000) == expected.reversed())
            #expect(try reopened.seqs(owner: "owner-\(owner)", before: expected[3], limit: 2) == [expected[2], expected[1]])
        }
    }

    /// A batch append (the HSM's N signatures of one call) is N consecutive entries in the
    /// order given, under one checkpoint, with its records, however many other appends run; a
    /// commit holds at most `maxBatch` entries, unless it is one call's larger batch, whole.
    @Test func batchAppendsAreContiguousAndInOrderBesideConcurrentWriters() async throws {
        let folder = try makeChain()
        let clock = ManualClock(ms("2026-11-20T10:00:00Z"))
        let ledger = try Ledger.open(folder: folder, clock: clock, maxBatch: 64)
        ledger.start()
        defer { ledger.shutdown() }
        // Singles from half the writers, batches of 4 to 60 from the others, and one of 100.
        let sizes = (0..<17).map { $0 == 16 ? 100 : $0 % 2 == 0 ? 1 : $0 * 4 }
        let results = try await withThrowingTaskGroup(of: (writer: Int, appended: [Appended]).self) { group in
            for writer in 0..<17 {
                group.addTask {
                    if sizes[writer] == 1 {
                        var out: [Appended] = []
                        for i in 0..<10 { out.append(try await ledger.append(record(owner: "single-\(writer)-\(i)"))) }
                        return (writer, out)
                    }
                    let events = try (0..<sizes[writer]).map { try record(.keyUse, owner: "batch-\(writer)", key: "k-\($0)") }
                    return (writer, try await ledger.append(events, records: [.put("test/batch-\(writer)", [UInt8(writer)])]))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = results.flatMap(\.appended)
        #expect(all.map(\.seq).sorted() == Array(0..<UInt64(8 * 10 + 4 * 64 + 100)))
        for (writer, appended) in results where sizes[writer] > 1 {
            let first = try #require(appended.first)
            #expect(appended.count == sizes[writer])
            #expect(appended.map(\.seq) == Array(first.seq..<first.seq + UInt64(appended.count)), "one batch is contiguous")
            #expect(Set(appended.map(\.treeSize)).count == 1, "one batch, one checkpoint")
            let entries = try ledger.entries(from: first.seq, count: appended.count).map { try Entry(parsing: $0) }
            #expect(entries.allSatisfy { $0.owner == "batch-\(writer)" })
            #expect(entries.map { $0.record[field: "key"] } == (0..<appended.count).map { FieldValue.string("k-\($0)") })
            #expect(try ledger.record("test/batch-\(writer)") == [UInt8(writer)])
        }
        // Each commit (one checkpoint size) holds at most 64 entries, or is the 100 alone.
        let commits = Dictionary(grouping: all, by: \.treeSize)
        #expect(commits.count > 8)
        for (size, entries) in commits where entries.count > 64 {
            #expect(entries.count == 100 && entries.map(\.seq).max() == size - 1, "only the oversized batch, whole")
        }
        try checkChainInvariants(ledger)
    }

    @Test func batchAppendRefusesNothingAndTakesABigBatchWhole() async throws {
        let folder = try makeChain()
        let ledger = try Ledger.open(folder: folder, clock: ManualClock(ms("2026-11-20T10:00:00Z")), maxBatch: 8)
        ledger.start()
        defer { ledger.shutdown() }
        await #expect { _ = try await ledger.append([], records: []) } throws: { ($0 as? LedgerError)?.code == .invalidEvent }
        #expect(ledger.head.treeSize == 0)
        let big = try await ledger.append(try (0..<20).map { _ in try record() }, records: [])
        #expect(big.map(\.seq) == Array(0..<20) && big.allSatisfy { $0.treeSize == 20 })
    }

    /// 64 writers, 20 appends each; the ledger is shut down and released before this returns.
    func appendConcurrently(folder: DataFolder, clock: ManualClock) async throws -> [Appended] {
        let ledger = try Ledger.open(folder: folder, clock: clock)
        ledger.start()
        defer { ledger.shutdown() }
        return try await withThrowingTaskGroup(of: [Appended].self) { group in
            for writer in 0..<64 {
                group.addTask {
                    var out: [Appended] = []
                    for i in 0..<20 {
                        out.append(try await ledger.append(record(.keyUse, owner: "owner-\(writer % 8)", key: "key-\(writer)-\(i % 3)")))
                    }
                    return out
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    @Test func timeNeverDecreasesWhenTheClockStepsBack() async throws {
        let folder = try makeChain()
        let clock = ManualClock(ms("2026-11-20T10:00:00.500Z"))
        let ledger = try Ledger.open(folder: folder, clock: clock)
        ledger.start()
        defer { ledger.shutdown() }
        let first = try await ledger.append(record())
        clock.advance(-60_000)
        let second = try await ledger.append(record())
        clock.advance(120_000)
        let third = try await ledger.append(record())
        #expect(first.time.millisecondsSinceEpoch == ms("2026-11-20T10:00:00.500Z"))
        #expect(second.time == first.time)
        #expect(third.time.millisecondsSinceEpoch == ms("2026-11-20T10:01:00.500Z"))
    }

    @Test func badInputIsRefusedAndNothingIsWritten() async throws {
        let folder = try makeChain()
        let ledger = try Ledger.open(folder: folder, clock: ManualClock(ms("2026-11-20T10:00:00Z")))
        #expect(throws: LedgerFormatsError.self) { try EventName(validating: "key.steal") }
        #expect(throws: LedgerFormatsError.self) { try EventRecord(event: .authOK, owner: "") }
        #expect(throws: LedgerFormatsError.self) { try EventRecord(event: .keyCreate, owner: "o") }
        #expect(throws: LedgerFormatsError.self) {
            try EventRecord(event: .authOK, owner: "o", fields: ["note": .string(String(repeating: "x", count: 70_000))])
        }
        #expect(ledger.head.treeSize == 0)
        #expect(try ledger.entries(from: 0, count: 10).isEmpty)
    }

    @Test func refusesToStartOnMismatchedOrMissingParts() throws {
        let a = try makeChain(origin: "a.tamga.local/log")
        let b = try makeChain(origin: "b.tamga.local/log")
        // Another chain's store.
        try FileManager.default.removeItem(atPath: a.store)
        try FileManager.default.copyItem(atPath: b.store, toPath: a.store)
        #expect { try Ledger.open(folder: a) } throws: { ($0 as? LedgerError)?.code == .mismatch }
        // Another node's master key: the log key does not open.
        try FileManager.default.removeItem(atPath: b.masterKey)
        try FileManager.default.copyItem(atPath: a.masterKey, toPath: b.masterKey)
        #expect { try Ledger.open(folder: b) } throws: { ($0 as? LedgerError)?.code == .secrets }
        // A master key others can read.
        let c = try makeChain()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: c.masterKey)
        #expect { try Ledger.open(folder: c) } throws: { "\($0)".contains("chmod 600") }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: c.masterKey)
        // The same store twice (a second node on the folder).
        let open = try Ledger.open(folder: c)
        #expect { try Ledger.open(folder: c) } throws: { ($0 as? JournalError)?.code == .locked }
        _ = open
        // No chain at all, and a second init over one.
        #expect { try Ledger.open(folder: DataFolder(try temporaryFolder())) } throws: { "\($0)".contains("tamga init") }
        #expect(throws: LedgerError.self) {
            try Ledger.create(folder: c, origin: "c", timeZone: "Asia/Almaty", startDate: LocalDate(parsing: "2026-11-20"))
        }
    }

    @Test func receiptsVerifyAgainstTheSignedCheckpoint() async throws {
        let folder = try makeChain()
        let ledger = try Ledger.open(folder: folder, clock: ManualClock(ms("2026-11-20T10:00:00Z")))
        ledger.start()
        defer { ledger.shutdown() }
        for i in 0..<37 { _ = try await ledger.append(record(owner: "o\(i)")) }
        for seq: UInt64 in [0, 1, 17, 36] {
            let receipt = try Receipt(parsing: Array(ledger.receipt(seq: seq).formatted.utf8))
            try receipt.verify(using: ledger.verifier) { receipt, checkpoint in
                guard let root = Hash(checkpoint.rootHash) else { return false }
                try MerkleTree.verifyInclusion(
                    index: receipt.index, size: checkpoint.size, leafHash: MerkleTree.leafHash(receipt.entry),
                    proof: receipt.proof.compactMap { Hash($0) }, root: root)
                return true
            }
        }
        #expect { try ledger.receipt(seq: 37) } throws: { ($0 as? LedgerError)?.code == .notFound }
    }
}
