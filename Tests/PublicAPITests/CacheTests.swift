import Foundation
import Hummingbird
import LedgerFormats
import MerkleLog
import Testing

@testable import PublicAPI

/// The bounded caches behind the answers: first in, first out, and only misses reach the log.
@Suite struct CacheTests {
    @Test func boundedCacheIsFirstInFirstOut() throws {
        let cache = BoundedCache<Tile, ByteBuffer>(capacity: 3)
        let tiles = try (0..<5).map { try Tile(level: 0, index: UInt64($0)) }
        for (i, tile) in tiles.enumerated() { cache.insert(tile, ByteBuffer(bytes: [UInt8(i)])) }
        #expect(cache.count == 3)
        #expect(cache.value(for: tiles[0]) == nil)
        #expect(cache.value(for: tiles[1]) == nil)
        #expect(cache.value(for: tiles[2]) == ByteBuffer(bytes: [2]))
        #expect(cache.values(for: [tiles[4], tiles[0]]) == [ByteBuffer(bytes: [4]), nil])
        // Inserting a cached key again neither replaces nor evicts anything.
        cache.insert(tiles[4], ByteBuffer(bytes: [9]))
        #expect(cache.count == 3)
        #expect(cache.value(for: tiles[2]) == ByteBuffer(bytes: [2]))
        #expect(cache.value(for: tiles[4]) == ByteBuffer(bytes: [4]))

        let disabled = BoundedCache<Tile, ByteBuffer>(capacity: 0)
        disabled.insert(tiles[0], ByteBuffer(bytes: [0]))
        #expect(disabled.value(for: tiles[0]) == nil)
    }

    /// A reader that counts what it is asked for.
    final class CountingReader: HashReader, @unchecked Sendable {
        // Only the test's own task uses it.
        let hashes: [Hash]
        var asked: [Int64] = []
        init(_ hashes: [Hash]) { self.hashes = hashes }
        func readHashes(_ indexes: [Int64]) throws -> [Hash] {
            asked += indexes
            return try hashes.readHashes(indexes)
        }
    }

    @Test func cachedHashReaderAsksOnlyForMisses() throws {
        let leaves = (0..<300).map { MerkleTree.leafHash([UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)]) }
        let stored = try MerkleTree.storedHashes(n: 0, leafHashes: leaves, reader: [Hash]()).hashes
        let source = CountingReader(stored)
        let reader = CachedHashReader(cache: BoundedCache(capacity: 1000), store: source)
        let first = try MerkleTree.inclusionProof(index: 123, size: 300, reader: reader)
        #expect(first == (try MerkleTree.inclusionProof(index: 123, size: 300, reader: stored)))
        let askedFirst = source.asked.count
        #expect(askedFirst >= first.count)
        // The same proof again: all hits. A neighbour's: only the lowest levels are new.
        #expect(try MerkleTree.inclusionProof(index: 123, size: 300, reader: reader) == first)
        #expect(source.asked.count == askedFirst)
        let neighbour = try MerkleTree.inclusionProof(index: 122, size: 300, reader: reader)
        #expect(neighbour == (try MerkleTree.inclusionProof(index: 122, size: 300, reader: stored)))
        #expect(source.asked.count == askedFirst + 1, "only leaf 123 itself is new")
        // Mixed hits and misses come back in the order asked.
        let indexes: [Int64] = [5, 400, 2, 401, 0]
        #expect(try reader.readHashes(indexes) == (try stored.readHashes(indexes)))
    }
}
