import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import Testing

/// A served inclusion proof, read back with Foundation's JSON parser.
struct InclusionAnswer {
    let index: UInt64
    let treeSize: UInt64
    let leafHash: Hash
    let hashes: [Hash]

    init(_ response: Fetched) throws {
        let object = try #require(try response.json() as? [String: Any])
        #expect(Set(object.keys) == ["index", "treeSize", "leafHash", "hashes"])
        index = UInt64(try #require(object["index"] as? Int))
        treeSize = UInt64(try #require(object["treeSize"] as? Int))
        let leaf = try #require(object["leafHash"] as? String)
        leafHash = try #require(Hash(base64: leaf))
        hashes = try hashList(object["hashes"])
    }
}

/// A JSON array of standard base64 hashes.
func hashList(_ value: Any?) throws -> [Hash] {
    let strings = try #require(value as? [String])
    let hashes = strings.compactMap { Hash(base64: $0) }
    try #require(hashes.count == strings.count, "every proof hash is canonical base64 of 32 bytes")
    return hashes
}

@Suite struct ProofTests {
    @Test func inclusionProofsVerifyAgainstTheSignedCheckpointAndBlocks() async throws {
        let chain = try await TestChain.make(dayCounts: [300, 420], openCount: 70)
        try await chain.serve { client in
            let checkpoint = try Checkpoint(
                note: SignedNote(parsing: try await client.fetch("/checkpoint").body), verifier: chain.ledger.verifier)
            let root = try #require(Hash(checkpoint.rootHash))
            let leaves = chain.leafHashes
            for index: UInt64 in [0, 1, 255, 256, 299, 300, 513, 719, 720, 789] {
                let response = try await client.fetch("/proof/inclusion?index=\(index)")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[.cacheControl] == "public, max-age=1")
                let answer = try InclusionAnswer(response)
                #expect(answer.index == index)
                #expect(answer.treeSize == checkpoint.size)
                #expect(answer.leafHash == leaves[Int(index)])
                try MerkleTree.verifyInclusion(
                    index: index, size: checkpoint.size, leafHash: leaves[Int(index)], proof: answer.hashes, root: root)

                // The same leaf by its hash.
                let byHash = try InclusionAnswer(
                    await client.fetch("/proof/inclusion?hash=\(base64URL(leaves[Int(index)]))"))
                #expect(byHash.index == index)
                #expect(byHash.hashes == answer.hashes)
            }

            // Against each signed block: by block=H and by size=<its tree size>.
            for height: UInt64 in [0, 1] {
                let note = try await client.fetch("/blocks/\(height)")
                let block = try Block(note: SignedNote(parsing: note.body), verifier: chain.ledger.verifier)
                let blockRoot = try #require(Hash(block.rootHash))
                for index in [0, block.dayFirst, block.treeSize - 1] {
                    let byBlock = try await client.fetch("/proof/inclusion?index=\(index)&block=\(height)")
                    #expect(byBlock.headers[.cacheControl] == "public, max-age=31536000, immutable")
                    let answer = try InclusionAnswer(byBlock)
                    #expect(answer.treeSize == block.treeSize)
                    try MerkleTree.verifyInclusion(
                        index: index, size: block.treeSize, leafHash: leaves[Int(index)], proof: answer.hashes,
                        root: blockRoot)
                    let bySize = try InclusionAnswer(
                        await client.fetch("/proof/inclusion?size=\(block.treeSize)&index=\(index)"))
                    #expect(bySize.hashes == answer.hashes)
                    let byHash = try InclusionAnswer(
                        await client.fetch("/proof/inclusion?hash=\(base64URL(leaves[Int(index)]))&block=\(height)"))
                    #expect(byHash.hashes == answer.hashes)
                }
            }

            // A proof for another size is not a proof for this one.
            let other = try InclusionAnswer(await client.fetch("/proof/inclusion?index=5&size=600"))
            #expect(throws: MerkleLogError.self) {
                try MerkleTree.verifyInclusion(
                    index: 5, size: checkpoint.size, leafHash: leaves[5], proof: other.hashes, root: root)
            }
        }
    }

    @Test func inclusionRequestsThatCannotBeAnsweredAreRefused() async throws {
        let chain = try await TestChain.make(dayCounts: [10], openCount: 5)
        try await chain.serve { client in
            let unknown = Hash(Array(repeating: 7, count: 32)).map(base64URL) ?? ""
            let known = base64URL(chain.leafHashes[12])
            let badRequests = [
                "index=x", "index=-1", "index=01", "index=1.5", "index=", "index=15", "index=99999999999999999999",
                "index=0&size=16", "index=10&size=10", "index=0&size=0", "", "size=3", "index=1&index=2",
                "index=1&hash=\(known)", "index=1&size=5&block=0", "hash=abc", "hash=\(known)=",
                "hash=\(chain.leafHashes[12].base64)", "hash=\(known)&size=12", "block=x&index=0",
                "hash=\(String(known.dropLast()))B",
            ]
            for query in badRequests {
                let response = try await client.fetch("/proof/inclusion?\(query)")
                #expect(response.status == .badRequest, "?\(query)")
                #expect(isOneLineReason(response), "?\(query)")
            }
            let missing = try await client.fetch("/proof/inclusion?hash=\(unknown)")
            #expect(missing.status == .notFound)
            #expect(isOneLineReason(missing))
            let unsealed = try await client.fetch("/proof/inclusion?index=0&block=1")
            #expect(unsealed.status == .notFound)
            #expect(isOneLineReason(unsealed))
            // The boundaries that are allowed.
            #expect(try await client.fetch("/proof/inclusion?index=14").status == .ok)
            #expect(try await client.fetch("/proof/inclusion?index=0&size=1").status == .ok)
            #expect(try await client.fetch("/proof/inclusion?index=9&block=0").status == .ok)
            #expect(try await client.fetch("/proof/inclusion?index=10&block=0").status == .badRequest)
        }
    }

    @Test func consistencyProofsVerifyBetweenBlocksAndCheckpoint() async throws {
        let chain = try await TestChain.make(dayCounts: [300, 420], openCount: 70)
        try await chain.serve { client in
            let checkpoint = try Checkpoint(
                note: SignedNote(parsing: try await client.fetch("/checkpoint").body), verifier: chain.ledger.verifier)
            let block0 = try chain.block(0)
            let block1 = try chain.block(1)
            let heads = [
                (block0.treeSize, try #require(Hash(block0.rootHash))),
                (block1.treeSize, try #require(Hash(block1.rootHash))),
                (checkpoint.size, try #require(Hash(checkpoint.rootHash))),
            ]
            for (from, root1) in heads {
                for (to, root2) in heads where to >= from {
                    let response = try await client.fetch("/proof/consistency?from=\(from)&to=\(to)")
                    #expect(response.status == .ok)
                    #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                    let object = try #require(try response.json() as? [String: Any])
                    #expect(Set(object.keys) == ["from", "to", "hashes"])
                    #expect(object["from"] as? Int == Int(from))
                    #expect(object["to"] as? Int == Int(to))
                    let hashes = try hashList(object["hashes"])
                    #expect(hashes.isEmpty == (from == to))
                    try MerkleTree.verifyConsistency(size1: from, size2: to, proof: hashes, root1: root1, root2: root2)
                }
            }
            // `to` defaults to the latest checkpoint.
            let latest = try #require(try await client.fetch("/proof/consistency?from=300").json() as? [String: Any])
            #expect(latest["to"] as? Int == 790)
            // Sizes that are not a block's work too.
            let odd = try #require(try await client.fetch("/proof/consistency?from=17&to=333").json() as? [String: Any])
            let oddHashes = try hashList(odd["hashes"])
            try MerkleTree.verifyConsistency(
                size1: 17, size2: 333, proof: oddHashes,
                root1: MerkleTree.rootHash(leafHashes: chain.leafHashes.prefix(17)),
                root2: MerkleTree.rootHash(leafHashes: chain.leafHashes.prefix(333)))

            for query in [
                "from=0&to=5", "from=6&to=5", "from=1&to=791", "to=5", "from=x&to=5", "from=1&to=",
                "from=1&from=1&to=2", "from=0",
            ] {
                let response = try await client.fetch("/proof/consistency?\(query)")
                #expect(response.status == .badRequest, "?\(query)")
                #expect(isOneLineReason(response))
            }
        }
    }
}
