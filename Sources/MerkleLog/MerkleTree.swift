internal import Crypto

/// RFC 9162 (= RFC 6962) Merkle tree math: hashing, stored hashes, proofs, tiles.
///
/// Everything here is pure: storage is behind `HashReader`, so the node (reading LevelDB) and the
/// auditor (reading tiles) run the same code. Tree sizes and leaf indexes are `UInt64` as in RFC
/// 9162; stored-hash indexes are `Int64` as in golang.org/x/mod/sumdb/tlog, which keeps the two
/// kinds of index from being mixed up by accident.
public enum MerkleTree {
    /// The largest tree this module handles, 2^62 leaves: every stored-hash index of such a tree
    /// fits in an `Int64` (leaf n is stored below index 2n). No log will get near it.
    public static let maxSize: UInt64 = 1 << 62

    /// The root of the empty tree, SHA-256 of no bytes (RFC 9162 section 2.1.1).
    public static let emptyRoot = Hash(SHA256().finalize())

    /// SHA-256(0x00 || entry): the leaf hash of a log entry.
    public static func leafHash(_ entry: some Collection<UInt8>) -> Hash {
        var sha = SHA256()
        Swift.withUnsafeBytes(of: UInt8(0x00)) { sha.update(bufferPointer: $0) }
        let hashedInPlace: Void? = entry.withContiguousStorageIfAvailable {
            sha.update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if hashedInPlace == nil {
            Array(entry).withUnsafeBytes { sha.update(bufferPointer: $0) }
        }
        return Hash(sha.finalize())
    }

    /// SHA-256(0x01 || left || right): an interior node. The 65-byte input is assembled on the
    /// stack so the only allocation is the one swift-crypto makes for its hash context.
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        withUnsafeTemporaryAllocation(byteCount: 1 + 2 * Hash.byteCount, alignment: 8) { buffer in
            buffer[0] = 0x01
            left.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0)
            }
            right.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: buffer[33..<65]).copyMemory(from: $0)
            }
            var sha = SHA256()
            sha.update(bufferPointer: UnsafeRawBufferPointer(buffer))
            return Hash(sha.finalize())
        }
    }

    /// The root of the tree whose leaf hashes are `leafHashes`, in order, as a standalone tree
    /// (RFC 9162 MTH); `emptyRoot` when there are none. Used for day roots of leaves
    /// [first, first + count). Streams with O(log n) memory; see `RootAccumulator`.
    public static func rootHash(leafHashes: some Sequence<Hash>) -> Hash {
        var accumulator = RootAccumulator()
        for leafHash in leafHashes {
            accumulator.append(leafHash)
        }
        return accumulator.rootHash
    }

    /// Hashes perfect subtrees, given largest (leftmost) first, into their tree's root: the
    /// shape of every RFC 9162 tree once split at its powers of two.
    static func foldSubtrees(_ hashes: some BidirectionalCollection<Hash>) -> Hash {
        guard var root = hashes.last else { return emptyRoot }
        for hash in hashes.dropLast().reversed() {
            root = nodeHash(hash, root)
        }
        return root
    }

    /// Checks a size before any index arithmetic on it, so that no caller input can overflow.
    static func checkSize(_ size: UInt64, _ what: String) throws(MerkleLogError) {
        guard size <= maxSize else {
            throw MerkleLogError(
                .invalidArgument, "\(what) \(size) is above the largest supported tree (2^62 leaves)")
        }
    }
}

/// Computes the root of a tree fed one leaf hash at a time, holding only the roots of its perfect
/// subtrees (at most 64): the way to hash a day's leaves while they stream out of storage.
public struct RootAccumulator: Sendable {
    /// Roots of the perfect subtrees covering the leaves so far, largest first; their sizes are
    /// the set bits of `count`.
    private var subtrees: [Hash] = []

    /// The number of leaves appended.
    public private(set) var count: UInt64 = 0

    public init() {}

    public mutating func append(_ leafHash: Hash) {
        var hash = leafHash
        // Each trailing 1 bit of `count` is a perfect subtree that the new leaf completes.
        for _ in 0..<(~count).trailingZeroBitCount {
            hash = MerkleTree.nodeHash(subtrees.removeLast(), hash)
        }
        subtrees.append(hash)
        count += 1
    }

    /// The RFC 9162 root of the leaves appended so far (`MerkleTree.emptyRoot` for none).
    public var rootHash: Hash {
        MerkleTree.foldSubtrees(subtrees)
    }
}

extension UInt64 {
    /// log2 of the largest power of two <= self (self > 0).
    var floorLog2: Int { 63 - leadingZeroBitCount }
}
