import Codecs
import Crypto
import Foundation
import LedgerFormats
import MerkleLog

/// A block whose signature verified, with its hashes decoded once.
struct VerifiedBlock: Sendable {
    let block: Block
    let hash: Hash
    let rootHash: Hash
    let dayRoot: Hash
    let previousHash: Hash
    let cosigners: Cosigners

    var height: UInt64 { block.height }
    var treeSize: UInt64 { block.treeSize }
    var subject: String { "block \(block.height)" }
}

/// A checkpoint whose signature verified.
struct VerifiedCheckpoint: Sendable {
    let checkpoint: Checkpoint
    let rootHash: Hash
    let cosigners: Cosigners
    var size: UInt64 { checkpoint.size }
}

/// The public side of one log, read through a source and checked against the pinned genesis:
/// the pieces every audit command starts from.
struct PublicLog: Sendable {
    /// The largest tree any Tamga log can have: an entry's `seq` is below 2^53 (JSON's exact
    /// integers). 100,000 events a second for a century is 3.2e14, 28 times less. Every count
    /// derived from a verified size (tiles, indexes, `Int64`) then fits.
    static let maxTreeSize: UInt64 = 1 << 53
    /// How far ahead of this machine's clock a block's day may end (clock differences), before
    /// it is a block of a day that has not ended.
    static let clockSkew: Int64 = 2 * 86_400

    let source: any AuditSource
    let genesis: Genesis
    let verifier: NoteVerifier
    /// The genesis calendar, from this machine's time zone database.
    let calendar: DayCalendar
    /// What every block and the served checkpoint must carry.
    let witnesses: WitnessRequirement

    init(source: any AuditSource, genesis: Genesis, witnesses: WitnessRequirement = .none) throws(AuditError) {
        self.source = source
        self.genesis = genesis
        self.witnesses = witnesses
        do {
            verifier = try NoteVerifier(verifierKey: genesis.verifierKey)
        } catch {
            throw AuditError(.invalidInput, "the genesis verifier key is unusable: \(error.message)")
        }
        do {
            calendar = try DayCalendar(genesis: genesis)
        } catch {
            throw AuditError(.invalidInput, "the genesis time zone is unusable here: \(error.message)")
        }
    }

    /// The source must publish exactly the pinned genesis document.
    func checkGenesis() async throws(AuditError) {
        guard let published = try await source.fetch("genesis", limit: ResourceLimit.note) else {
            throw AuditError(
                failed: "genesis", "existence", "the source \(source) does not publish its genesis document at /genesis")
        }
        guard published == genesis.canonicalBytes else {
            let publishedHash = hex(Array(SHA256.hash(data: published)))
            throw AuditError(
                failed: "genesis", "hash", expected: hex(genesis.hash), found: publishedHash,
                "the source publishes another genesis document than the one pinned with --genesis: a different chain, or the genesis was swapped")
        }
    }

    /// The checkpoint the source serves (a node with witnesses: the newest its quorum
    /// cosigned), signature and quorum verified.
    func checkpoint() async throws(AuditError) -> VerifiedCheckpoint {
        guard let bytes = try await source.fetch("checkpoint", limit: ResourceLimit.note) else {
            throw AuditError(failed: "checkpoint", "existence", "the source \(source) serves no /checkpoint")
        }
        let checkpoint = try Self.verifyCheckpoint(bytes, subject: "checkpoint", verifier: verifier, witnesses: witnesses)
        try witnesses.require(checkpoint.cosigners, subject: "checkpoint")
        return checkpoint
    }

    /// The newest checkpoint of a node with witnesses (`/latest-checkpoint`), which may be
    /// newer than what they cosigned; nil when the source has none. Signature verified only.
    func newestCheckpoint() async throws(AuditError) -> VerifiedCheckpoint? {
        guard let bytes = try await source.fetch("latest-checkpoint", limit: ResourceLimit.note) else { return nil }
        return try Self.verifyCheckpoint(bytes, subject: "latest-checkpoint", verifier: verifier, witnesses: witnesses)
    }

    /// Parses a checkpoint, verifies the log's signature, and lists its cosigners (the caller
    /// decides whether the quorum is required of it).
    static func verifyCheckpoint(
        _ bytes: [UInt8], subject: String, verifier: NoteVerifier, witnesses: WitnessRequirement
    ) throws(AuditError) -> VerifiedCheckpoint {
        do {
            let note = try SignedNote(parsing: bytes)
            let checkpoint = try Checkpoint(note: note, verifier: verifier)
            guard checkpoint.size <= maxTreeSize else {
                throw AuditError(
                    failed: subject, "treeSize", expected: "<= 2^53", found: "\(checkpoint.size)",
                    "no Tamga log can be that large (an entry's seq is below 2^53): the log signed a size it cannot have")
            }
            guard let root = Hash(checkpoint.rootHash) else {
                throw AuditError(failed: subject, "rootHash", "the root hash is not 32 bytes")
            }
            return VerifiedCheckpoint(checkpoint: checkpoint, rootHash: root, cosigners: witnesses.cosigners(of: note, log: verifier))
        } catch let error as LedgerFormatsError {
            throw Self.failure(error, subject: subject)
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(failed: subject, "format", "\(error)")
        }
    }

    /// The newest block (`/blocks/latest`), signature verified, and the quorum unless asked not
    /// to; nil before the first day closes. Its day must have ended by this machine's clock
    /// (give or take `clockSkew`), which bounds its height by the days since the genesis before
    /// anything is fetched or counted by it.
    func latestBlock(quorum: Bool = true) async throws(AuditError) -> VerifiedBlock? {
        guard let bytes = try await source.fetch("blocks/latest", limit: ResourceLimit.note) else { return nil }
        let latest = try verifyBlock(bytes, subject: "blocks/latest", quorum: quorum)
        let now = Int64(Date().timeIntervalSince1970)
        guard latest.block.end <= now + Self.clockSkew else {
            throw AuditError(
                failed: "blocks/latest", "date", expected: "a day that has ended (now is \(BlockTime.formatInstant(now)))",
                found: "\(latest.block.date), ending \(BlockTime.formatInstant(latest.block.end))",
                "a block is sealed only once its day has ended: the log signed a block of a day to come")
        }
        return latest
    }

    /// Block `height`, signature verified and stating that height.
    func block(_ height: UInt64) async throws(AuditError) -> VerifiedBlock {
        guard let bytes = try await source.fetch("blocks/\(height)", limit: ResourceLimit.note) else {
            throw AuditError(failed: "block \(height)", "existence", "the source \(source) does not serve /blocks/\(height)")
        }
        return try verifyBlock(bytes, height: height)
    }

    /// The raw notes of blocks `heights`, fetched concurrently; a missing one is a failure.
    func blockNotes(_ heights: Range<UInt64>) async throws(AuditError) -> [[UInt8]] {
        let list = Array(heights)
        let limit = source.concurrency
        let source = self.source
        do {
            return try await withThrowingTaskGroup(of: (Int, [UInt8]?).self) { group in
                var notes = [[UInt8]](repeating: [], count: list.count)
                var next = 0
                func launch() {
                    let position = next
                    let path = "blocks/\(list[position])"
                    group.addTask { (position, try await source.fetch(path, limit: ResourceLimit.note)) }
                    next += 1
                }
                while next < min(limit, list.count) { launch() }
                while let (position, note) = try await group.next() {
                    guard let note else {
                        throw AuditError(
                            failed: "block \(list[position])", "existence",
                            "the source \(source) does not serve /blocks/\(list[position]), though its latest block is higher: every day has a block")
                    }
                    notes[position] = note
                    if next < list.count { launch() }
                }
                return notes
            }
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(.unavailable, "fetching blocks failed: \(error)")
        }
    }

    /// Parses a block note and verifies its signature and the witnesses' quorum; with
    /// `height`, also that it states it.
    func verifyBlock(_ bytes: [UInt8], height: UInt64? = nil, subject: String? = nil, quorum: Bool = true) throws(AuditError)
        -> VerifiedBlock
    {
        let subject = subject ?? height.map { "block \($0)" } ?? "block"
        let block: Block
        let cosigners: Cosigners
        do {
            let note = try SignedNote(parsing: bytes)
            block = try Block(note: note, verifier: verifier)
            cosigners = witnesses.cosigners(of: note, log: verifier)
        } catch {
            throw Self.failure(error, subject: subject)
        }
        if let height, block.height != height {
            throw AuditError(
                failed: subject, "height", expected: "\(height)", found: "\(block.height)",
                "the block served at /blocks/\(height) states another height: heights must run 0, 1, 2... with no gap")
        }
        // Before any height or size is used: block h closes startDate + h (so h is below the
        // ~2.9 million days to 9999-12-31), and its tree is one a Tamga log can have.
        let expectedDate = Int64(exactly: block.height).flatMap { try? genesis.startDate.adding(days: $0) }
        guard let expectedDate, block.date == expectedDate.description else {
            throw AuditError(
                failed: subject, "date", expected: expectedDate?.description ?? "a date before 10000-01-01",
                found: "\(block.date) at height \(block.height)",
                "block h closes the date startDate + h: a date was skipped or repeated, or the height is impossible")
        }
        guard block.treeSize <= Self.maxTreeSize else {
            throw AuditError(
                failed: subject, "treeSize", expected: "<= 2^53", found: "\(block.treeSize)",
                "no Tamga log can be that large (an entry's seq is below 2^53)")
        }
        guard let hash = Hash(block.hash), let root = Hash(block.rootHash), let dayRoot = Hash(block.dayRoot),
            let previous = Hash(block.previousHash)
        else {
            throw AuditError(failed: subject, "format", "a block hash is not 32 bytes")
        }
        if quorum { try witnesses.require(cosigners, subject: subject, detail: "the block of \(block.date)") }
        return VerifiedBlock(block: block, hash: hash, rootHash: root, dayRoot: dayRoot, previousHash: previous, cosigners: cosigners)
    }

    /// Maps a format error to the failure of `subject`: a bad signature, another log, or
    /// malformed text.
    static func failure(_ error: LedgerFormatsError, subject: String) -> AuditError {
        if error.code == .invalidSignature {
            return AuditError(
                failed: subject, "signature",
                "not signed by the genesis key: \(error.message). The note was altered after signing, or another key signed it")
        }
        if error.code == .verificationFailed {
            return AuditError(failed: subject, "origin", error.message)
        }
        return AuditError(failed: subject, "format", "not a well-formed signed note: \(error.message)")
    }
}

extension AuditError {
    /// Wraps whatever a computation threw: an `AuditError` as is, anything else as `unavailable`.
    static func wrapping(_ error: any Error, _ context: String) -> AuditError {
        if let error = error as? AuditError { return error }
        return AuditError(.unavailable, "\(context): \(error)")
    }
}
