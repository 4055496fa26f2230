import Codecs
import Foundation
import HSMBoundary
import Ledger
import LedgerFormats
import MerkleLog
import PublicLog
import TestSupport
import Testing

@testable import Witness

/// The Tamga block statement: a witness that pins a log's genesis vouches, under its block key,
/// for each daily block that follows the last one it vouched for.
@Suite struct BlockStatementTests {
    /// A Tamga chain with `days` sealed days of a few events each, and the witness pinning it.
    struct Chain {
        let folder: DataFolder
        let ledger: Ledger
        let logs: String

        static func make(days: Int) async throws -> Chain {
            let (folder, ledger, _) = try await sealedChain(days: days, events: { 3 + $0 })
            let logs = "log \(ledger.genesis.verifierKey) tamga \(hex(ledger.genesis.hash))\n"
            return Chain(folder: folder, ledger: ledger, logs: logs)
        }

        func block(_ height: UInt64) throws -> [UInt8] { try #require(try ledger.blockNote(height)) }
        func treeSize(of height: UInt64) throws -> UInt64 {
            try Block(note: SignedNote(parsing: block(height)), verifier: ledger.verifier).treeSize
        }

        /// Submits block `height` (or `note`, a block of that size) from the witness's size `old`.
        func submit(_ height: UInt64, old: UInt64, note: [UInt8]? = nil, to witness: Witness) async throws -> Witness.Outcome {
            let size = try treeSize(of: height)
            let proof = old == 0 || old == size ? [] : try ledger.consistencyProof(from: old, to: size)
            let body = Array(("old \(old)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n").utf8) + (try note ?? block(height))
            return await witness.addCheckpoint(body)
        }
    }

    @Test func everyBlockFollowingTheLastIsVouchedFor() async throws {
        let chain = try await Chain.make(days: 3)
        defer { chain.ledger.shutdown() }
        let w = try TestWitness.make(logs: chain.logs)
        var old: UInt64 = 0
        for height in 0..<UInt64(3) {
            let answer = try await chain.submit(height, old: old, to: w.witness)
            #expect(answer.status == 200, "block \(height): \(answer)")
            let note = try cosigned(try chain.block(height), answer)
            #expect(w.keys.cosigner.cosignatureTime(on: note) != nil)
            #expect(w.keys.blockCosigner.cosignatureTime(on: note) != nil, "block \(height) vouched for")
            old = try chain.treeSize(of: height)
        }
        // A checkpoint between blocks: the plain cosignature only.
        _ = try await chain.ledger.append(EventRecord(.nodeStart, owner: "op"))
        let head = chain.ledger.head
        let body = Array(("old \(old)\n" + (try chain.ledger.consistencyProof(from: old, to: head.treeSize)).map { $0.base64 + "\n" }.joined() + "\n").utf8)
            + Array(head.checkpoint.formatted.utf8)
        let answer = await w.witness.addCheckpoint(body)
        #expect(answer.status == 200)
        let note = try cosigned(Array(head.checkpoint.formatted.utf8), answer)
        #expect(w.keys.blockCosigner.cosignatureTime(on: note) == nil && w.keys.cosigner.cosignatureTime(on: note) != nil)
    }

    @Test func aWitnessThatJoinsLateAnchorsOnTheFirstBlockItSees() async throws {
        let chain = try await Chain.make(days: 4)
        defer { chain.ledger.shutdown() }
        let w = try TestWitness.make(logs: chain.logs)
        let late = try await chain.submit(2, old: 0, to: w.witness)
        #expect(late.status == 200)
        #expect(w.keys.blockCosigner.cosignatureTime(on: try cosigned(try chain.block(2), late)) == nil, "nothing seen before it")
        let next = try await chain.submit(3, old: try chain.treeSize(of: 2), to: w.witness)
        #expect(w.keys.blockCosigner.cosignatureTime(on: try cosigned(try chain.block(3), next)) != nil)
    }

    /// Blocks the log signed but that do not follow: each refused with 422, the state kept.
    @Test func blocksThatDoNotFollowAreRefused() throws {
        let genesis = Array(repeating: UInt8(7), count: 32)
        let zero = MerkleTree.emptyRoot.bytes
        func block(_ height: UInt64, prev: [UInt8], first: UInt64, size: UInt64, date: String, start: Int64, length: Int64 = 86_400)
            throws -> Block
        {
            try Block(
                origin: "o", treeSize: size, rootHash: zero, height: height, date: date, start: start, end: start + length,
                previousHash: prev, dayFirst: first, dayRoot: size == first ? zero : MerkleTree.leafHash([1]).bytes)
        }
        let start: Int64 = 1_795_114_800  // 2026-11-19T19:00:00Z, midnight in Asia/Almaty
        let zeroth = try block(0, prev: genesis, first: 0, size: 5, date: "2026-11-20", start: start)
        #expect(Witness.follows(zeroth, after: nil, genesisHash: genesis) == .vouched)
        #expect(Witness.follows(try block(0, prev: zero, first: 0, size: 5, date: "2026-11-20", start: start), after: nil, genesisHash: genesis) != .vouched)
        #expect(Witness.follows(try block(0, prev: genesis, first: 0, size: 5, date: "2026-11-20", start: start, length: 3600), after: nil, genesisHash: genesis) != .vouched)
        let previous = LogState.BlockState(height: 0, hash: zeroth.hash, treeSize: 5, date: "2026-11-20", end: start + 86_400)
        let good = try block(1, prev: zeroth.hash, first: 5, size: 9, date: "2026-11-21", start: start + 86_400)
        #expect(Witness.follows(good, after: previous, genesisHash: genesis) == .vouched)
        let bad: [Block] = [
            try block(2, prev: zeroth.hash, first: 5, size: 9, date: "2026-11-21", start: start + 86_400),  // skips a height
            try block(1, prev: genesis, first: 5, size: 9, date: "2026-11-21", start: start + 86_400),  // wrong prev
            try block(1, prev: zeroth.hash, first: 4, size: 9, date: "2026-11-21", start: start + 86_400),  // overlaps
            try block(1, prev: zeroth.hash, first: 5, size: 9, date: "2026-11-22", start: start + 86_400),  // skips a date
            try block(1, prev: zeroth.hash, first: 5, size: 9, date: "2026-11-21", start: start + 90_000),  // a gap in time
            try block(1, prev: zeroth.hash, first: 5, size: 9, date: "2026-11-21", start: start + 86_400, length: 27 * 3600),
        ]
        for (index, candidate) in bad.enumerated() {
            guard case .refused = Witness.follows(candidate, after: previous, genesisHash: genesis) else {
                Issue.record("bad block \(index) was not refused")
                continue
            }
        }
        // The same block again is vouched for again (a retried submission).
        let same = LogState.BlockState(height: 1, hash: good.hash, treeSize: 9, date: "2026-11-21", end: good.end)
        #expect(Witness.follows(good, after: same, genesisHash: genesis) == .vouched)
    }

    /// Over real submissions: a block that breaks the chain (signed by the log's own key) is
    /// refused with 422 and the witness keeps its state.
    @Test func aRewrittenBlockSignedByTheLogIsRefused() async throws {
        let chain = try await Chain.make(days: 2)
        defer { chain.ledger.shutdown() }
        let w = try TestWitness.make(logs: chain.logs)
        #expect(try await chain.submit(0, old: 0, to: w.witness).status == 200)
        let real = try Block(note: SignedNote(parsing: chain.block(1)), verifier: chain.ledger.verifier)
        let forged = try Block(
            origin: real.origin, treeSize: real.treeSize, rootHash: real.rootHash, height: real.height, date: real.date,
            start: real.start, end: real.end, previousHash: MerkleTree.emptyRoot.bytes, dayFirst: real.dayFirst,
            dayRoot: real.dayRoot)
        let logKey = try Ledger.softwareHSM(chain.folder).logSigner(origin: real.origin)
        let note = Array(try forged.signed(by: logKey).formatted.utf8)
        let old = try chain.treeSize(of: 0)
        let refused = try await chain.submit(1, old: old, note: note, to: w.witness)
        #expect(refused.status == 422 && refused.body.contains("prev"), "\(refused)")
        #expect(try await w.witness.latest(chain.ledger.genesis.origin)?.size == old, "the state is kept")
        // The real block 1 still follows.
        let real1 = try await chain.submit(1, old: old, to: w.witness)
        #expect(w.keys.blockCosigner.cosignatureTime(on: try cosigned(try chain.block(1), real1)) != nil)
    }
}
