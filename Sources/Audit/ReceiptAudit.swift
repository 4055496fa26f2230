public import LedgerFormats
import MerkleLog

/// Verifies an event's receipt (`tamga-audit receipt`): offline, that the log's key signed its
/// checkpoint and that the entry is in that checkpoint's tree; with a source, also that this
/// checkpoint is consistent with the public chain: with the block that closed the entry's day,
/// or with the latest checkpoint while that day is open. The consistency proof is built from
/// the tiles, so the server cannot choose it.
///
/// With a witness policy, the receipt must reach a tree the policy's quorum cosigned: its own
/// checkpoint's cosignatures (offline), or with a source a cosigned block or checkpoint it is
/// consistent with.
public struct ReceiptAudit: Sendable {
    public let receipt: [UInt8]
    public let genesis: Genesis
    public let source: (any AuditSource)?
    public let witnesses: WitnessRequirement

    public init(receipt: [UInt8], genesis: Genesis, source: (any AuditSource)? = nil, witnesses: WitnessRequirement = .none) {
        self.receipt = receipt
        self.genesis = genesis
        self.source = source
        self.witnesses = witnesses
    }

    public func run() async throws(AuditError) -> ReceiptReport {
        do {
            return try await audit()
        } catch {
            throw AuditError.wrapping(error, "receipt audit")
        }
    }

    private func audit() async throws -> ReceiptReport {
        let receipt: Receipt
        do {
            receipt = try Receipt(parsing: self.receipt)
        } catch {
            throw AuditError(failed: "receipt", "format", "not a c2sp.org/tlog-proof@v1 receipt: \(error.message)")
        }
        let verifier: NoteVerifier
        do {
            verifier = try NoteVerifier(verifierKey: genesis.verifierKey)
        } catch {
            throw AuditError(.invalidInput, "the genesis verifier key is unusable: \(error.message)")
        }
        let checkpoint = try PublicLog.verifyCheckpoint(
            Array(receipt.note.formatted.utf8), subject: "receipt checkpoint", verifier: verifier, witnesses: witnesses)

        let leafHash = MerkleTree.leafHash(receipt.entry)
        let proof = receipt.proof.compactMap { Hash($0) }
        do {
            try MerkleTree.verifyInclusion(
                index: receipt.index, size: checkpoint.size, leafHash: leafHash, proof: proof, root: checkpoint.rootHash)
        } catch {
            throw AuditError(
                failed: "receipt", "inclusion", expected: checkpoint.rootHash.base64,
                found: (try? MerkleTree.rootFromInclusionProof(
                    index: receipt.index, size: checkpoint.size, leafHash: leafHash, proof: proof))?.base64,
                "the entry is not at index \(receipt.index) of the signed tree: \(error.message)")
        }
        let entry: Entry
        do {
            entry = try Entry(parsing: receipt.entry)
        } catch {
            throw AuditError(failed: "receipt entry", "format", "the receipt's entry is not a canonical journal entry: \(error.message)")
        }
        guard entry.seq == Int64(receipt.index) else {
            throw AuditError(
                failed: "receipt entry", "seq", expected: "\(receipt.index)", found: "\(entry.seq)",
                "the entry states another position than the one it is proved at")
        }

        var boundTo: String? = nil
        if let source {
            boundTo = try await bind(entry: entry, index: receipt.index, checkpoint: checkpoint, source: source)
        } else {
            try witnesses.require(
                checkpoint.cosigners, subject: "receipt checkpoint",
                detail: "give --url or --dir to bind the receipt to a cosigned block or checkpoint of the public chain")
        }
        return ReceiptReport(
            index: receipt.index, event: entry.event.rawValue, time: entry.time.rfc3339Milliseconds,
            leafHash: leafHash.base64, checkpointSize: checkpoint.size, checkpointRoot: checkpoint.rootHash.base64,
            checkpointCosigners: checkpoint.cosigners, boundTo: boundTo, warnings: entry.event.isKnown ? [] : [AuditWarning(unknownEvent: entry.event, at: receipt.index)])
    }

    /// Checks the receipt's checkpoint against the block of the entry's day, or the latest
    /// checkpoint while the day is open; returns what it was bound to.
    private func bind(entry: Entry, index: UInt64, checkpoint: VerifiedCheckpoint, source: any AuditSource) async throws -> String {
        // Through `log`, the block of the entry's day and the served checkpoint carry the
        // quorum, if demanded (the latest block only bounds the search).
        let log = try PublicLog(source: source, genesis: genesis, witnesses: witnesses)
        try await log.checkGenesis()
        let latest = try await log.latestBlock(quorum: false)
        let head = try await log.checkpoint()
        var reference = head
        // A node with witnesses whose served checkpoint lags: its newest one covers the receipt's.
        if checkpoint.size > head.size, let newest = try await log.newestCheckpoint(), newest.size >= checkpoint.size {
            reference = newest
        }
        let tiles = TileStore(source: source, referenceSize: reference.size)
        if reference.size > head.size {
            try await checkConsistency(head, reference, tiles: tiles, subject: "checkpoint", what: "the newest checkpoint")
        }

        // The block whose stated day holds the entry's time, starting from this machine's calendar.
        let time = entry.time.millisecondsSinceEpoch
        var height: Int64
        do {
            height = try log.calendar.height(containing: entry.time)
        } catch {
            throw AuditError(
                failed: "receipt entry", "time", found: entry.time.rfc3339Milliseconds,
                "the entry's time is before the chain's first day \(genesis.startDate)")
        }
        var block: VerifiedBlock? = nil
        if let latest, height <= Int64(latest.height) {
            var candidate = try await log.block(UInt64(height))
            // A tz database that differs from the node's can be off by one day near midnight.
            if time < candidate.block.start * 1000, height > 0 {
                height -= 1
                candidate = try await log.block(UInt64(height))
            } else if time >= candidate.block.end * 1000, height < Int64(latest.height) {
                height += 1
                candidate = try await log.block(UInt64(height))
            }
            if time >= candidate.block.start * 1000, time < candidate.block.end * 1000 {
                block = candidate
            } else if time < candidate.block.start * 1000 || height < Int64(latest.height) {
                throw AuditError(
                    failed: "receipt entry", "time", found: entry.time.rfc3339Milliseconds,
                    "no block's stated day holds the entry's time (\(candidate.subject) states \(instant(candidate.block.start)) ... \(instant(candidate.block.end)))")
            }
        }

        guard let block else {
            // The entry's day is still open: the latest checkpoint must extend the receipt's.
            if witnesses.isDemanding, checkpoint.size > head.size, checkpoint.cosigners.quorumMet != true {
                throw AuditError(
                    failed: "receipt checkpoint", "cosignatures", expected: "a tree the witness policy's quorum cosigned",
                    found: "size \(checkpoint.size); the witnesses cosigned up to \(head.size)",
                    "the entry is newer than what the witnesses have cosigned: try again in a minute, or ask the operator which witnesses are down")
            }
            try await checkConsistency(checkpoint, reference, tiles: tiles, subject: "checkpoint", what: "the latest checkpoint")
            return "latest checkpoint (size \(reference.size))"
        }
        let day = block.block.dayFirst..<block.treeSize
        guard day.contains(index) else {
            throw AuditError(
                failed: block.subject, "day range", expected: "index \(index)", found: "\(day.lowerBound) ..< \(day.upperBound)",
                "the entry's time falls in \(block.block.date), but that block's day does not hold index \(index): the log placed it in another day")
        }
        guard block.treeSize <= reference.size else {
            throw AuditError(
                failed: "checkpoint", "treeSize", expected: ">= \(block.treeSize)", found: "\(reference.size)",
                "the latest checkpoint is smaller than \(block.subject): the log rolled back")
        }
        let blockHead = VerifiedCheckpoint(checkpoint: block.block.checkpoint, rootHash: block.rootHash, cosigners: block.cosigners)
        try await checkConsistency(checkpoint, blockHead, tiles: tiles, subject: block.subject, what: "the block that closed the entry's day")
        return block.subject
    }

    /// The two signed trees are one log: the smaller is a prefix of the larger, by a proof
    /// from the tiles.
    private func checkConsistency(
        _ receipt: VerifiedCheckpoint, _ other: VerifiedCheckpoint, tiles: TileStore, subject: String, what: String
    ) async throws {
        let (small, large) = receipt.size <= other.size ? (receipt, other) : (other, receipt)
        guard large.size <= tiles.referenceSize else {
            throw AuditError(
                failed: "receipt checkpoint", "treeSize", expected: "<= \(tiles.referenceSize)", found: "\(large.size)",
                "the receipt's checkpoint is larger than the log's latest one: the log rolled back, or showed the owner a split view")
        }
        guard small.size > 0 else { return }  // the empty tree is a prefix of every tree
        do {
            let proof = try await tiles.withHashReader(treeSize: large.size) {
                try MerkleTree.consistencyProof(size1: small.size, size2: large.size, reader: $0)
            }
            try MerkleTree.verifyConsistency(
                size1: small.size, size2: large.size, proof: proof, root1: small.rootHash, root2: large.rootHash)
        } catch let error as MerkleLogError {
            throw AuditError(
                failed: subject, "consistency",
                "the receipt's checkpoint (size \(receipt.size)) and \(what) (size \(other.size)) are not the same log: \(error.message). The log showed the owner a split view")
        }
    }
}
