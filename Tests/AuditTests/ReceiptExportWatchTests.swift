import Audit
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

@Suite struct ReceiptAuditTests {
    func audit(_ receipt: [UInt8], _ fixture: ChainFixture, source: String? = nil) async throws -> ReceiptReport {
        try await ReceiptAudit(receipt: receipt, genesis: fixture.genesis, source: source.map { DirectorySource(path: $0) }).run()
    }

    func failure(_ receipt: [UInt8], _ fixture: ChainFixture, source: String? = nil) async throws -> AuditError {
        do {
            let report = try await audit(receipt, fixture, source: source)
            Issue.record("expected the receipt to fail, it verified: \(report)")
            throw CancellationError()
        } catch let error as AuditError {
            return error
        }
    }

    @Test func offlineReceiptVerifies() async throws {
        let fixture = try await ChainFixture.shared()
        let report = try await audit(fixture.earlyReceipt, fixture)
        #expect(report.index == fixture.blocks[1].dayFirst)
        #expect(report.boundTo == nil)
        #expect(report.leafHash == MerkleTree.leafHash(fixture.entries[Int(report.index)]).base64)
        #expect(report.checkpointSize < fixture.blocks[1].treeSize, "taken while day 1 was open")
    }

    @Test func receiptsAreBoundToTheBlockOfTheirDay() async throws {
        let fixture = try await ChainFixture.shared()
        // Checkpoint older than the block, and newer than it: both directions of the proof.
        let early = try await audit(fixture.earlyReceipt, fixture, source: fixture.export)
        #expect(early.boundTo == "block 1")
        let late = try await audit(fixture.lateReceipt, fixture, source: fixture.export)
        #expect(late.boundTo == "block 1")
        #expect(late.checkpointSize > fixture.blocks[1].treeSize)
    }

    @Test func receiptOfTheOpenDayIsBoundToTheLatestCheckpoint() async throws {
        let fixture = try await ChainFixture.shared()
        let report = try await audit(fixture.openReceipt, fixture, source: fixture.export)
        #expect(report.boundTo?.hasPrefix("latest checkpoint") == true)
        #expect(report.index == UInt64(fixture.entries.count - 3))
    }

    @Test func alteredEntryFailsInclusion() async throws {
        let fixture = try await ChainFixture.shared()
        var bytes = fixture.earlyReceipt
        let extra = try offset(ofLine: "extra ", in: bytes) + 6 + 40
        bytes[extra] = bytes[extra] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let error = try await failure(bytes, fixture)
        #expect(error.subject == "receipt")
        #expect(error.field == "inclusion")
    }

    @Test func receiptSignedByAnotherKeyFails() async throws {
        let fixture = try await ChainFixture.shared()
        var bytes = fixture.earlyReceipt
        let signature = try offset(ofLine: "\u{2014} ", in: bytes) + "\u{2014} \(fixture.genesis.origin) ".utf8.count + 12
        bytes[signature] = bytes[signature] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let error = try await failure(bytes, fixture)
        #expect(error.subject == "receipt checkpoint")
        #expect(error.field == "signature")
    }

    @Test func malformedReceiptIsAFailure() async throws {
        let fixture = try await ChainFixture.shared()
        let error = try await failure(Array("c2sp.org/tlog-proof@v1\nindex 3\n".utf8), fixture)
        #expect(error.subject == "receipt")
        #expect(error.field == "format")
    }

    /// The log shows the owner a forked tree (signed by its real key) in which the owner's entry
    /// is included: offline the receipt is fine; against the public chain it is a split view.
    @Test func receiptFromAForkedTreeIsASplitView() async throws {
        let fixture = try await ChainFixture.shared()
        var leaves = fixture.leafHashes
        leaves[300] = MerkleTree.leafHash(Array("forked".utf8))
        let stored = try MerkleTree.storedHashes(n: 0, leafHashes: leaves, reader: [Hash]()).hashes
        let size = UInt64(leaves.count)
        let index = fixture.blocks[1].dayFirst
        let checkpoint = try Checkpoint(
            origin: fixture.genesis.origin, size: size, rootHash: MerkleTree.treeHash(size: size, reader: stored).bytes)
        let receipt = try Receipt(
            entry: fixture.entries[Int(index)], index: index,
            proof: MerkleTree.inclusionProof(index: index, size: size, reader: stored).map(\.bytes),
            note: checkpoint.signed(by: fixture.logKey()))
        let bytes = Array(receipt.formatted.utf8)

        let offline = try await audit(bytes, fixture)
        #expect(offline.index == index)
        let error = try await failure(bytes, fixture, source: fixture.export)
        #expect(error.subject == "block 1")
        #expect(error.field == "consistency")
        #expect(error.message.contains("split view"))
    }
}

@Suite struct ExportAuditTests {
    func journal(_ lines: [[UInt8]]) throws -> URL {
        let url = URL(fileURLWithPath: try temporaryFolder("journal") + "/journal.jsonl")
        try Data(lines.flatMap { $0 + [0x0A] }).write(to: url)
        return url
    }

    func audit(_ lines: [[UInt8]], _ fixture: ChainFixture, export: String? = nil) async throws -> ExportReport {
        try await ExportAudit(journal: journal(lines), source: DirectorySource(path: export ?? fixture.export), genesis: fixture.genesis).run()
    }

    func failure(_ lines: [[UInt8]], _ fixture: ChainFixture, export: String? = nil) async throws -> AuditError {
        do {
            let report = try await audit(lines, fixture, export: export)
            Issue.record("expected the export to fail, it verified: \(report)")
            throw CancellationError()
        } catch let error as AuditError {
            return error
        }
    }

    @Test func untouchedExportVerifies() async throws {
        let fixture = try await ChainFixture.shared()
        let report = try await audit(fixture.entries, fixture)
        #expect(report.entries == UInt64(fixture.entries.count))
        #expect(report.logSize == UInt64(fixture.entries.count))
        #expect(report.daysChecked == 5)
        #expect(report.warnings == [])
    }

    /// A "journal" of one endless line is refused once the line is longer than any entry,
    /// without reading the rest of the file into memory.
    @Test func anEndlessLineIsRefused() async throws {
        let fixture = try await ChainFixture.shared()
        let error = try await failure([Array(repeating: UInt8(ascii: "x"), count: 3 << 20)], fixture)
        #expect(error.code == .invalidInput && error.message.contains("longer than"), "\(error)")
    }

    @Test func deletedEntryIsNamed() async throws {
        let fixture = try await ChainFixture.shared()
        var lines = fixture.entries
        lines.remove(at: 10)
        let error = try await failure(lines, fixture)
        #expect(error.subject == "entry 10 (line 11)")
        #expect(error.field == "seq")
        #expect(error.expected == "10" && error.found == "11")
    }

    @Test func reorderedEntriesAreNamed() async throws {
        let fixture = try await ChainFixture.shared()
        var lines = fixture.entries
        lines.swapAt(20, 21)
        let error = try await failure(lines, fixture)
        #expect(error.subject == "entry 20 (line 21)")
        #expect(error.field == "seq")
        #expect(error.expected == "20" && error.found == "21")
    }

    @Test func insertedEntryIsNamed() async throws {
        let fixture = try await ChainFixture.shared()
        let original = try Entry(parsing: fixture.entries[30])
        let forged = try Entry(
            EventRecord(event: .keyDestroy, owner: original.owner, fields: ["key": "k-forged"]), seq: 30, time: original.time)
        var lines = fixture.entries
        lines.insert(forged.canonicalBytes, at: 30)
        let error = try await failure(lines, fixture)
        #expect(error.subject == "entry 30 (line 31)")
        #expect(error.field == "leaf hash")
        #expect(error.expected == MerkleTree.leafHash(fixture.entries[30]).base64)
        #expect(error.found == MerkleTree.leafHash(forged.canonicalBytes).base64)
    }

    @Test func alteredEntryIsNamed() async throws {
        let fixture = try await ChainFixture.shared()
        let original = try Entry(parsing: fixture.entries[45])
        let altered = try Entry(
            EventRecord(event: original.event, owner: "someone-else", fields: original.record.fields), seq: 45,
            time: original.time, salt: original.salt)
        var lines = fixture.entries
        lines[45] = altered.canonicalBytes
        let error = try await failure(lines, fixture)
        #expect(error.subject == "entry 45 (line 46)")
        #expect(error.field == "leaf hash")
    }

    @Test func nonCanonicalEntryIsNamed() async throws {
        let fixture = try await ChainFixture.shared()
        var lines = fixture.entries
        lines[12] = Array(String(decoding: lines[12], as: UTF8.self).replacingOccurrences(of: ",\"seq\"", with: ", \"seq\"").utf8)
        let error = try await failure(lines, fixture)
        #expect(error.subject == "entry 12 (line 13)")
        #expect(error.field == "format")
    }

    @Test func shortExportChecksWhatItHasAndSaysSo() async throws {
        let fixture = try await ChainFixture.shared()
        let report = try await audit(Array(fixture.entries.prefix(200)), fixture)
        #expect(report.entries == 200)
        #expect(report.daysChecked == 3, "blocks 0, 1 and the empty 2 end at or before entry 200")
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.message.contains("200 ..< \(fixture.entries.count)") == true)
    }

    @Test func entryBeyondThePublishedLogIsNamed() async throws {
        let fixture = try await ChainFixture.shared()
        let last = try Entry(parsing: try #require(fixture.entries.last))
        let extra = try Entry(
            EventRecord(event: .authOK, owner: "x"), seq: Int64(fixture.entries.count), time: last.time)
        let error = try await failure(fixture.entries + [extra.canonicalBytes], fixture)
        #expect(error.subject == "entry \(fixture.entries.count) (line \(fixture.entries.count + 1))")
        #expect(error.field == "existence")
    }

    /// A log that put an entry in the wrong day (its time is before its block's day) and signed
    /// everything consistently: only the entries show it.
    @Test func entryOutsideItsDayIsNamed() async throws {
        let fixture = try await ChainFixture.shared()
        var entries = fixture.entries
        let index = Int(fixture.blocks[3].dayFirst)
        let moved = try Entry(parsing: entries[index])
        let earlier = try Timestamp(millisecondsSinceEpoch: (fixture.blocks[3].start - 60) * 1000)
        entries[index] = try Entry(moved.record, seq: moved.seq, time: earlier, salt: moved.salt).canonicalBytes
        let dir = try temporaryFolder("misplaced") + "/export"
        try writeRebuiltExport(
            leaves: entries.map { MerkleTree.leafHash($0) }, daySizes: fixture.blocks.map(\.treeSize), template: fixture.blocks,
            genesis: fixture.genesis, key: fixture.logKey(), to: dir)
        let error = try await failure(entries, fixture, export: dir)
        #expect(error.subject == "entry \(index) (line \(index + 1))")
        #expect(error.field == "time")
        #expect(error.found == earlier.rfc3339Milliseconds)
    }
}

@Suite struct CheckpointWatchTests {
    @Test func followsAGrowingLogAndCatchesSplitViewsAndRollbacks() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let early = try read(fixture.earlyExport, "checkpoint")
        let final = try read(fixture.export, "checkpoint")
        var watch = try CheckpointWatch(source: DirectorySource(path: dir), genesis: fixture.genesis)

        try write(early, to: dir, "checkpoint")
        #expect(try await watch.poll().change == .first)
        #expect(try await watch.poll().change == .unchanged)
        try write(final, to: dir, "checkpoint")
        let grew = try await watch.poll()
        #expect(grew.change == .grew)
        #expect(grew.previousSize == fixture.blocks[1].treeSize)
        #expect(grew.size == UInt64(fixture.entries.count))

        // Same size, another root, signed by the real key.
        var leaves = fixture.leafHashes
        leaves[0] = MerkleTree.leafHash([0])
        let fork = try Checkpoint(
            origin: fixture.genesis.origin, size: UInt64(leaves.count), rootHash: MerkleTree.rootHash(leafHashes: leaves).bytes)
        try write(Array(try fork.signed(by: fixture.logKey()).formatted.utf8), to: dir, "checkpoint")
        do {
            _ = try await watch.poll()
            Issue.record("a forked checkpoint was accepted")
        } catch {
            #expect(error.field == "root hash")
            #expect(error.message.contains("SPLIT VIEW"))
        }

        try write(early, to: dir, "checkpoint")
        do {
            _ = try await watch.poll()
            Issue.record("a rollback was accepted")
        } catch {
            #expect(error.field == "treeSize")
            #expect(error.message.contains("ROLLBACK"))
        }
    }

    /// A larger tree that does not extend the one seen: the consistency proof (from the tiles,
    /// which still show the real log) fails.
    @Test func largerTreeThatDoesNotExtendIsASplitView() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        var leaves = Array(fixture.leafHashes.prefix(Int(fixture.blocks[1].treeSize)))
        leaves[3] = MerkleTree.leafHash([3])
        let fork = try Checkpoint(
            origin: fixture.genesis.origin, size: UInt64(leaves.count), rootHash: MerkleTree.rootHash(leafHashes: leaves).bytes)
        try write(Array(try fork.signed(by: fixture.logKey()).formatted.utf8), to: dir, "checkpoint")
        var watch = try CheckpointWatch(source: DirectorySource(path: dir), genesis: fixture.genesis)
        #expect(try await watch.poll().change == .first)
        try write(try read(fixture.export, "checkpoint"), to: dir, "checkpoint")
        do {
            _ = try await watch.poll()
            Issue.record("an inconsistent checkpoint was accepted")
        } catch {
            #expect(error.field == "consistency")
        }
    }
}
