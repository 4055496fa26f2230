import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

/// Go's golang.org/x/mod (sumdb/note and sumdb/tlog), an implementation independent of ours,
/// checks what the ledger publishes: checkpoints, blocks, receipts and proofs.
@Suite struct LedgerGoVerifierTests {
    func goverify(_ arguments: [String]) throws -> ProcessRun {
        try runProcess(try goVerifier.get(), arguments)
    }

    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("note-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func checkpointsBlocksReceiptsAndProofsVerifyInGo() async throws {
        let folder = try makeChain(startDate: "2026-11-18")
        let clock = ManualClock(ms("2026-11-18T10:00:00Z"))
        let ledger = try Ledger.open(folder: folder, clock: clock)
        ledger.start()
        defer { ledger.shutdown() }
        for day in 0..<3 {
            for i in 0..<(7 + day * 11) { _ = try await ledger.append(record(owner: "o\(day)-\(i)")) }
            clock.advance(86_400_000)
        }
        try await ledger.sealDueDays()
        #expect(ledger.head.blockCount == 3)
        let key = ledger.genesis.verifierKey

        let checkpoint = ledger.head.checkpoint.formatted
        #expect(try goverify(["checkpoint", "-key", key, file(checkpoint)]).status == 0)
        for h in 0..<UInt64(3) {
            let note = String(decoding: try #require(try ledger.blockNote(h)), as: UTF8.self)
            let run = try goverify(["checkpoint", "-key", key, file(note)])
            #expect(run.status == 0, "block \(h): \(run.output)")
        }
        for seq: UInt64 in [0, 6, 20, 43] {
            let run = try goverify(["receipt", "-key", key, file(try ledger.receipt(seq: seq).formatted)])
            #expect(run.status == 0, "receipt \(seq): \(run.output)")
        }
        let size = ledger.head.treeSize
        let root = ledger.head.rootHash
        for index: UInt64 in [0, 1, 17, size - 1] {
            let (_, proof) = try ledger.inclusionProof(index: index)
            let leaf = MerkleTree.leafHash(try #require(try ledger.entry(index)))
            let run = try goverify(
                ["inclusion", "-size", "\(size)", "-index", "\(index)", "-leaf", leaf.base64, "-root", root.base64] + proof.map(\.base64))
            #expect(run.status == 0, "inclusion \(index): \(run.output)")
        }
        let blocks = try (0..<UInt64(3)).map { h in
            try Block(note: SignedNote(parsing: try #require(try ledger.blockNote(h))), verifier: ledger.verifier)
        }
        for (a, b) in zip(blocks, blocks.dropFirst()) {
            let proof = try ledger.consistencyProof(from: a.treeSize, to: b.treeSize)
            let args = ["consistency", "-size1", "\(a.treeSize)", "-size2", "\(b.treeSize)",
                        "-root1", Data(a.rootHash).base64EncodedString(), "-root2", Data(b.rootHash).base64EncodedString()]
            #expect(try goverify(args + proof.map(\.base64)).status == 0)
            // A proof for the wrong pair fails in Go too.
            #expect(try goverify(args + proof.dropLast().map(\.base64)).status == 1)
        }
        // A tampered checkpoint (size changed) fails there too.
        let tampered = checkpoint.replacingOccurrences(of: "\n\(size)\n", with: "\n\(size + 1)\n")
        #expect(tampered != checkpoint)
        #expect(try goverify(["checkpoint", "-key", key, file(tampered)]).status == 1)
    }
}
