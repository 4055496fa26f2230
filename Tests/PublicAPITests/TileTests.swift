import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import Testing

@Suite struct TileTests {
    /// Every tile of the served tree equals the stored hashes, and the tiles alone give the
    /// signed checkpoint's root and proofs that verify against it.
    @Test func tilesEqualTheStoredHashesAndCombineIntoTheRoot() async throws {
        let chain = try await TestChain.make(dayCounts: [300, 420], openCount: 70)  // 790 leaves: 3 full tiles + 22
        try await chain.serve { client in
            let checkpoint = try Checkpoint(
                note: SignedNote(parsing: try await client.fetch("/checkpoint").body), verifier: chain.ledger.verifier)
            let size = checkpoint.size
            #expect(size == 790)
            var fetched: [Tile: [UInt8]] = [:]
            let tiles = try Tile.tiles(to: size)
            #expect(
                tiles.map(\.path) == ["tile/0/000", "tile/0/001", "tile/0/002", "tile/0/003.p/22", "tile/1/000.p/3"])
            for tile in tiles {
                let response = try await client.fetch("/" + tile.path)
                #expect(response.status == .ok, "\(tile.path)")
                #expect(response.headers[.contentType] == "application/octet-stream")
                #expect(
                    response.headers[.cacheControl]
                        == (tile.isPartial ? "public, max-age=1" : "public, max-age=31536000, immutable"))
                let stored = try chain.ledger.hashes(level: 8 * tile.level, from: tile.index * 256, count: tile.width)
                #expect(response.body == stored.flatMap { $0 }, "\(tile.path) holds the stored hashes")
                fetched[tile] = response.body
            }
            // Level 0 is the leaf hashes of the entries, in order.
            let leaves = (0..<4).flatMap { fetched[tiles[$0]] ?? [] }
            #expect(leaves == chain.leafHashes.flatMap(\.bytes))

            let reader = TileHashReader(treeSize: size, tiles: FetchedTiles(tiles: fetched))
            let root = try MerkleTree.treeHash(size: size, reader: reader)
            #expect(root.bytes == checkpoint.rootHash)
            let signedRoot = try #require(Hash(checkpoint.rootHash))
            for index: UInt64 in [0, 255, 256, 511, 700, 789] {
                let proof = try MerkleTree.inclusionProof(index: index, size: size, reader: reader)
                try MerkleTree.verifyInclusion(
                    index: index, size: size, leafHash: chain.leafHashes[Int(index)], proof: proof, root: signedRoot)
            }

            // Narrower partial tiles of the same index are prefixes and are served too.
            let prefix = try await client.fetch("/tile/0/003.p/5")
            #expect(prefix.status == .ok)
            #expect(prefix.body == Array((fetched[tiles[3]] ?? []).prefix(5 * 32)))
        }
    }

    @Test func tilesBeyondTheTreeOrMalformedAreRefused() async throws {
        let chain = try await TestChain.make(dayCounts: [300], openCount: 0)  // 300 leaves: 1 full tile + 44
        try await chain.serve { client in
            #expect(try await client.fetch("/tile/0/000").status == .ok)
            #expect(try await client.fetch("/tile/0/001.p/44").status == .ok)
            #expect(try await client.fetch("/tile/1/000.p/1").status == .ok)
            for beyond in [
                "/tile/0/001", "/tile/0/001.p/45", "/tile/0/002.p/1", "/tile/1/000.p/2", "/tile/1/000",
                "/tile/2/000.p/1", "/tile/0/x001/000",
            ] {
                let response = try await client.fetch(beyond)
                #expect(response.status == .notFound, "\(beyond)")
                #expect(isOneLineReason(response))
            }
            for entries in ["/tile/entries/000", "/tile/entries/000.p/44", "/tile/entries"] {
                let response = try await client.fetch(entries)
                #expect(response.status == .notFound, "\(entries)")
                #expect(response.text.contains("not public"))
            }
            for malformed in [
                "/tile/0/1", "/tile/0/0000", "/tile/0/000.p/256", "/tile/0/000.p/0", "/tile/9/000", "/tile/x/000",
                "/tile/0/x000/001", "/tile/0/000.p/",
            ] {
                let response = try await client.fetch(malformed)
                #expect(response.status == .badRequest, "\(malformed)")
                #expect(isOneLineReason(response))
            }
        }
    }

    /// A full tile stays served from the cache (and identical) as the tree grows; a partial tile
    /// is read afresh for the tree it is asked of.
    @Test func fullTilesAreCachedAndStayIdentical() async throws {
        let chain = try await TestChain.make(dayCounts: [256], openCount: 10)
        try await chain.serve { client in
            let first = try await client.fetch("/tile/0/000")
            #expect(first.status == .ok)
            #expect(try await client.fetch("/tile/0/001").status == .notFound)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<250 {
                    let record = try EventRecord(event: .authOK, owner: "OWNER-\(i)")
                    group.addTask { _ = try await chain.ledger.append(record) }
                }
                try await group.waitForAll()
            }
            #expect(try await client.fetch("/tile/0/000").body == first.body)
            let second = try await client.fetch("/tile/0/001")
            #expect(second.status == .ok)
            let stored = try chain.ledger.hashes(level: 0, from: 256, count: 256)
            #expect(second.body == stored.flatMap { $0 })
            #expect(try await client.fetch("/tile/0/002.p/4").status == .ok)
            #expect(try await client.fetch("/tile/0/002.p/5").status == .notFound)
        }
    }
}
