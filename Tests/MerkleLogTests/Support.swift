import Foundation
import MerkleLog

/// Test resources: github.com/transparency-dev/merkle's `testdata/` at 417fb0c314750d94 (the
/// inclusion and consistency probes, copied verbatim) and its RFC 6962 known answers
/// (`testonly/constants.go`, `rfc6962/rfc6962_test.go`, transcribed into JSON).
enum Resources {
    static var root: URL? {
        Bundle.module.url(forResource: "rfc6962-known-answers", withExtension: "json", subdirectory: "Resources")?
            .deletingLastPathComponent()
    }

    /// Paths, relative to Resources/, of every `*.json` probe under `folder`, sorted.
    static func probeFiles(_ folder: String) -> [String] {
        guard let root, let walker = FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path)
        else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }.map { "\(folder)/\($0)" }.sorted()
    }

    static func data(_ relativePath: String) throws -> Data {
        guard let root else { throw ResourceMissing(path: relativePath) }
        return try Data(contentsOf: root.appendingPathComponent(relativePath))
    }

    struct ResourceMissing: Error { var path: String }
}

/// Deterministic generator (SplitMix64), so a failing property run can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    init?(hex: String) {
        let bytes = Array(hex.utf8)
        guard bytes.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: bytes.count, by: 2) {
            guard let byte = UInt8(String(decoding: bytes[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        self = out
    }
}

/// A log of `count` synthetic entries with its stored hashes, built record by record with the
/// single-record API (the batch API is checked against it).
struct TestLog {
    let leafHashes: [Hash]
    let stored: [Hash]

    init(count: Int) throws {
        var leafHashes: [Hash] = []
        var stored: [Hash] = []
        for i in 0..<count {
            let leafHash = MerkleTree.leafHash(Array("entry \(i)".utf8))
            leafHashes.append(leafHash)
            stored += try MerkleTree.storedHashes(n: UInt64(i), leafHash: leafHash, reader: stored)
        }
        self.leafHashes = leafHashes
        self.stored = stored
    }

    /// The stored hashes of a log with these leaf hashes, record by record.
    static func storedHashes(_ leafHashes: [Hash]) throws -> [Hash] {
        var stored: [Hash] = []
        for (i, leafHash) in leafHashes.enumerated() {
            stored += try MerkleTree.storedHashes(n: UInt64(i), leafHash: leafHash, reader: stored)
        }
        return stored
    }
}

/// RFC 9162 section 2.1 written out literally (recursive MTH, PATH and PROOF), as the reference
/// the iterative, storage-based code is compared with.
enum Reference {
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    static func root(_ leaves: ArraySlice<Hash>) -> Hash {
        switch leaves.count {
        case 0: return MerkleTree.emptyRoot
        case 1: return leaves[leaves.startIndex]
        default:
            let k = leaves.startIndex + split(leaves.count)
            return MerkleTree.nodeHash(root(leaves[..<k]), root(leaves[k...]))
        }
    }

    static func inclusionPath(_ m: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        if leaves.count <= 1 { return [] }
        let k = split(leaves.count)
        let mid = leaves.startIndex + k
        if m < k { return inclusionPath(m, leaves[..<mid]) + [root(leaves[mid...])] }
        return inclusionPath(m - k, leaves[mid...]) + [root(leaves[..<mid])]
    }

    static func consistencyProof(_ m: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        subproof(m, leaves, true)
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<Hash>, _ complete: Bool) -> [Hash] {
        let n = leaves.count
        if m == n { return complete ? [] : [root(leaves)] }
        let k = split(n)
        let mid = leaves.startIndex + k
        if m <= k { return subproof(m, leaves[..<mid], complete) + [root(leaves[mid...])] }
        return subproof(m - k, leaves[mid...], false) + [root(leaves[..<mid])]
    }

    /// x/mod's StoredHashIndex loop, verbatim in Swift.
    static func storedHashIndex(_ level: Int, _ n: Int64) -> Int64 {
        var n = n
        for _ in stride(from: level, to: 0, by: -1) { n = 2 * n + 1 }
        var i: Int64 = 0
        while n > 0 {
            i += n
            n >>= 1
        }
        return i + Int64(level)
    }
}

/// Serves the tiles of a tree of `treeSize` leaves from its stored hashes, and records what it is
/// asked for: like a tile server, it refuses tiles that tree does not have.
final class StoredTileServer: TileReader {
    let treeSize: UInt64
    let stored: [Hash]
    let published: Set<Tile>
    private(set) var calls: [[Tile]] = []

    init(treeSize: UInt64, stored: [Hash]) throws {
        self.treeSize = treeSize
        self.stored = stored
        self.published = Set(try Tile.tiles(to: treeSize))
    }

    struct NotPublished: Error { var tile: Tile }

    func readTiles(_ tiles: [Tile]) throws -> [[UInt8]] {
        calls.append(tiles)
        return try tiles.map { tile in
            guard published.contains(tile) else { throw NotPublished(tile: tile) }
            return try tile.readData(from: stored)
        }
    }
}
