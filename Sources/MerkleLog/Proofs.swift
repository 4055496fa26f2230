// Proof construction, a port of x/mod/sumdb/tlog's ProveRecord and ProveTree: first list the
// stored hashes a proof needs (so the reader is called once), then walk the same recursion again
// consuming them. Recursion depth is at most 62.

extension MerkleTree {
    /// The RFC 9162 inclusion proof (audit path) of leaf `index` in the tree of `size` leaves,
    /// from the leaf's sibling up.
    public static func inclusionProof(index: UInt64, size: UInt64, reader: some HashReader) throws -> [Hash] {
        try checkSize(size, "tree size")
        guard index < size else {
            throw MerkleLogError(
                .invalidArgument, "leaf \(index) is not in a tree of size \(size); ask for an index below the size")
        }
        var need: [Int64] = []
        inclusionIndexes(0, size, index, into: &need)
        let hashes = try reader.readExactly(need)
        var cursor = 0
        var proof: [Hash] = []
        proof.reserveCapacity(64)
        buildInclusion(0, size, index, hashes, &cursor, into: &proof)
        return proof
    }

    /// The RFC 9162 consistency proof that the tree of `size1` leaves is a prefix of the tree of
    /// `size2` leaves. Empty when the sizes are equal. A proof from the empty tree is meaningless
    /// (RFC 9162 section 2.1.4) and refused, as verifiers refuse it.
    public static func consistencyProof(size1: UInt64, size2: UInt64, reader: some HashReader) throws -> [Hash] {
        try checkSize(size2, "tree size")
        guard size1 > 0, size1 <= size2 else {
            throw MerkleLogError(
                .invalidArgument,
                "no consistency proof from size \(size1) to size \(size2): need 0 < size1 <= size2")
        }
        var need: [Int64] = []
        consistencyIndexes(0, size2, size1, into: &need)
        let hashes = try reader.readExactly(need)
        var cursor = 0
        var proof: [Hash] = []
        proof.reserveCapacity(64)
        buildConsistency(0, size2, size1, hashes, &cursor, into: &proof)
        return proof
    }

    /// Indexes for the proof that leaf n is in the subtree of leaves [lo, hi).
    private static func inclusionIndexes(_ lo: UInt64, _ hi: UInt64, _ n: UInt64, into need: inout [Int64]) {
        if lo + 1 == hi { return }
        let k = UInt64(1) << (hi - lo - 1).floorLog2  // largest power of two below hi - lo
        if n < lo + k {
            inclusionIndexes(lo, lo + k, n, into: &need)
            subtreeIndexes(lo + k, hi, into: &need)
        } else {
            subtreeIndexes(lo, lo + k, into: &need)
            inclusionIndexes(lo + k, hi, n, into: &need)
        }
    }

    private static func buildInclusion(
        _ lo: UInt64, _ hi: UInt64, _ n: UInt64, _ hashes: [Hash], _ cursor: inout Int, into proof: inout [Hash]
    ) {
        // At the leaf: the verifier has its hash already.
        if lo + 1 == hi { return }
        // Walk down toward n; the proof records the side not taken, deepest first.
        let k = UInt64(1) << (hi - lo - 1).floorLog2
        if n < lo + k {
            buildInclusion(lo, lo + k, n, hashes, &cursor, into: &proof)
            proof.append(subtreeHash(lo + k, hi, hashes, &cursor))
        } else {
            let left = subtreeHash(lo, lo + k, hashes, &cursor)
            buildInclusion(lo + k, hi, n, hashes, &cursor, into: &proof)
            proof.append(left)
        }
    }

    /// Indexes for the part of the consistency proof inside the subtree of leaves [lo, hi),
    /// where n (lo < n <= hi) is the old size.
    private static func consistencyIndexes(_ lo: UInt64, _ hi: UInt64, _ n: UInt64, into need: inout [Int64]) {
        if n == hi {
            if lo != 0 { subtreeIndexes(lo, hi, into: &need) }
            return
        }
        let k = UInt64(1) << (hi - lo - 1).floorLog2
        if n <= lo + k {
            consistencyIndexes(lo, lo + k, n, into: &need)
            subtreeIndexes(lo + k, hi, into: &need)
        } else {
            subtreeIndexes(lo, lo + k, into: &need)
            consistencyIndexes(lo + k, hi, n, into: &need)
        }
    }

    private static func buildConsistency(
        _ lo: UInt64, _ hi: UInt64, _ n: UInt64, _ hashes: [Hash], _ cursor: inout Int, into proof: inout [Hash]
    ) {
        if n == hi {
            // Common ground. The whole old tree is known to the verifier; a right part of it is not.
            if lo != 0 { proof.append(subtreeHash(lo, hi, hashes, &cursor)) }
            return
        }
        let k = UInt64(1) << (hi - lo - 1).floorLog2
        if n <= lo + k {
            buildConsistency(lo, lo + k, n, hashes, &cursor, into: &proof)
            proof.append(subtreeHash(lo + k, hi, hashes, &cursor))
        } else {
            let left = subtreeHash(lo, lo + k, hashes, &cursor)
            buildConsistency(lo + k, hi, n, hashes, &cursor, into: &proof)
            proof.append(left)
        }
    }
}
