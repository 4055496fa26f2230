public import LedgerFormats
public import PublicLog

/// What the service layer reads of the journal: an owner's entries for the personal cabinet
/// and receipts, and the head for the operator's status. It cannot append: every event of the
/// service API is journaled by SignCore. The node passes its ledger.
public protocol ServiceJournal: Sendable {
    var head: LogHead { get }
    var isSequencing: Bool { get }
    /// The seqs of an owner's entries, newest first, below `before`.
    func seqs(owner: String, before: UInt64, limit: Int) throws -> [UInt64]
    /// The entry's canonical bytes, or nil (past the end, or pruned).
    func entry(_ seq: UInt64) throws -> [UInt8]?
    /// The receipt of entry `seq` against the latest checkpoint.
    func receipt(seq: UInt64) throws -> Receipt
}
