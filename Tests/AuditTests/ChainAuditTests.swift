import Audit
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import Sodium
import TestSupport
import Synchronization
import Testing

/// The chain audit against the static export of a real node's chain, untouched and tampered
/// with in every way a dishonest or broken log could: each is caught, with the right subject
/// and field.
@Suite struct ChainAuditTests {
    @Test func untouchedChainVerifies() async throws {
        let fixture = try await ChainFixture.shared()
        let report = try await ChainAudit(source: DirectorySource(path: fixture.export), genesis: fixture.genesis).run()
        #expect(report.blocks == 5)
        #expect(report.firstVerifiedHeight == 0)
        #expect(report.checkpointSize == UInt64(fixture.entries.count))
        #expect(report.leavesChecked == UInt64(fixture.entries.count))
        #expect(report.blockTreeSize == fixture.blocks[4].treeSize)
        #expect(report.latestDate == fixture.blocks[4].date)
        #expect(report.warnings == [])
        #expect(report.genesisHash == fixture.genesis.hash.map { String(format: "%02x", $0) }.joined())
        #expect(report.state?.height == 4)
        #expect(report.state?.blockHash == Hash(fixture.blocks[4].hash)?.base64)
    }

    @Test func alteredBlockTextFailsItsSignature() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let note = try read(dir, "blocks/2")
        // The third line is the root hash: change one of its characters.
        try alter(dir, "blocks/2", at: try offset(ofLine: "\(fixture.blocks[2].treeSize)\n", in: note) + "\(fixture.blocks[2].treeSize)\n".utf8.count + 5)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.code == .verificationFailed)
        #expect(error.subject == "block 2")
        #expect(error.field == "signature")
    }

    @Test func alteredBlockSignatureFails() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let note = try read(dir, "blocks/1")
        try alter(dir, "blocks/1", at: try offset(ofLine: "\u{2014} ", in: note) + "\u{2014} \(fixture.genesis.origin) ".utf8.count + 20)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "block 1")
        #expect(error.field == "signature")
    }

    @Test func alteredLeafTileFailsTheDayRootOfItsBlock() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        // A leaf of day 1 (entries 80..<160), in the full tile 0.
        let leaf = Int(fixture.blocks[1].dayFirst) + 7
        try alter(dir, "tile/0/000", at: leaf * 32 + 3)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "block 1")
        #expect(error.field == "day root")
        #expect(error.found == Hash(fixture.blocks[1].dayRoot)?.base64, "found: what the block signed")
        #expect(error.expected != error.found)
    }

    @Test func alteredLeafOfTheOpenDayFailsTheCheckpoint() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let size = fixture.entries.count
        let tile = try Tile(level: 0, index: 1, width: size - 256)
        try alter(dir, tile.path, at: (size - 256 - 2) * 32)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "checkpoint")
        #expect(error.field == "root hash")
    }

    @Test func alteredHigherTileIsNamed() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        try alter(dir, "tile/1/000.p/1", at: 9)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "tile/1/000")
        #expect(error.field == "hash 0")
    }

    /// A leaf of day 4 that tile/1/000's entry covers: the entry no longer matches the leaves,
    /// but the leaves are the culprit, and block 4's day root says so.
    @Test func alteredLeafUnderAHigherTileBlamesTheBlock() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let leaf = Int(fixture.blocks[4].dayFirst) + 3
        #expect(leaf < 256)
        try alter(dir, "tile/0/000", at: leaf * 32)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "block 4")
        #expect(error.field == "day root")
    }

    @Test func truncatedTileIsRefused() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        try write(Array(try read(dir, "tile/0/000").dropLast()), to: dir, "tile/0/000")
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "tile/0/000")
        #expect(error.field == "length")
    }

    @Test func missingBlockIsNamed() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        try FileManager.default.removeItem(atPath: dir + "/blocks/3")
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "block 3")
        #expect(error.field == "existence")
    }

    @Test func alteredCheckpointSignatureFails() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let note = try read(dir, "checkpoint")
        try alter(dir, "checkpoint", at: try offset(ofLine: "\u{2014} ", in: note) + "\u{2014} \(fixture.genesis.origin) ".utf8.count + 30)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "checkpoint")
        #expect(error.field == "signature")
    }

    /// A second checkpoint, validly signed by the real key, same size, another root: the split
    /// view a log would show a victim. The tiles (what everyone else sees) give it away.
    @Test func forkedCheckpointIsCaught() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        var leaves = fixture.leafHashes
        leaves[leaves.count - 1] = MerkleTree.leafHash(Array("a different last entry".utf8))
        let fork = try Checkpoint(
            origin: fixture.genesis.origin, size: UInt64(leaves.count), rootHash: MerkleTree.rootHash(leafHashes: leaves).bytes)
        try write(Array(try fork.signed(by: fixture.logKey()).formatted.utf8), to: dir, "checkpoint")
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "checkpoint")
        #expect(error.field == "root hash")
        #expect(error.found == Hash(fork.rootHash)?.base64)
        #expect(error.message.contains("split-view"))
    }

    @Test func checkpointSmallerThanTheLatestBlockIsARollback() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        // Both checkpoints rolled back: a lagging /checkpoint alone is a log whose witnesses
        // are behind, verified against /latest-checkpoint (WitnessQuorumTests).
        let early = try read(fixture.earlyExport, "checkpoint")
        try write(early, to: dir, "checkpoint")
        try write(early, to: dir, "latest-checkpoint")
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "checkpoint")
        #expect(error.field == "treeSize")
        #expect(error.message.contains("rolled back"))
    }

    @Test func swappedGenesisIsCaught() async throws {
        let fixture = try await ChainFixture.shared()
        // Same key, same dates and offsets (Tashkent is UTC+5 like Almaty), another document.
        let other = try Genesis(
            origin: fixture.genesis.origin, verifierKey: fixture.genesis.verifierKey, timeZone: "Asia/Tashkent",
            startDate: fixture.genesis.startDate)
        // The source serves another genesis than the pinned one.
        let dir = try fixture.copy()
        try write(other.canonicalBytes, to: dir, "genesis")
        let served = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(served.subject == "genesis")
        #expect(served.field == "hash")
        #expect(served.expected == fixture.genesis.hash.map { String(format: "%02x", $0) }.joined())

        // Both swapped (the auditor pinned the wrong one): block 0 still names the real genesis.
        let pinnedToo = try await chainFailure(dir, genesis: other)
        #expect(pinnedToo.subject == "block 0")
        #expect(pinnedToo.field == "prev")
        #expect(pinnedToo.found == Hash(fixture.genesis.hash)?.base64)
    }

    @Test func genesisOfAnotherKeyFailsEverySignature() async throws {
        let fixture = try await ChainFixture.shared()
        let otherKey = try NoteVerifier(name: fixture.genesis.origin, publicKey: Ed25519.PrivateKey().publicKey)
        let other = try Genesis(
            origin: fixture.genesis.origin, verifierKey: otherKey.verifierKey, timeZone: fixture.genesis.timeZone,
            startDate: fixture.genesis.startDate)
        let dir = try fixture.copy()
        try write(other.canonicalBytes, to: dir, "genesis")
        let error = try await chainFailure(dir, genesis: other)
        #expect(error.field == "signature")
    }

    /// Block 2 (an empty day) dropped and the later blocks renumbered and re-signed with the
    /// real key: the chain links, but a date is missing. Every block states its date, so the
    /// first block read (/blocks/latest, now one height lower than its date) already fails.
    @Test func skippedDateIsCaught() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        var blocks = fixture.blocks
        blocks.remove(at: 2)
        try writeBlocks(blocks, genesisHash: fixture.genesis.hash, key: fixture.logKey(), to: dir)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        let last = fixture.blocks.count - 1
        #expect(error.subject == "blocks/latest")
        #expect(error.field == "date")
        #expect(error.expected == fixture.blocks[last - 1].date)
        #expect(error.found == "\(fixture.blocks[last].date) at height \(last - 1)")
    }

    /// An old block rewritten (another day root) and re-signed with the real key: the block's
    /// own day root no longer matches the leaves.
    @Test func rewrittenOldBlockIsCaught() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        var blocks = fixture.blocks
        let old = blocks[1]
        var leaves = Array(fixture.leafHashes[Int(old.dayFirst)..<Int(old.treeSize)])
        leaves.removeLast()
        blocks[1] = try Block(
            origin: old.origin, treeSize: old.treeSize, rootHash: old.rootHash, height: old.height, date: old.date,
            start: old.start, end: old.end, previousHash: old.previousHash, dayFirst: old.dayFirst,
            dayRoot: MerkleTree.rootHash(leafHashes: leaves).bytes)
        try writeBlocks(blocks, genesisHash: fixture.genesis.hash, key: fixture.logKey(), to: dir)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "block 1")
        #expect(error.field == "day root")
    }

    /// Only block 1 rewritten (its next block left as it was): the prev chain breaks.
    @Test func replacedBlockBreaksThePrevChain() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let old = fixture.blocks[1]
        let replaced = try Block(
            origin: old.origin, treeSize: old.treeSize, rootHash: old.rootHash, height: old.height, date: old.date,
            start: old.start, end: old.end, previousHash: old.previousHash, dayFirst: old.dayFirst,
            dayRoot: MerkleTree.rootHash(leafHashes: [MerkleTree.leafHash([1])]).bytes)
        try write(Array(try replaced.signed(by: fixture.logKey()).formatted.utf8), to: dir, "blocks/1")
        // Block 1's own day root is checked when its day's leaves are done: it fails first.
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "block 1")
        #expect(error.field == "day root")

        // Block 1 honest but block 2 pointing elsewhere: block 2's prev is named.
        let dir2 = try fixture.copy()
        let two = fixture.blocks[2]
        let forged = try Block(
            origin: two.origin, treeSize: two.treeSize, rootHash: two.rootHash, height: two.height, date: two.date,
            start: two.start, end: two.end, previousHash: Array(repeating: 9, count: 32), dayFirst: two.dayFirst,
            dayRoot: two.dayRoot)
        try write(Array(try forged.signed(by: fixture.logKey()).formatted.utf8), to: dir2, "blocks/2")
        let error2 = try await chainFailure(dir2, genesis: fixture.genesis)
        #expect(error2.subject == "block 2")
        #expect(error2.field == "prev")
        #expect(error2.expected == Hash(fixture.blocks[1].hash)?.base64)
    }

    /// A day range that skips entries (block 3 starts one entry late), re-signed: contiguity.
    @Test func gapBetweenDaysIsCaught() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        var blocks = fixture.blocks
        let old = blocks[3]
        let leaves = fixture.leafHashes
        blocks[3] = try Block(
            origin: old.origin, treeSize: old.treeSize, rootHash: old.rootHash, height: old.height, date: old.date,
            start: old.start, end: old.end, previousHash: old.previousHash, dayFirst: old.dayFirst + 1,
            dayRoot: MerkleTree.rootHash(leafHashes: leaves[Int(old.dayFirst + 1)..<Int(old.treeSize)]).bytes)
        try writeBlocks(blocks, genesisHash: fixture.genesis.hash, key: fixture.logKey(), to: dir)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "block 3")
        #expect(error.field == "day first index")
        #expect(error.expected == "\(old.dayFirst)")
    }

    /// Days that do not meet (block 3 starts an hour after block 2 ends), re-signed.
    @Test func daysThatDoNotMeetAreCaught() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        var blocks = fixture.blocks
        let old = blocks[3]
        blocks[3] = try Block(
            origin: old.origin, treeSize: old.treeSize, rootHash: old.rootHash, height: old.height, date: old.date,
            start: old.start + 3600, end: old.end, previousHash: old.previousHash, dayFirst: old.dayFirst, dayRoot: old.dayRoot)
        try writeBlocks(blocks, genesisHash: fixture.genesis.hash, key: fixture.logKey(), to: dir)
        let error = try await chainFailure(dir, genesis: fixture.genesis)
        #expect(error.subject == "block 3")
        #expect(error.field == "date start")
    }

    /// A node whose tz database put every midnight an hour earlier: the chain is consistent,
    /// so it verifies, but each block is reported with both versions of its day.
    @Test func timeZoneDifferenceIsAWarningNamingBoth() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let shifted = try fixture.blocks.map { old in
            try Block(
                origin: old.origin, treeSize: old.treeSize, rootHash: old.rootHash, height: old.height, date: old.date,
                start: old.start - 3600, end: old.end - 3600, previousHash: old.previousHash, dayFirst: old.dayFirst,
                dayRoot: old.dayRoot)
        }
        try writeBlocks(shifted, genesisHash: fixture.genesis.hash, key: fixture.logKey(), to: dir)
        let report = try await ChainAudit(source: DirectorySource(path: dir), genesis: fixture.genesis).run()
        #expect(report.warnings.count == 5)
        let first = try #require(report.warnings.first)
        #expect(first.subject == "block 0")
        let stated = try Timestamp(millisecondsSinceEpoch: (fixture.blocks[0].start - 3600) * 1000).rfc3339Seconds
        let local = try Timestamp(millisecondsSinceEpoch: fixture.blocks[0].start * 1000).rfc3339Seconds
        #expect(first.message.contains(stated) && first.message.contains(local), "names both: \(first.message)")
        #expect(first.message.contains("Asia/Almaty"))
    }

    /// The log rewrites its history consistently (an entry of day 1 removed, every tile, block
    /// and checkpoint recomputed and re-signed). A first-time auditor cannot tell; one who kept
    /// the state of an earlier run can.
    @Test func consistentHistoryRewriteIsCaughtOnlyWithState() async throws {
        let fixture = try await ChainFixture.shared()
        let saved = try #require(
            try await ChainAudit(source: DirectorySource(path: fixture.export), genesis: fixture.genesis).run().state)

        var leaves = fixture.leafHashes
        let removed = Int(fixture.blocks[1].dayFirst) + 5
        leaves.remove(at: removed)
        let sizes = fixture.blocks.map { $0.treeSize > UInt64(removed) ? $0.treeSize - 1 : $0.treeSize }
        let dir = try temporaryFolder("rewrite") + "/export"
        try writeRebuiltExport(
            leaves: leaves, daySizes: sizes, template: fixture.blocks, genesis: fixture.genesis, key: fixture.logKey(), to: dir)

        let fresh = try await ChainAudit(source: DirectorySource(path: dir), genesis: fixture.genesis).run()
        #expect(fresh.checkpointSize == UInt64(leaves.count), "a consistent rewrite verifies on its own")

        let error = try await chainFailure(dir, genesis: fixture.genesis, state: saved)
        #expect(error.subject == "block 4")
        #expect(error.field == "hash")
        #expect(error.expected == saved.blockHash)
        #expect(error.message.contains("rewrote its history"))
    }

    @Test func stateResumesAfterTheSavedBlock() async throws {
        let fixture = try await ChainFixture.shared()
        var audit = ChainAudit(source: DirectorySource(path: fixture.earlyExport), genesis: fixture.genesis)
        audit.now = { fixture.earlyTime }
        let early = try await audit.run()
        let state = try #require(early.state)
        #expect(state.height == 1)
        #expect(state.treeSize == fixture.blocks[1].treeSize)

        // Round trip through the file, as the CLI does.
        let path = try temporaryFolder("state") + "/audit.state"
        try state.save(path: path)
        let loaded = try #require(try AuditState.load(path: path))
        #expect(loaded == state)

        let later = try await ChainAudit(source: DirectorySource(path: fixture.export), genesis: fixture.genesis, state: loaded).run()
        #expect(later.firstVerifiedHeight == 2)
        #expect(later.resumedFromHeight == 1)
        #expect(later.leavesChecked == UInt64(fixture.entries.count) - fixture.blocks[1].treeSize)
        #expect(later.state?.height == 4)

        // Nothing new: only the tail of the open day is re-read.
        let again = try await ChainAudit(source: DirectorySource(path: fixture.export), genesis: fixture.genesis, state: later.state).run()
        #expect(again.firstVerifiedHeight == nil)
        #expect(again.leavesChecked == UInt64(fixture.entries.count) - fixture.blocks[4].treeSize)
    }

    @Test func stateFromALongerChainIsARollback() async throws {
        let fixture = try await ChainFixture.shared()
        let state = try #require(
            try await ChainAudit(source: DirectorySource(path: fixture.export), genesis: fixture.genesis).run().state)
        let error = try await chainFailure(fixture.earlyExport, genesis: fixture.genesis, state: state)
        #expect(error.subject == "chain")
        #expect(error.field == "latest block")
        #expect(error.message.contains("rolled back"))
    }

    @Test func stateOfAnotherChainIsRefusedAsInput() async throws {
        let fixture = try await ChainFixture.shared()
        let other = try Genesis(
            origin: fixture.genesis.origin, verifierKey: fixture.genesis.verifierKey, timeZone: fixture.genesis.timeZone,
            startDate: fixture.genesis.startDate.adding(days: -3))
        let dir = try temporaryFolder("other-state")
        let state = try #require(
            try await ChainAudit(source: DirectorySource(path: fixture.export), genesis: fixture.genesis).run().state)
        let path = dir + "/s"
        try state.save(path: path)
        do {
            _ = try await ChainAudit(source: DirectorySource(path: fixture.export), genesis: other, state: AuditState.load(path: path)).run()
            Issue.record("a state of another chain was accepted")
        } catch {
            #expect(error.code == .invalidInput)
        }
    }

    /// /blocks/latest must be the newest block: an older one fails, unless a second read shows
    /// the newer block (sealed during the audit), which is a warning.
    @Test func staleLatestBlockFails() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        try write(try read(dir, "blocks/3"), to: dir, "blocks/latest")
        do {
            _ = try await ChainAudit(source: DirectorySource(path: dir), genesis: fixture.genesis).run()
            Issue.record("a stale /blocks/latest was accepted")
        } catch {
            #expect(error.subject == "blocks/latest" && error.field == "height", "\(error)")
        }

        let sealedMeanwhile = SwitchingSource(dir: dir, after: "blocks/4", then: try read(dir, "blocks/4"))
        let report = try await ChainAudit(source: sealedMeanwhile, genesis: fixture.genesis).run()
        #expect(report.warnings.contains { $0.subject == "blocks/latest" && $0.message.contains("sealed during this audit") })
    }
}

/// A static export whose /blocks/latest changes to `then` once `after` has been read: a block
/// sealed while the audit runs.
final class SwitchingSource: AuditSource {
    let directory: DirectorySource
    let after: String
    let then: [UInt8]
    let switched = Mutex(false)

    init(dir: String, after: String, then: [UInt8]) {
        directory = DirectorySource(path: dir)
        self.after = after
        self.then = then
    }

    var concurrency: Int { directory.concurrency }
    var description: String { directory.description }

    func fetch(_ path: String, limit: Int) async throws(AuditError) -> [UInt8]? {
        if path == "blocks/latest", switched.withLock({ $0 }) { return then }
        let bytes = try await directory.fetch(path, limit: limit)
        if path == after { switched.withLock { $0 = true } }
        return bytes
    }
}

/// Issue 16, point 2: the CA's obligations, each broken in a copy of the export.
@Suite struct ObligationTests {
    /// Two hours into the fixture's open day 5: day 4 ended two hours ago.
    static func dayFive(_ fixture: ChainFixture) throws -> Int64 {
        let calendar = try DayCalendar(genesis: fixture.genesis)
        return try calendar.day(atHeight: 5).start.millisecondsSinceEpoch + 2 * 3_600_000
    }

    func failure(_ dir: String, _ fixture: ChainFixture, grace: Int64 = 3_600_000) async throws -> AuditError {
        var audit = ChainAudit(source: DirectorySource(path: dir), genesis: fixture.genesis)
        audit.now = { [now = try Self.dayFive(fixture)] in now }
        audit.grace = grace
        do {
            let report = try await audit.run()
            Issue.record("expected the audit to fail, it verified: \(report)")
            throw CancellationError()
        } catch let error as AuditError {
            return error
        }
    }

    @Test func anEndedDayWithoutItsBlockIsOverdue() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        try FileManager.default.removeItem(atPath: dir + "/blocks/4")
        try write(try read(dir, "blocks/3"), to: dir, "blocks/latest")
        let error = try await failure(dir, fixture)
        #expect(error.subject == "block 4" && error.field == "existence", "\(error)")
        #expect(error.expected?.contains(fixture.blocks[4].date) == true)
        // Within a grace of three hours, day 4 (ended two hours ago) is not overdue yet.
        var patient = ChainAudit(source: DirectorySource(path: dir), genesis: fixture.genesis)
        patient.now = { [now = try Self.dayFive(fixture)] in now }
        patient.grace = 3 * 3_600_000
        #expect(try await patient.run().blocks == 4)
    }

    /// `watch` raises the alarm at the first poll after the grace has passed, not before.
    @Test func watchRaisesTheOverdueAlarmWhenTheGraceHasPassed() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        try FileManager.default.removeItem(atPath: dir + "/blocks/4")
        try write(try read(dir, "blocks/3"), to: dir, "blocks/latest")
        let dayFour = try DayCalendar(genesis: fixture.genesis).day(atHeight: 4).end.millisecondsSinceEpoch
        let clock = ManualClock(dayFour + 3_599_000)
        var watch = try CheckpointWatch(source: DirectorySource(path: dir), genesis: fixture.genesis)
        watch.now = { clock.now() }
        #expect(try await watch.poll().change == .first)
        clock.advance(1_000)
        do {
            _ = try await watch.poll()
            Issue.record("an overdue day raised no alarm")
        } catch {
            #expect(error.subject == "block 4" && error.message.hasPrefix("OVERDUE"), "\(error)")
        }
    }

    @Test func noBlockAtAllWhileDaysHaveEndedFails() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        try FileManager.default.removeItem(atPath: dir + "/blocks")
        let error = try await failure(dir, fixture)
        #expect(error.subject == "block 0" && error.found == "/blocks/latest answers 404", "\(error)")
    }

    /// Days that no zone has: 30 hours long, or starting 7 minutes past a quarter hour.
    @Test(arguments: [(Int64(0), Int64(6 * 3600), "lasts"), (420, 420, "no local midnight")])
    func aDayNoZoneHasFails(startShift: Int64, endShift: Int64, reason: String) async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        var blocks = fixture.blocks
        let last = blocks.count - 1
        let shifted = { (block: Block, start: Int64, end: Int64) throws -> Block in
            try Block(
                origin: block.origin, treeSize: block.treeSize, rootHash: block.rootHash, height: block.height,
                date: block.date, start: block.start + start, end: block.end + end, previousHash: block.previousHash,
                dayFirst: block.dayFirst, dayRoot: block.dayRoot)
        }
        if startShift == 0 {
            blocks[last] = try shifted(blocks[last], 0, endShift)
        } else {
            blocks = try blocks.map { try shifted($0, startShift, endShift) }
        }
        try writeBlocks(blocks, genesisHash: fixture.genesis.hash, key: fixture.logKey(), to: dir)
        let error = try await failure(dir, fixture, grace: 86_400_000)
        #expect(error.field == "date" && error.message.contains(reason), "\(error)")
    }

    @Test(arguments: ["tile/entries/000", "tile/entries/001.p/104"])
    func publishedEntryBundlesFail(path: String) async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        try write(fixture.entries.prefix(3).flatMap { $0 }, to: dir, path)
        let error = try await failure(dir, fixture)
        #expect(error.subject == path && error.field == "existence", "\(error)")
    }

    @Test(arguments: [
        (nil, "existence"), ("{}", "format"), (#"[{"keyFingerprint":"ab","measures":"m"}]"#, "format"),
        (#"[{"keyFingerprint":"abababababababababababababababababababababababababababababababab","measures":"m","time":"2026-12-02T00:00:00.000Z"},{"keyFingerprint":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","measures":"m","time":"2026-12-01T00:00:00.000Z"}]"#, "order"),
    ] as [(String?, String)])
    func malformedCompromiseNoticesFail(body: String?, field: String) async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        if let body { try write(Array(body.utf8), to: dir, "compromises") } else { try FileManager.default.removeItem(atPath: dir + "/compromises") }
        let error = try await failure(dir, fixture)
        #expect(error.subject == "compromises" && error.field == field, "\(error)")
    }
}
