public import LedgerFormats
public import MerkleLog

/// What `append` returns once an entry is durable and covered by a signed checkpoint.
public struct Appended: Sendable, Hashable {
    public let seq: UInt64
    public let time: Timestamp
    public let leafHash: Hash
    /// The size of the signed checkpoint committed with the entry.
    public let treeSize: UInt64

    public init(seq: UInt64, time: Timestamp, leafHash: Hash, treeSize: UInt64) {
        self.seq = seq
        self.time = time
        self.leafHash = leafHash
        self.treeSize = treeSize
    }
}

/// A change to one of the HSM's own records (its wrapped keys, counters, consents, notices),
/// committed in the same atomic write as the events that explain it: the HSM's state and its
/// journal never disagree.
public enum RecordWrite: Sendable, Hashable {
    case put(String, [UInt8])
    case delete(String)
}

/// What the HSM needs of the journal, and nothing more: append its events together with its
/// record writes, and read its records back. The ledger implements it over the LevelDB store;
/// tests use an in-memory one. SignCore sees no entry, no tree and no other module's state.
///
/// Contract:
/// - `append` writes `events`, in order, as consecutive entries, and applies `records`, in one
///   atomic and durable write, and returns one `Appended` per event in the same order (their
///   `seq`s are consecutive). It returns only when the write is durable and covered by a
///   signed checkpoint; if it throws, nothing of the call was acknowledged (after a failed
///   write the outcome is unknown, and the journal stops until it is restarted).
/// - `record` and `records(prefix:)` return what the last acknowledged `append` left, and are
///   safe to call from any thread at any time.
public protocol HSMJournal: Sendable {
    func append(_ events: [EventRecord], records: [RecordWrite]) async throws -> [Appended]
    func record(_ name: String) throws -> [UInt8]?
    /// Every record whose name starts with `prefix`, in name order.
    func records(prefix: String) throws -> [(name: String, value: [UInt8])]
    /// Removes the earlier values of a record from storage (files, logs), so that what a
    /// destroy overwrote cannot be read back from the disk.
    func eraseHistory(ofRecord name: String) async throws
}
