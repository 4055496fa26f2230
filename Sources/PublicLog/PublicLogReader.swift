public import LedgerFormats
public import MerkleLog

/// The state of a log as the public sees it: the latest signed checkpoint and the blocks sealed.
public struct LogHead: Sendable, Hashable {
    public let treeSize: UInt64
    public let rootHash: Hash
    /// The latest signed checkpoint, as published (with any cosignatures).
    public let checkpoint: SignedNote
    /// How many daily blocks are sealed: block heights are `0..<blockCount`.
    public let blockCount: UInt64
    /// When the checkpoint was signed (the time of the last entry it covers), if known: nil for
    /// the empty log's first checkpoint, or a replica that was not told.
    public let checkpointTime: Timestamp?
    /// The newest checkpoint whose witnesses' cosignatures meet the operator's policy, with
    /// them (docs/witnessing.md); nil before the first, or when no witness is configured.
    public let cosignedCheckpoint: SignedNote?

    public init(
        treeSize: UInt64, rootHash: Hash, checkpoint: SignedNote, blockCount: UInt64, checkpointTime: Timestamp?,
        cosignedCheckpoint: SignedNote? = nil
    ) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.checkpoint = checkpoint
        self.blockCount = blockCount
        self.checkpointTime = checkpointTime
        self.cosignedCheckpoint = cosignedCheckpoint
    }
}

/// Everything the public face of a log reads, and nothing else: the head and its signed
/// checkpoint, tree hashes (tiles, and through `HashReader` the nodes proofs need), block notes
/// by height, the leaf index of a leaf hash, compromise notices and the genesis. The node's
/// ledger implements it over its store; a mirror implements it over what it copied.
///
/// This is the privacy boundary of the public side: no method returns an entry, an owner, an
/// index by owner or a record of the HSM, and the modules that serve the public (`PublicAPI`,
/// `Explorer`) depend on this module alone, so the compiler keeps them from reaching one.
///
/// Contract: every method is safe to call concurrently from any thread, and reads committed
/// state only. What `head` reports is readable: the hashes of a tree of `head.treeSize`
/// leaves and the blocks `0..<head.blockCount`. A full tile's hashes never change.
public protocol PublicLogReader: HashReader, Sendable {
    var genesis: Genesis { get }
    var head: LogHead { get }
    /// Whether the log is being kept current (the node sequences; a mirror follows its source).
    var isLive: Bool { get }
    /// Consecutive tree hashes of one level from `index` (a tile's contents), stopping at the
    /// first one that is not stored.
    func hashes(level: Int, from index: UInt64, count: Int) throws -> [[UInt8]]
    /// The signed note of block `height` as published, or nil when it is not sealed.
    func blockNote(_ height: UInt64) throws -> [UInt8]?
    /// The index of the entry whose leaf hash this is, or nil.
    func leafIndex(of leafHash: Hash) throws -> UInt64?
    /// Every compromise notice (R13), oldest first. A stored record that is not exactly a
    /// notice is not returned: it is counted in `unpublished`, for the operator's log.
    func compromiseNotices() throws -> (notices: [CompromiseNotice], unpublished: [String])
}
