import Foundation
public import LedgerFormats
import MerkleLog

/// Follows a log's checkpoint (`tamga-audit watch`): each new one must be signed by the genesis
/// key and extend the last one seen, by a consistency proof built from the tiles. A smaller
/// tree is a rollback; the same size with another root, or a larger tree that does not extend
/// the old one, is a split view (the log shows different histories to different readers).
/// With a witness policy, each checkpoint must also carry its quorum. Each poll also reads
/// `/blocks/latest`: a day that ended more than `grace` ago without its block is an alarm.
public struct CheckpointWatch: Sendable {
    public let source: any AuditSource
    /// How long after a day ends its block may take to appear (ms).
    public var grace: Int64 = 3_600_000
    /// The auditor's clock, ms since the epoch.
    public var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    private let log: PublicLog
    private var verifier: NoteVerifier { log.verifier }
    private let witnesses: WitnessRequirement
    private let tiles: TileStore
    private var last: VerifiedCheckpoint?

    /// One poll's outcome.
    public struct Observation: Codable, Sendable, Hashable {
        public enum Change: String, Codable, Sendable {
            case first, unchanged, grew
        }

        public let size: UInt64
        public let rootHash: String
        public let change: Change
        /// The size seen at the previous poll (nil at the first).
        public let previousSize: UInt64?
        public let cosigners: Cosigners
    }

    public init(source: any AuditSource, genesis: Genesis, witnesses: WitnessRequirement = .none) throws(AuditError) {
        self.source = source
        self.log = try PublicLog(source: source, genesis: genesis)
        self.witnesses = witnesses
        self.tiles = TileStore(source: source, referenceSize: 0)
    }

    /// Fetches the checkpoint and checks it against the last one seen. Throws
    /// `verificationFailed` for a bad signature, a rollback or a split view, `unavailable` when
    /// the source cannot be read (the watch may go on).
    public mutating func poll() async throws(AuditError) -> Observation {
        guard let bytes = try await source.fetch("checkpoint", limit: ResourceLimit.note) else {
            throw AuditError(.unavailable, "the source \(source) serves no /checkpoint at the moment")
        }
        let next = try PublicLog.verifyCheckpoint(bytes, subject: "checkpoint", verifier: verifier, witnesses: witnesses)
        try witnesses.require(next.cosigners, subject: "checkpoint")
        let latest = try await log.latestBlock(quorum: false)
        try Obligations.checkSealed(
            blocks: latest.map { $0.height + 1 } ?? 0, latest: latest, calendar: log.calendar, now: now(), grace: grace)
        guard let last else {
            self.last = next
            return Observation(size: next.size, rootHash: next.rootHash.base64, change: .first, previousSize: nil, cosigners: next.cosigners)
        }
        guard next.size >= last.size else {
            throw AuditError(
                failed: "checkpoint", "treeSize", expected: ">= \(last.size)", found: "\(next.size)",
                "ROLLBACK: the log now shows a smaller tree than before (size \(last.size), root \(last.rootHash.base64))")
        }
        if next.size == last.size {
            guard next.rootHash == last.rootHash else {
                throw AuditError(
                    failed: "checkpoint", "root hash", expected: last.rootHash.base64, found: next.rootHash.base64,
                    "SPLIT VIEW: the log signed two different trees of size \(next.size)")
            }
            return Observation(size: next.size, rootHash: next.rootHash.base64, change: .unchanged, previousSize: last.size, cosigners: next.cosigners)
        }
        if last.size > 0 {
            tiles.raiseReferenceSize(to: next.size)
            let proof = try await tiles.withHashReader(treeSize: next.size) {
                try MerkleTree.consistencyProof(size1: last.size, size2: next.size, reader: $0)
            }
            do {
                try MerkleTree.verifyConsistency(
                    size1: last.size, size2: next.size, proof: proof, root1: last.rootHash, root2: next.rootHash)
            } catch {
                throw AuditError(
                    failed: "checkpoint", "consistency",
                    "SPLIT VIEW: the tree of size \(next.size) does not extend the one of size \(last.size) seen before: \(error.message)")
            }
        }
        self.last = next
        return Observation(size: next.size, rootHash: next.rootHash.base64, change: .grew, previousSize: last.size, cosigners: next.cosigners)
    }
}
