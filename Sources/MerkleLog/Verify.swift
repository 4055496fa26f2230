// Proof verification with the semantics of transparency-dev/merkle proof/verify.go (the test
// vectors encode them): the proof length is checked exactly against what the sizes require, and
// the roots are recomputed with bit arithmetic on the indexes instead of recursion.

extension MerkleTree {
    /// Checks that `proof` shows leaf `index` with `leafHash` in the tree of `size` leaves whose
    /// root is `root`. Throws `invalidArgument` if index >= size, `wrongProofLength` if the proof
    /// does not have exactly the hashes the sizes require, `rootMismatch` if it leads elsewhere.
    public static func verifyInclusion(
        index: UInt64, size: UInt64, leafHash: Hash, proof: [Hash], root: Hash
    ) throws(MerkleLogError) {
        let computed = try rootFromInclusionProof(index: index, size: size, leafHash: leafHash, proof: proof)
        guard computed == root else {
            throw MerkleLogError(
                .rootMismatch,
                "inclusion proof for leaf \(index) in tree size \(size) leads to root \(computed), not \(root): "
                    + "the leaf hash, the proof or the root is wrong, or they come from different trees")
        }
    }

    /// The root that an inclusion proof implies; `verifyInclusion` compares it with the expected
    /// one. Useful to report what a bad proof does prove.
    public static func rootFromInclusionProof(
        index: UInt64, size: UInt64, leafHash: Hash, proof: [Hash]
    ) throws(MerkleLogError) -> Hash {
        guard index < size else {
            throw MerkleLogError(.invalidArgument, "leaf index \(index) is not below the tree size \(size)")
        }
        let (inner, border) = decomposeInclusion(index, size)
        guard proof.count == inner + border else {
            throw MerkleLogError(
                .wrongProofLength,
                "inclusion proof for leaf \(index) in tree size \(size) must have \(inner + border) hashes, "
                    + "not \(proof.count): it was made for another index or size, or was cut or padded")
        }
        let hash = chainInner(leafHash, proof[..<inner], index)
        return chainBorderRight(hash, proof[inner...])
    }

    /// Checks that `proof` shows the tree of `size1` leaves with root `root1` to be a prefix of
    /// the tree of `size2` leaves with root `root2`. Equal sizes need an empty proof and equal
    /// roots. Size 0 is refused even when both sizes are 0: a proof from the empty tree proves
    /// nothing (transparency-dev semantics; C2SP tlog-witness instead accepts an empty proof
    /// from 0, which callers implementing a witness must special-case themselves).
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, proof: [Hash], root1: Hash, root2: Hash
    ) throws(MerkleLogError) {
        guard size1 <= size2 else {
            throw MerkleLogError(
                .invalidArgument, "size1 \(size1) is above size2 \(size2): a tree cannot be a prefix of a smaller one")
        }
        guard size1 > 0 else {
            throw MerkleLogError(
                .invalidArgument, "a consistency proof from the empty tree is meaningless; check size2's root directly")
        }
        if size1 == size2 {
            guard proof.isEmpty else {
                throw MerkleLogError(
                    .wrongProofLength,
                    "sizes are equal (\(size1)), so the proof must be empty, not \(proof.count) hashes")
            }
            guard root1 == root2 else {
                throw MerkleLogError(
                    .rootMismatch,
                    "roots \(root1) and \(root2) differ for the same tree size \(size1): "
                        + "if the log signed both, it forked")
            }
            return
        }
        // Now 0 < size1 < size2. The proof is a suffix of the inclusion proof of leaf size1 - 1 in
        // tree size2, starting at the level of the largest perfect subtree ending at size1.
        var (inner, border) = decomposeInclusion(size1 - 1, size2)
        let shift = size1.trailingZeroBitCount
        inner -= shift  // shift < inner because size1 < size2.

        // The proof starts with that subtree's root, unless it is the whole old tree.
        let seed: Hash
        let start: Int
        if size1 == 1 << shift {
            (seed, start) = (root1, 0)
        } else {
            guard let first = proof.first else {
                throw MerkleLogError(.wrongProofLength, "consistency proof from size \(size1) to \(size2) is empty")
            }
            (seed, start) = (first, 1)
        }
        guard proof.count == start + inner + border else {
            throw MerkleLogError(
                .wrongProofLength,
                "consistency proof from size \(size1) to \(size2) must have \(start + inner + border) hashes, "
                    + "not \(proof.count): it was made for other sizes, or was cut or padded")
        }
        let path = proof[start...]
        let innerPath = path.prefix(inner)
        let borderPath = path.dropFirst(inner)
        let mask = (size1 - 1) >> shift

        let computed1 = chainBorderRight(chainInnerRight(seed, innerPath, mask), borderPath)
        guard computed1 == root1 else {
            throw MerkleLogError(
                .rootMismatch,
                "consistency proof from size \(size1) to \(size2) leads to old root \(computed1), not \(root1): "
                    + "the proof or the old root is wrong")
        }
        let computed2 = chainBorderRight(chainInner(seed, innerPath, mask), borderPath)
        guard computed2 == root2 else {
            throw MerkleLogError(
                .rootMismatch,
                "consistency proof from size \(size1) to \(size2) leads to new root \(computed2), not \(root2): "
                    + "the proof or the new root is wrong, or the log is not append-only")
        }
    }

    /// Splits an inclusion proof's length into the levels below the point where the paths to leaf
    /// `index` and to the last leaf part (inner) and the left siblings above it (border).
    private static func decomposeInclusion(_ index: UInt64, _ size: UInt64) -> (inner: Int, border: Int) {
        let inner = 64 - (index ^ (size - 1)).leadingZeroBitCount
        let border = (index >> inner).nonzeroBitCount
        return (inner, border)
    }

    /// Hashes `seed` up through `proof`, the side at each level given by the bits of `index`.
    private static func chainInner(_ seed: Hash, _ proof: ArraySlice<Hash>, _ index: UInt64) -> Hash {
        var hash = seed
        for (level, sibling) in proof.enumerated() {
            hash = (index >> level) & 1 == 0 ? nodeHash(hash, sibling) : nodeHash(sibling, hash)
        }
        return hash
    }

    /// Like `chainInner`, but only the levels where `seed` is a right child: the old tree's view.
    private static func chainInnerRight(_ seed: Hash, _ proof: ArraySlice<Hash>, _ index: UInt64) -> Hash {
        var hash = seed
        for (level, sibling) in proof.enumerated() where (index >> level) & 1 == 1 {
            hash = nodeHash(sibling, hash)
        }
        return hash
    }

    /// Hashes `seed` as the right child of every remaining proof hash.
    private static func chainBorderRight(_ seed: Hash, _ proof: ArraySlice<Hash>) -> Hash {
        var hash = seed
        for sibling in proof {
            hash = nodeHash(sibling, hash)
        }
        return hash
    }
}
