import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

/// Go's golang.org/x/mod (sumdb/note, sumdb/tlog) through tools/goverify, an implementation
/// independent of ours, checks what the API serves: the checkpoint, the blocks, and proofs
/// against them.
@Suite struct GoVerifierTests {
    static func goverify(_ arguments: [String]) throws -> ProcessRun {
        try runProcess(try goVerifier.get(), arguments)
    }

    static func file(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("served-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func servedCheckpointsBlocksAndProofsVerifyInGo() async throws {
        let chain = try await TestChain.make(dayCounts: [300, 0, 420], openCount: 70)
        let key = chain.ledger.genesis.verifierKey
        try await chain.serve { client in
            let served = try await client.fetch("/checkpoint")
            let checked = try Self.goverify(["checkpoint", "-key", key, Self.file(served.body)])
            #expect(checked.status == 0, "\(checked.output)")
            // Go prints the note text it verified; its lines give the signed size and root.
            let lines = checked.output.split(separator: "\n").map(String.init)
            try #require(lines.count >= 3)
            let size = try #require(UInt64(lines[1]))
            let root = lines[2]
            #expect(size == 790)

            // A checkpoint changed by one byte fails in Go too.
            var tampered = served.body
            tampered[tampered.count - 5] ^= 1
            #expect(try Self.goverify(["checkpoint", "-key", key, Self.file(tampered)]).status == 1)

            var heads: [(size: UInt64, root: String)] = []
            for height in 0..<3 {
                let block = try await client.fetch("/blocks/\(height)")
                let run = try Self.goverify(["checkpoint", "-key", key, Self.file(block.body)])
                #expect(run.status == 0, "block \(height): \(run.output)")
                let blockLines = run.output.split(separator: "\n").map(String.init)
                try #require(blockLines.count >= 7)
                #expect(blockLines[3] == "block \(height)")
                heads.append((try #require(UInt64(blockLines[1])), blockLines[2]))
            }
            heads.append((size, root))

            for index: UInt64 in [0, 1, 299, 300, 301, 719, 789] {
                let answer = try InclusionAnswer(await client.fetch("/proof/inclusion?index=\(index)"))
                let args = [
                    "inclusion", "-size", "\(size)", "-index", "\(index)", "-leaf", answer.leafHash.base64, "-root",
                    root,
                ]
                let ok = try Self.goverify(args + answer.hashes.map(\.base64))
                #expect(ok.status == 0, "index \(index): \(ok.output)")
                if !answer.hashes.isEmpty {
                    #expect(try Self.goverify(args + answer.hashes.dropLast().map(\.base64)).status == 1)
                }
                // The leaf hash is the entry's: Go hashes the entry itself and agrees.
                let entry = Data(chain.entries[Int(index)]).base64EncodedString()
                let byEntry = try Self.goverify(
                    ["inclusion", "-size", "\(size)", "-index", "\(index)", "-entry", entry, "-root", root]
                        + answer.hashes.map(\.base64))
                #expect(byEntry.status == 0, "\(byEntry.output)")
            }
            // Against a block, by block=H.
            let inBlock = try InclusionAnswer(await client.fetch("/proof/inclusion?index=150&block=0"))
            let blockRun = try Self.goverify(
                [
                    "inclusion", "-size", "\(heads[0].size)", "-index", "150", "-leaf", inBlock.leafHash.base64,
                    "-root", heads[0].root,
                ]
                    + inBlock.hashes.map(\.base64))
            #expect(blockRun.status == 0, "\(blockRun.output)")

            // Consistency between every pair of distinct non-empty heads.
            for (i, old) in heads.enumerated() {
                for new in heads[(i + 1)...] where old.size > 0 && old.size < new.size {
                    let response = try await client.fetch("/proof/consistency?from=\(old.size)&to=\(new.size)")
                    let object = try #require(try response.json() as? [String: Any])
                    let hashes = try #require(object["hashes"] as? [String])
                    let args = [
                        "consistency", "-size1", "\(old.size)", "-size2", "\(new.size)", "-root1", old.root, "-root2",
                        new.root,
                    ]
                    let run = try Self.goverify(args + hashes)
                    #expect(run.status == 0, "\(old.size) -> \(new.size): \(run.output)")
                    #expect(try Self.goverify(args + hashes.dropFirst()).status == 1)
                }
            }
        }
    }
}
