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
/// subtrees (at most 64): the way to hash a day's leaves while they stream out of storage, and
/// the auditor's way to rebuild the whole tree from published leaf hashes.
public struct RootAccumulator: Sendable {
    /// Roots of the perfect subtrees covering the leaves so far, largest first; their sizes are
    /// the set bits of `count`.
    private var subtrees: [Hash] = []

    /// The number of leaves appended.
    public private(set) var count: UInt64 = 0

    public init() {}

    /// Resumes from the tree of `count` leaves whose perfect subtrees, largest first, are
    /// `subtrees` (read at `MerkleTree.perfectSubtrees(size: count)`); the caller checks that
    /// `rootHash` is the root it trusts.
    public init(count: UInt64, subtrees: [Hash]) throws(MerkleLogError) {
        try MerkleTree.checkSize(count, "tree size")
        guard subtrees.count == count.nonzeroBitCount else {
            throw MerkleLogError(
                .invalidArgument,
                "a tree of \(count) leaves has \(count.nonzeroBitCount) perfect subtrees, not \(subtrees.count)")
        }
        self.count = count
        self.subtrees = subtrees
        self.subtrees.reserveCapacity(64)
    }

    public mutating func append(_ leafHash: Hash) {
        append(leafHash) { _, _, _ in }
    }

    /// Appends a leaf and reports each interior node it completes, lowest first, as (tree
    /// level, index in that level, hash): the nodes a verifier compares with published tiles.
    public mutating func append(_ leafHash: Hash, completed: (_ level: Int, _ index: UInt64, _ hash: Hash) -> Void) {
        var hash = leafHash
        // Each trailing 1 bit of `count` is a perfect subtree that the new leaf completes.
        let completes = (~count).trailingZeroBitCount
        var level = 0
        while level < completes {
            hash = MerkleTree.nodeHash(subtrees.removeLast(), hash)
            level += 1
            completed(level, count >> UInt64(level), hash)
        }
        subtrees.append(hash)
        count += 1
    }

    /// The RFC 9162 root of the leaves appended so far (`MerkleTree.emptyRoot` for none).
    public var rootHash: Hash {
        MerkleTree.foldSubtrees(subtrees)
    }
}

extension MerkleTree {
    /// The perfect subtrees of a tree of `size` leaves, largest (leftmost) first, as (level,
    /// index in that level): the stored hashes from which `RootAccumulator(count:subtrees:)`
    /// resumes.
    public static func perfectSubtrees(size: UInt64) -> [(level: Int, n: UInt64)] {
        var nodes: [(level: Int, n: UInt64)] = []
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (1 << UInt64(level)) != 0 {
            nodes.append((level, start >> UInt64(level)))
            start += 1 << UInt64(level)
        }
        return nodes
    }
}

extension UInt64 {
    /// log2 of the largest power of two <= self (self > 0).
    var floorLog2: Int { 63 - leadingZeroBitCount }
}
