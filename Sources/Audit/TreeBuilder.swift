import MerkleLog

/// The log's tree rebuilt leaf by leaf from the published leaf hashes, holding only the roots
/// of its perfect subtrees (the compact range, at most 62 hashes). Unlike MerkleLog's
/// `RootAccumulator` it can start from the subtrees of a tree verified earlier, and it reports
/// every node it completes at a tile level (tree level 8, 16...), so the published higher
/// tiles can be checked entry by entry against the leaves.
struct TreeBuilder {
    /// A completed node at tree level `8 * tileLevel`, position `n` in its level.
    struct Node {
        let tileLevel: Int
        let n: UInt64
        let hash: Hash
    }

    private(set) var size: UInt64
    /// Roots of the perfect subtrees covering the leaves so far, largest first.
    private var subtrees: [Hash]

    init() {
        size = 0
        subtrees = []
        subtrees.reserveCapacity(64)
    }

    /// Resumes from the tree of `size` leaves whose perfect subtrees, largest first, are
    /// `subtrees` (callers check their fold against a trusted root).
    init(size: UInt64, subtrees: [Hash]) {
        precondition(subtrees.count == size.nonzeroBitCount, "Audit: wrong number of subtrees for the size")
        self.size = size
        self.subtrees = subtrees
        self.subtrees.reserveCapacity(64)
    }

    /// Appends a leaf; nodes completed at tile levels go to `completed`.
    mutating func append(_ leafHash: Hash, completed: inout [Node]) {
        var hash = leafHash
        var level = 0
        // Each trailing 1 bit of `size` is a perfect subtree the new leaf completes.
        for _ in 0..<(~size).trailingZeroBitCount {
            hash = MerkleTree.nodeHash(subtrees.removeLast(), hash)
            level += 1
            if level & 7 == 0 {
                completed.append(Node(tileLevel: level >> 3, n: size >> UInt64(level), hash: hash))
            }
        }
        subtrees.append(hash)
        size += 1
    }

    /// The RFC 9162 root of the leaves so far.
    var rootHash: Hash { TreeBuilder.fold(subtrees[...]) }

    /// Folds perfect subtree roots, largest first, into their tree's root.
    static func fold(_ hashes: ArraySlice<Hash>) -> Hash {
        guard var root = hashes.last else { return MerkleTree.emptyRoot }
        for hash in hashes.dropLast().reversed() {
            root = MerkleTree.nodeHash(hash, root)
        }
        return root
    }

    /// The (tree level, position) of the perfect subtrees of a tree of `size` leaves, largest
    /// first: the hashes to read to resume from it.
    static func subtreeNodes(size: UInt64) -> [(level: Int, n: UInt64)] {
        var nodes: [(level: Int, n: UInt64)] = []
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (1 << UInt64(level)) != 0 {
            nodes.append((level, start >> UInt64(level)))
            start += 1 << UInt64(level)
        }
        return nodes
    }
}
