// The stored-hash layout of golang.org/x/mod/sumdb/tlog (Crosby and Wallach, "Efficient Data
// Structures for Tamper-Evident Logging", section 3.3): every hash of every complete subtree is
// stored once, in the order appends create them, so appending record n writes 1 + (number of
// trailing 1 bits of n) hashes right after those of record n - 1.

extension MerkleTree {
    /// The storage index of the hash at tree `level` (0 = leaves), position `n` within the level.
    ///
    /// - Precondition: `level` in 0...62 and `n < maxSize >> level` (a node of a tree of at most
    ///   `maxSize` leaves); the functions that take sizes from outside check this first.
    public static func storedHashIndex(level: Int, n: UInt64) -> Int64 {
        precondition(level >= 0 && level <= 62 && n < maxSize >> level, "MerkleLog: node out of range")
        // Level L's n'th hash is written right after level L-1's (2n+1)'th, and so on down to
        // level 0, whose m'th hash sits at m + m/2 + m/4 + ... = 2m - popcount(m).
        let m = ((n + 1) << level) - 1
        return Int64(2 * m - UInt64(m.nonzeroBitCount)) + Int64(level)
    }

    /// The inverse of `storedHashIndex(level:n:)`.
    ///
    /// - Precondition: `index` is a stored-hash index of a tree of at most `maxSize` leaves
    ///   (`0 <= index < storedHashCount(maxSize)`).
    public static func splitStoredHashIndex(_ index: Int64) -> (level: Int, n: UInt64) {
        precondition(index >= 0 && index < storedHashCount(maxSize), "MerkleLog: stored hash index out of range")
        // storedHashIndex(0, n) <= 2n, so the record that wrote `index` is at least index/2,
        // and at most log2(index) records further.
        var n = UInt64(index / 2)
        var indexN = storedHashIndex(level: 0, n: n)
        while true {
            // Record n wrote 1 + trailingOnes(n) hashes starting at indexN.
            let next = indexN + 1 + Int64((~n).trailingZeroBitCount)
            if next > index { break }
            n += 1
            indexN = next
        }
        let level = Int(index - indexN)
        return (level, n >> level)
    }

    /// How many hashes a tree of `size` leaves stores; also the storage index of leaf `size`.
    ///
    /// - Precondition: `size <= maxSize`.
    public static func storedHashCount(_ size: UInt64) -> Int64 {
        precondition(size <= maxSize, "MerkleLog: tree size out of range")
        return Int64(2 * size - UInt64(size.nonzeroBitCount))
    }

    /// The hashes to store when appending record `n` with `leafHash`: the leaf hash, then the roots
    /// of the subtrees it completes, bottom up. They go at `storedHashIndex(level: 0, n: n)` on.
    /// Reads the left siblings (at most 62) from `reader` in one call.
    public static func storedHashes(n: UInt64, leafHash: Hash, reader: some HashReader) throws -> [Hash] {
        try checkSize(n, "record index")
        guard n < maxSize else {
            throw MerkleLogError(.invalidArgument, "record \(n) would exceed the largest supported tree")
        }
        // Each trailing 1 bit of n is a subtree completed by this record; its left sibling at
        // level i is node (n >> i) - 1. Ask for them in ascending storage order.
        let completed = (~n).trailingZeroBitCount
        let indexes = (0..<completed).reversed().map { storedHashIndex(level: $0, n: (n >> $0) - 1) }
        let siblings = try reader.readExactly(indexes)
        var hashes = [leafHash]
        hashes.reserveCapacity(1 + completed)
        var hash = leafHash
        for sibling in siblings.reversed() {
            hash = nodeHash(sibling, hash)
            hashes.append(hash)
        }
        return hashes
    }

    /// The hashes to store when appending a batch of records, computed in one pass.
    ///
    /// `leafHashes` are those of records `n ..< n + leafHashes.count`. The hashes the batch itself
    /// produces are never read back; `reader` is asked once, for the at most 62 subtree roots of
    /// the tree of size `n` (all of them, because the new root needs them too). The result equals
    /// calling `storedHashes(n:leafHash:reader:)` for each record in turn.
    public static func storedHashes(
        n: UInt64, leafHashes: some Collection<Hash>, reader: some HashReader
    ) throws -> StoredHashBatch {
        try checkSize(n, "tree size")
        let newSize = n + UInt64(leafHashes.count)  // cannot overflow: n <= 2^62, count < 2^63
        try checkSize(newSize, "tree size after the batch")

        // The stack holds the roots of the perfect subtrees of the tree so far, largest first.
        var stack = try reader.readExactly(subtreeIndexes(0, n))
        stack.reserveCapacity(64)
        let startIndex = storedHashCount(n)
        var hashes: [Hash] = []
        hashes.reserveCapacity(Int(storedHashCount(newSize) - startIndex))
        var record = n
        for leafHash in leafHashes {
            var hash = leafHash
            hashes.append(hash)
            for _ in 0..<(~record).trailingZeroBitCount {
                hash = nodeHash(stack.removeLast(), hash)
                hashes.append(hash)
            }
            stack.append(hash)
            record += 1
        }
        return StoredHashBatch(startIndex: startIndex, hashes: hashes, treeSize: newSize, rootHash: foldSubtrees(stack))
    }

    /// The root of the tree of `size` leaves, from at most 62 stored hashes read in one call.
    /// The empty tree's root is `emptyRoot` (RFC 9162; x/mod returns all zeros there).
    public static func treeHash(size: UInt64, reader: some HashReader) throws -> Hash {
        try checkSize(size, "tree size")
        return foldSubtrees(try reader.readExactly(subtreeIndexes(0, size)))
    }

    /// Storage indexes of the perfect subtrees that make up leaves [lo, hi), largest first.
    /// `lo` must be aligned to the first of them (true wherever the proofs below call it).
    static func subtreeIndexes(_ lo: UInt64, _ hi: UInt64, into need: inout [Int64]) {
        var lo = lo
        while lo < hi {
            let level = (hi - lo).floorLog2
            need.append(storedHashIndex(level: level, n: lo >> level))
            lo += 1 << level
        }
    }

    static func subtreeIndexes(_ lo: UInt64, _ hi: UInt64) -> [Int64] {
        var need: [Int64] = []
        subtreeIndexes(lo, hi, into: &need)
        return need
    }

    /// The hash of leaves [lo, hi) from the hashes `subtreeIndexes(lo, hi)` asked for, taken from
    /// `hashes` at `cursor`, which it advances.
    static func subtreeHash(_ lo: UInt64, _ hi: UInt64, _ hashes: [Hash], _ cursor: inout Int) -> Hash {
        var count = 0
        var lo = lo
        while lo < hi {
            lo += 1 << (hi - lo).floorLog2
            count += 1
        }
        let hash = foldSubtrees(hashes[cursor..<cursor + count])
        cursor += count
        return hash
    }
}

/// What appending a batch of records stores: `hashes[i]` goes at storage index `startIndex + i`.
public struct StoredHashBatch: Hashable, Sendable {
    /// The storage index of `hashes[0]`: `storedHashCount` of the tree before the batch.
    public let startIndex: Int64
    /// The new hashes, in storage order (contiguous).
    public let hashes: [Hash]
    /// The tree size after the batch.
    public let treeSize: UInt64
    /// The root of the tree after the batch.
    public let rootHash: Hash

    /// The storage indexes of `hashes`.
    public var indexes: Range<Int64> { startIndex..<startIndex + Int64(hashes.count) }
}
