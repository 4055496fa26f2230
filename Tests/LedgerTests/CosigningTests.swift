import HSMBoundary
import Ledger
import LedgerFormats
import MerkleLog
import PublicLog
import TestSupport
import Testing

/// What the ledger keeps of witnesses' cosignatures: lines added to sealed blocks, and the
/// cosigned checkpoint `/checkpoint` serves under a witness policy.
@Suite struct CosigningTests {
    /// A chain with `count` entries on its first day, that day sealed, and a ledger on it.
    func sealedChain(_ folder: DataFolder, count: Int = 5) async throws -> Ledger {
        let clock = ManualClock(startTime)
        let ledger = try Ledger.open(folder: folder, clock: clock)
        ledger.start()
        for i in 0..<count { _ = try await ledger.append(record(owner: "o\(i)")) }
        clock.advance(86_400_000)
        try await ledger.sealDueDays()
        return ledger
    }

    @Test func blockCosignaturesAreAddedOnceAndLeaveTheBlockAsSealed() async throws {
        let folder = try makeChain()
        let after = try await cosignFirstBlock(folder)
        // Durable: a restart reads the cosigned note and recovers from it.
        let reopened = try Ledger.open(folder: folder, clock: ManualClock(startTime + 86_400_000))
        #expect(try reopened.blockNote(0) == Array(after.formatted.utf8))
        #expect(reopened.head.blockCount == 1)
        try checkChainInvariants(reopened)
    }

    func cosignFirstBlock(_ folder: DataFolder) async throws -> SignedNote {
        let ledger = try await sealedChain(folder)
        defer { ledger.shutdown() }
        let before = try SignedNote(parsing: #require(try ledger.blockNote(0)))
        let witnesses = try ["w1", "w2"].map { try makeWitnessKey(name: "example.org/\($0)") }
        let lines = try witnesses.map { try Cosignature.sign(text: before.text, time: 1_795_240_800, with: $0) }

        try await ledger.addCosignatures([lines[0]], toBlock: 0)
        // The same witness again (a retry), then both: each line once, the log's first.
        try await ledger.addCosignatures([lines[0]], toBlock: 0)
        try await ledger.addCosignatures(lines, toBlock: 0)
        let after = try SignedNote(parsing: #require(try ledger.blockNote(0)))
        #expect(after.text == before.text)
        #expect(after.signatures == before.signatures + lines)
        for witness in witnesses { #expect(witness.verifier.cosignatureTime(on: after) == 1_795_240_800) }
        // The block, and so the chain and its hashes, are what they were.
        #expect(try Block(note: after, verifier: ledger.verifier) == Block(note: before, verifier: ledger.verifier))
        try checkChainInvariants(ledger)

        // Nothing to cosign past the sealed days; the refusal loses nothing.
        await #expect { try await ledger.addCosignatures(lines, toBlock: 1) } throws: {
            ($0 as? LedgerError)?.code == .notFound
        }
        _ = try await ledger.append(record())
        return after
    }

    @Test func onlyThisLogsTreeIsKeptAsCosignedAndNeverAnOlderOne() async throws {
        let folder = try makeChain()
        let six = try await publishCosignedCheckpoints(folder)
        let reopened = try Ledger.open(folder: folder)
        #expect(reopened.head.cosignedCheckpoint == six)
        #expect(reopened.head.treeSize == 7)
    }

    /// Publishes good and bad cosigned checkpoints; returns the one kept.
    func publishCosignedCheckpoints(_ folder: DataFolder) async throws -> SignedNote {
        let ledger = try await sealedChain(folder)
        defer { ledger.shutdown() }
        let witness = try makeWitnessKey(name: "example.org/w1")
        func cosigned(_ note: SignedNote) throws -> SignedNote {
            try note.adding(Cosignature.sign(text: note.text, time: 1_795_240_800, with: witness))
        }
        #expect(ledger.head.cosignedCheckpoint == nil)
        let five = ledger.head.checkpoint
        let fiveCosigned = try cosigned(five)
        try await ledger.publishCosigned(fiveCosigned)
        #expect(ledger.head.cosignedCheckpoint == fiveCosigned)

        // A note of another tree, unsigned by the log, or signed by another log: refused, kept as was.
        let checkpoint = try Checkpoint(note: five, verifier: ledger.verifier)
        let otherRoot = try Checkpoint(origin: checkpoint.origin, size: 5, rootHash: Array(repeating: 7, count: 32))
        let otherLog = try Ledger.softwareHSM(makeChain(origin: checkpoint.origin)).logSigner(origin: checkpoint.origin)
        let logKey = try Ledger.softwareHSM(folder).logSigner(origin: checkpoint.origin)
        let future = try Checkpoint(origin: checkpoint.origin, size: 6, rootHash: checkpoint.rootHash)
        for (bad, code) in [
            (try cosigned(otherRoot.signed(by: otherLog)), nil),
            (try cosigned(otherRoot.signed(by: logKey)), LedgerError.Code.mismatch),
            (try SignedNote(text: five.text, signatures: fiveCosigned.signatures.suffix(1)), nil),
            (try cosigned(future.signed(by: logKey)), LedgerError.Code.mismatch),
        ] {
            await #expect { try await ledger.publishCosigned(bad) } throws: { error in
                code == nil || (error as? LedgerError)?.code == code
            }
            #expect(ledger.head.cosignedCheckpoint == fiveCosigned)
        }

        // A newer tree replaces it; an older one, arriving late, is ignored.
        _ = try await ledger.append(record())
        let six = try cosigned(ledger.head.checkpoint)
        try await ledger.publishCosigned(six)
        try await ledger.publishCosigned(fiveCosigned)
        #expect(ledger.head.cosignedCheckpoint == six)
        #expect(ledger.head.treeSize == 6)

        // Appends keep it (and a restart reads it back).
        _ = try await ledger.append(record())
        #expect(ledger.head.cosignedCheckpoint == six)
        return six
    }
}
