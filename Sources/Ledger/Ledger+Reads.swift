import Journal
public import LedgerFormats
public import MerkleLog

extension Ledger {
    /// The entry's canonical bytes, or nil past the end (or after retention pruned it).
    public func entry(_ seq: UInt64) throws -> [UInt8]? { try store.entry(seq) }

    /// Entries `from ..< from + count` that exist, as stored.
    public func entries(from: UInt64, count: Int) throws -> [[UInt8]] { try store.entries(from: from, count: count) }

    /// The receipt (C2SP tlog-proof) of entry `seq` against the latest checkpoint.
    public func receipt(seq: UInt64) throws -> Receipt {
        let head = current
        guard seq < head.treeSize else {
            throw LedgerError(.notFound, "there is no entry \(seq): the log has \(head.treeSize) entries")
        }
        guard let entry = try store.entry(seq) else {
            throw LedgerError(.notFound, "entry \(seq) has no content any more (pruned after its retention period)")
        }
        let proof = try MerkleTree.inclusionProof(index: seq, size: head.treeSize, reader: StoreHashReader(store))
        return try Receipt(entry: entry, index: seq, proof: proof.map(\.bytes), note: head.checkpoint)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves (default: the latest).
    public func inclusionProof(index: UInt64, size: UInt64? = nil) throws -> (size: UInt64, proof: [Hash]) {
        let size = size ?? current.treeSize
        guard size <= current.treeSize else {
            throw LedgerError(.notFound, "tree size \(size) is beyond the latest checkpoint (\(current.treeSize))")
        }
        guard index < size else {
            throw LedgerError(.notFound, "leaf index \(index) is not in a tree of \(size) leaves")
        }
        return (size, try MerkleTree.inclusionProof(index: index, size: size, reader: StoreHashReader(store)))
    }

    /// The consistency proof between the trees of `from` and `to` leaves (0 < from <= to <= latest).
    public func consistencyProof(from: UInt64, to: UInt64) throws -> [Hash] {
        guard from > 0, from <= to, to <= current.treeSize else {
            throw LedgerError(.notFound, "a consistency proof needs 0 < from <= to <= \(current.treeSize), got from=\(from) to=\(to)")
        }
        return try MerkleTree.consistencyProof(size1: from, size2: to, reader: StoreHashReader(store))
    }

    /// The signed note of block `height`, as published.
    public func blockNote(_ height: UInt64) throws -> [UInt8]? { try store.block(height) }

    /// The seq of the entry with this leaf hash.
    public func seq(forLeafHash hash: Hash) throws -> UInt64? { try store.seq(forLeafHash: hash.bytes) }

    /// A module's own record (see `RecordWrite`), as last committed.
    public func record(_ name: String) throws -> [UInt8]? { try store.record(name) }

    /// Every record whose name starts with `prefix`, in name order.
    public func records(prefix: String) throws -> [(name: String, value: [UInt8])] { try store.records(prefix: prefix) }

    /// Consecutive hashes of one tree level (a tile's contents), as stored.
    public func hashes(level: Int, from index: UInt64, count: Int) throws -> [[UInt8]] {
        try store.hashes(level: level, from: index, count: count)
    }

    /// The seqs of an owner's entries, newest first, below `before` (the personal cabinet).
    public func seqs(owner: String, before: UInt64 = .max, limit: Int) throws -> [UInt64] {
        try store.seqs(owner: owner, before: before, limit: limit)
    }
}
