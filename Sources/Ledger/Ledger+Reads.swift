public import HSMBoundary
import Dispatch
import Journal
public import LedgerFormats
public import MerkleLog
public import PublicLog

extension Ledger {
    /// The entry's canonical bytes, or nil past the end (or after retention pruned it).
    public func entry(_ seq: UInt64) throws -> [UInt8]? { try store.entry(seq) }

    /// Consecutive entries from `from`, at most `count`, stopping at the first missing one.
    public func entries(from: UInt64, count: Int) throws -> [[UInt8]] { try store.entries(from: from, count: count) }

    /// The receipt (C2SP tlog-proof) of entry `seq`: against the newest checkpoint the
    /// witnesses' quorum cosigned when it covers the entry (the receipt then checks offline
    /// against the witnesses too), else against the latest checkpoint.
    public func receipt(seq: UInt64) throws -> Receipt {
        let head = self.head
        guard seq < head.treeSize else {
            throw LedgerError(.notFound, "there is no entry \(seq): the log has \(head.treeSize) entries")
        }
        guard let entry = try store.entry(seq) else {
            throw LedgerError(.notFound, "entry \(seq) has no content any more (pruned after its retention period)")
        }
        var (note, size) = (head.checkpoint, head.treeSize)
        if let cosigned = head.cosignedCheckpoint, let cosignedSize = try? Checkpoint(text: cosigned.text).size, cosignedSize > seq {
            (note, size) = (cosigned, cosignedSize)
        }
        let proof = try MerkleTree.inclusionProof(index: seq, size: size, reader: StoreHashReader(store))
        return try Receipt(entry: entry, index: seq, proof: proof.map(\.bytes), note: note)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves (default: the latest).
    public func inclusionProof(index: UInt64, size: UInt64? = nil) throws -> (size: UInt64, proof: [Hash]) {
        let latest = head.treeSize
        let size = size ?? latest
        guard size <= latest else {
            throw LedgerError(.notFound, "tree size \(size) is beyond the latest checkpoint (\(latest))")
        }
        guard index < size else {
            throw LedgerError(.notFound, "leaf index \(index) is not in a tree of \(size) leaves")
        }
        return (size, try MerkleTree.inclusionProof(index: index, size: size, reader: StoreHashReader(store)))
    }

    /// The consistency proof between the trees of `from` and `to` leaves (0 < from <= to <= latest).
    public func consistencyProof(from: UInt64, to: UInt64) throws -> [Hash] {
        let latest = head.treeSize
        guard from > 0, from <= to, to <= latest else {
            throw LedgerError(.notFound, "a consistency proof needs 0 < from <= to <= \(latest), got from=\(from) to=\(to)")
        }
        return try MerkleTree.consistencyProof(size1: from, size2: to, reader: StoreHashReader(store))
    }

    /// The seqs of an owner's entries, newest first, below `before` (the personal cabinet).
    public func seqs(owner: String, before: UInt64 = .max, limit: Int) throws -> [UInt64] {
        try store.seqs(owner: owner, before: before, limit: limit)
    }

    /// Every key and value of the store from one snapshot, in key order: what an HSM backup
    /// archives. Consistent with itself while the writer runs.
    public func forEachStoreRecord(_ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Void) throws {
        try store.forEachRaw(body)
    }

    /// Whether the chain was made as a development chain (`tamga node --dev`, `tamga demo`):
    /// only such a chain takes key events from the command line (`journal append`, `demo`).
    public var isDevelopmentChain: Bool {
        get throws { try store.isDevelopment() }
    }
}

/// The public face reads the ledger through this and nothing else.
extension Ledger: PublicLogReader {
    public var isLive: Bool { isSequencing }

    public func hashes(level: Int, from index: UInt64, count: Int) throws -> [[UInt8]] {
        try store.hashes(level: level, from: index, count: count)
    }

    public func readHashes(_ indexes: [Int64]) throws -> [Hash] { try StoreHashReader(store).readHashes(indexes) }

    public func blockNote(_ height: UInt64) throws -> [UInt8]? { try store.block(height) }

    public func leafIndex(of leafHash: Hash) throws -> UInt64? { try store.seq(forLeafHash: leafHash.bytes) }

    public func compromiseNotices() throws -> (notices: [CompromiseNotice], unpublished: [String]) {
        var notices: [CompromiseNotice] = []
        var unpublished: [String] = []
        for (name, value) in try store.records(prefix: CompromiseNotice.recordPrefix) {
            if let notice = try? CompromiseNotice(parsing: value) {
                notices.append(notice)
            } else {
                unpublished.append(name)
            }
        }
        return (notices, unpublished)
    }
}

/// The HSM journals its events and keeps its records through this.
extension Ledger: HSMJournal {
    public func record(_ name: String) throws -> [UInt8]? { try store.record(name) }

    public func records(prefix: String) throws -> [(name: String, value: [UInt8])] { try store.records(prefix: prefix) }

    /// Compacts the store over the record (LevelDB rewrites its log and the table files that
    /// hold it), off the cooperative pool: the old values leave every file of the store.
    public func eraseHistory(ofRecord name: String) async throws {
        let store = self.store
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                store.compactRecord(name)
                done.resume()
            }
        }
    }
}
