/// Reads the log's stored hashes by stored-hash index (`MerkleTree.storedHashIndex(level:n:)`).
///
/// Contract: return exactly one hash per requested index, in the order requested, or throw.
/// Every function here asks with a single call per operation and with indexes in ascending
/// order, so sequential storage can serve it in one pass. A reader that returns a wrong count
/// gets `MerkleLogError.Code.readerContract`, never a crash. Readers used by the auditor must not
/// be trusted for more than that: proofs they help build are checked against signed roots.
public protocol HashReader {
    func readHashes(_ indexes: [Int64]) throws -> [Hash]
}

/// An array of all stored hashes, indexed by stored-hash index: the simplest reader, for tests and
/// for small trees held in memory.
extension Array: HashReader where Element == Hash {
    public func readHashes(_ indexes: [Int64]) throws -> [Hash] {
        try indexes.map { index throws(MerkleLogError) in
            guard index >= 0, index < Int64(count) else {
                throw MerkleLogError(
                    .invalidArgument, "stored hash \(index) is not among the \(count) hashes held in memory")
            }
            return self[Int(index)]
        }
    }
}

extension HashReader {
    /// `readHashes` with its contract checked.
    func readExactly(_ indexes: [Int64]) throws -> [Hash] {
        if indexes.isEmpty { return [] }
        let hashes = try readHashes(indexes)
        guard hashes.count == indexes.count else {
            throw MerkleLogError(
                .readerContract,
                "hash reader returned \(hashes.count) hashes for \(indexes.count) indexes; fix the reader")
        }
        return hashes
    }
}
