import Codecs
import Foundation
public import LedgerFormats
import MerkleLog

/// Verifies a whole chain from public data and the pinned genesis (`tamga-audit chain`).
///
/// Every block: signed by the genesis key; its height in sequence; its date the next one of
/// the genesis calendar, its day starting where the previous one ended (a day that differs from
/// this machine's tz database is a warning naming both); `prev` chained from the genesis
/// hash; its day range contiguous with the previous block's; its day root recomputed from the
/// level-0 tiles; its tree root recomputed from the same leaves and from the tiles; and a
/// consistency proof from the previous block built from the tiles and checked against both
/// signed roots. Then the latest checkpoint: signed, and extending the latest block.
///
/// With a witness policy, every block verified and the served checkpoint must carry its quorum
/// of valid cosignatures. A node with witnesses serves at `/checkpoint` the newest checkpoint
/// they cosigned; when blocks are newer (witnesses down), its `/latest-checkpoint` is the tree
/// the leaves are checked against, and the served one must be a prefix of it.
///
/// All leaf hashes up to the checkpoint are streamed once, in order, into one rebuilt tree, so
/// every published higher tile entry is checked against the leaves as well: a log cannot sign
/// day roots of some leaves and tree roots of others.
public struct ChainAudit: Sendable {
    public let source: any AuditSource
    public let genesis: Genesis
    /// What an earlier run verified; the audit then starts after it.
    public let state: AuditState?
    /// The witnesses' quorum each block and the checkpoint must carry, if any.
    public let witnesses: WitnessRequirement
    /// Leaf tiles fetched per batch; the next batch is fetched while one is hashed.
    public var tilesPerBatch = 64
    /// How long after a day ends its block may take to appear (ms): later, the day is overdue.
    public var grace: Int64 = 3_600_000
    /// The auditor's clock, ms since the epoch: which days have ended.
    public var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    public init(source: any AuditSource, genesis: Genesis, state: AuditState? = nil, witnesses: WitnessRequirement = .none) {
        self.source = source
        self.genesis = genesis
        self.state = state
        self.witnesses = witnesses
    }

    public func run(progress: @Sendable (AuditProgress) -> Void = { _ in }) async throws(AuditError) -> ChainReport {
        do {
            return try await audit(progress: progress)
        } catch {
            throw AuditError.wrapping(error, "chain audit")
        }
    }

    private func audit(progress: @Sendable (AuditProgress) -> Void) async throws -> ChainReport {
        let log = try PublicLog(source: source, genesis: genesis, witnesses: witnesses)
        try state?.check(against: genesis)
        try await log.checkGenesis()

        // blocks/latest before the checkpoint: a block sealed in between is then still covered.
        // Its quorum is checked with the other blocks, in order.
        let latest = try await log.latestBlock(quorum: false)
        let served = try await log.checkpoint()
        var checkpoint = served
        if let latest, served.size < latest.treeSize {
            // Witnesses cosign a block before any later checkpoint: the served checkpoint lags
            // only while they are down, and the newest one must then cover the block.
            guard let newest = try await log.newestCheckpoint(), newest.size >= latest.treeSize else {
                throw AuditError(
                    failed: "checkpoint", "treeSize", expected: ">= \(latest.treeSize)", found: "\(served.size)",
                    "the latest checkpoint is smaller than the latest block (\(latest.subject)): the log rolled back")
            }
            checkpoint = newest
        }
        let tiles = TileStore(source: source, referenceSize: checkpoint.size)

        var walk = ChainWalk(genesis: genesis, tiles: tiles, log: log)
        var firstHeight: UInt64 = 0
        if let state {
            guard let latest, latest.height >= state.height else {
                throw AuditError(
                    failed: "chain", "latest block", expected: ">= \(state.height)",
                    found: latest.map { "\($0.height)" } ?? "no block",
                    "the chain is shorter than when it was last verified (state file): the log rolled back")
            }
            let old = try await log.block(state.height)
            guard old.hash.base64 == state.blockHash, old.treeSize == state.treeSize else {
                throw AuditError(
                    failed: old.subject, "hash", expected: state.blockHash, found: old.hash.base64,
                    "block \(state.height) is not the one verified before (state file): the log rewrote its history")
            }
            guard checkpoint.size >= old.treeSize else {
                throw AuditError(
                    failed: "checkpoint", "treeSize", expected: ">= \(old.treeSize)", found: "\(checkpoint.size)",
                    "the latest checkpoint is smaller than the tree verified before (state file): the log rolled back")
            }
            try await walk.resume(after: old)
            firstHeight = state.height + 1
        }

        let lastHeight = latest.map { $0.height + 1 } ?? 0
        if firstHeight < lastHeight {
            walk.pending = try await log.blockNotes(firstHeight..<lastHeight)
            walk.firstPendingHeight = firstHeight
        }
        try walk.openNextBlock()

        // Stream every leaf from the resumed size to the checkpoint, closing blocks on the way.
        let start = walk.tree.count
        let end = checkpoint.size
        let firstTile = start >> 8
        let endTile = (end + 255) >> 8
        var batch = end > start ? try await tiles.fetchAll(keys(firstTile, min(endTile, firstTile + UInt64(tilesPerBatch)))) : []
        var batchStart = firstTile
        while !batch.isEmpty {
            let nextStart = batchStart + UInt64(batch.count)
            let nextEnd = min(endTile, nextStart + UInt64(tilesPerBatch))
            async let following = nextStart < nextEnd ? tiles.fetchAll(keys(nextStart, nextEnd)) : []
            for (key, data) in batch {
                // The first tile may start before the tree verified so far.
                let known = Int(walk.tree.count - min(walk.tree.count, key.index << 8))
                try await walk.consume(leafHashes(data).dropFirst(known))
            }
            progress(AuditProgress(done: walk.tree.count - start, total: end - start, height: walk.current?.height))
            batch = try await following
            batchStart = nextStart
        }
        try await walk.closeBlocks()
        if let current = walk.current {
            throw AuditError(
                failed: current.subject, "treeSize", expected: "<= \(end)", found: "\(current.treeSize)",
                "the block's tree is larger than the latest checkpoint's: the checkpoint does not extend the latest block")
        }
        if let latest, walk.previous?.hash != latest.hash {
            throw AuditError(
                failed: "blocks/latest", "hash", expected: walk.previous?.hash.base64, found: latest.hash.base64,
                "/blocks/latest is not the block at its own height: the log shows two different chains")
        }
        try await walk.checkCheckpoint(checkpoint)
        if served.size < checkpoint.size {
            try await walk.checkConsistency(
                from: served.size, served.rootHash, to: checkpoint.size, checkpoint.rootHash, subject: "checkpoint")
        }
        try await Obligations(source: source).check(checkpointSize: checkpoint.size)
        let warnings = walk.warnings + (try await checkSealing(latest: latest, log: log))

        let last = walk.previous
        return ChainReport(
            origin: genesis.origin, genesisHash: hex(genesis.hash), blocks: lastHeight,
            firstVerifiedHeight: firstHeight < lastHeight ? firstHeight : nil, latestDate: last?.block.date,
            blockTreeSize: last?.treeSize ?? 0, checkpointSize: checkpoint.size,
            checkpointRoot: checkpoint.rootHash.base64, leavesChecked: end - start,
            resumedFromHeight: state?.height, checkpointCosigners: served.cosigners,
            servedCheckpointSize: served.size < checkpoint.size ? served.size : nil,
            latestBlockCosigners: last?.cosigners, blockCosignatures: walk.blockCosignatures, warnings: warnings,
            state: last.map { AuditState(genesis: genesis, block: $0) })
    }

    /// Every day that has ended has its block within `grace`, by the genesis calendar and this
    /// machine's clock (a `/blocks/latest` that answers 404 while a day has ended fails too),
    /// and `/blocks/latest` is the newest block: a next one may only be one sealed during this
    /// audit, which a second read of `/blocks/latest` then shows (a warning).
    private func checkSealing(latest: VerifiedBlock?, log: PublicLog) async throws -> [AuditWarning] {
        let next = latest.map { $0.height + 1 } ?? 0
        var blocks = next
        var warnings: [AuditWarning] = []
        if try await source.fetch("blocks/\(next)", limit: ResourceLimit.note) != nil {
            let reread = try await log.latestBlock(quorum: false)
            guard let reread, reread.height >= next else {
                throw AuditError(
                    failed: "blocks/latest", "height", expected: ">= \(next)", found: latest.map { "\($0.height)" } ?? "404",
                    "block \(next) exists, yet /blocks/latest does not serve it: /blocks/latest must be the newest block")
            }
            warnings.append(
                AuditWarning(subject: "blocks/latest", message: "block \(next) was sealed during this audit; run again to verify it"))
            blocks = reread.height + 1
        }
        try Obligations.checkSealed(blocks: blocks, latest: latest, calendar: log.calendar, now: now(), grace: grace)
        return warnings
    }

    private func keys(_ from: UInt64, _ to: UInt64) -> [TileStore.TileKey] {
        (from..<to).map { TileStore.TileKey(level: 0, index: $0) }
    }
}

/// The state of one pass over the chain: the block whose day the leaves belong to, the tree
/// and the day rebuilt so far, the nodes still to compare with the higher tiles.
struct ChainWalk {
    let genesis: Genesis
    let calendar: DayCalendar
    let tiles: TileStore
    let log: PublicLog

    /// Block notes fetched but not yet verified, starting at height `firstPendingHeight`.
    var pending: [[UInt8]] = []
    var firstPendingHeight: UInt64 = 0
    private var nextPending = 0

    /// The last block fully verified (nil: none yet, the genesis comes before).
    private(set) var previous: VerifiedBlock?
    /// The block whose day the leaves now streamed belong to.
    private(set) var current: VerifiedBlock?
    /// The log's tree rebuilt leaf by leaf from the published leaf hashes.
    private(set) var tree = RootAccumulator()
    private var day = RootAccumulator()
    /// Nodes the rebuilt tree completed at tile levels (tree level 8, 16...), to compare with
    /// the published higher tiles entry by entry.
    private var nodes: [(tileLevel: Int, n: UInt64, hash: Hash)] = []
    /// A higher tile entry that does not match the leaves. Reported once the block's roots
    /// checked out: if the leaves were altered, the block's day root names the real culprit.
    private var tileMismatch: AuditError?
    private(set) var warnings: [AuditWarning] = []
    /// How many of the blocks verified each cosigner name signed.
    private(set) var blockCosignatures: [String: UInt64] = [:]

    init(genesis: Genesis, tiles: TileStore, log: PublicLog) {
        self.genesis = genesis
        self.calendar = log.calendar
        self.tiles = tiles
        self.log = log
    }

    /// Continues after `block`, verified by an earlier run: the tree's subtrees are read from
    /// the tiles and must fold to the root that block signed.
    mutating func resume(after block: VerifiedBlock) async throws {
        let nodes = MerkleTree.perfectSubtrees(size: block.treeSize)
        let hashes = try await tiles.withHashReader(treeSize: block.treeSize) { reader in
            try reader.readHashes(nodes.map { MerkleTree.storedHashIndex(level: $0.level, n: $0.n) })
        }
        let resumed = try RootAccumulator(count: block.treeSize, subtrees: hashes)
        guard resumed.rootHash == block.rootHash else {
            throw AuditError(
                failed: block.subject, "tiles", expected: block.rootHash.base64, found: resumed.rootHash.base64,
                "the tiles of the tree verified before (size \(block.treeSize)) no longer give its root: the log rewrote its history")
        }
        tree = resumed
        previous = block
    }

    /// Verifies the next pending block's own fields and links; its leaves come next.
    mutating func openNextBlock() throws {
        guard nextPending < pending.count else {
            current = nil
            return
        }
        let height = firstPendingHeight + UInt64(nextPending)
        let block = try log.verifyBlock(pending[nextPending], height: height)
        pending[nextPending] = []
        nextPending += 1
        try checkHeader(block)
        current = block
        day = RootAccumulator()
    }

    private mutating func checkHeader(_ block: VerifiedBlock) throws {
        let subject = block.subject
        let stated = block.block
        // verifyBlock checked that the date is startDate + height.
        let expectedDate = try LocalDate(parsing: stated.date)
        let expectedPrevious = previous?.hash.bytes ?? genesis.hash
        guard stated.previousHash == expectedPrevious else {
            throw AuditError(
                failed: subject, "prev", expected: Hash(expectedPrevious)?.base64, found: block.previousHash.base64,
                previous.map { "prev must be the hash of \($0.subject)'s note text: a block was replaced or removed" }
                    ?? "block 0's prev must be the hash of the genesis document: the chain belongs to another genesis")
        }
        let expectedFirst = previous?.treeSize ?? 0
        guard stated.dayFirst == expectedFirst else {
            throw AuditError(
                failed: subject, "day first index", expected: "\(expectedFirst)", found: "\(stated.dayFirst)",
                "a day starts where the previous one ended: entries were left out or counted twice")
        }
        if let previous, stated.start != previous.block.end {
            throw AuditError(
                failed: subject, "date start", expected: instant(previous.block.end), found: instant(stated.start),
                "a day starts when \(previous.subject)'s day ended: the days must be contiguous")
        }
        if let reason = Obligations.dayRuleBroken(date: expectedDate, start: stated.start, end: stated.end) {
            throw AuditError(
                failed: subject, "date", found: "\(instant(stated.start)) ... \(instant(stated.end))",
                "the stated day is not \(stated.date) in any time zone: \(reason)")
        }
        do {
            let local = try calendar.day(atHeight: Int64(block.height))
            if local.start.millisecondsSinceEpoch != stated.start * 1000 || local.end.millisecondsSinceEpoch != stated.end * 1000 {
                warnings.append(
                    AuditWarning(
                        subject: subject,
                        message: "\(stated.date) is stated as \(instant(stated.start)) ... \(instant(stated.end)), "
                            + "but this machine's tz database gives \(instant(local.start.millisecondsSinceEpoch / 1000)) ... \(instant(local.end.millisecondsSinceEpoch / 1000)) "
                            + "in \(genesis.timeZone): the node's and this machine's tz databases differ (update tzdata on the older one)"))
            }
        } catch {
            warnings.append(
                AuditWarning(
                    subject: subject,
                    message: "this machine's tz database cannot compute \(stated.date) in \(genesis.timeZone) (\(error.message)); the block states \(instant(stated.start)) ... \(instant(stated.end))"))
        }
    }

    /// Feeds leaf hashes that follow the tree so far, closing every block they complete.
    mutating func consume(_ leaves: ArraySlice<Hash>) async throws {
        var i = leaves.startIndex
        while i < leaves.endIndex {
            try await closeBlocks()
            var stop = leaves.endIndex
            if let boundary = current?.treeSize, boundary - tree.count < UInt64(stop - i) {
                stop = i + Int(boundary - tree.count)
            }
            for leaf in leaves[i..<stop] {
                add(leaf)
            }
            i = stop
            try await checkNodes()
        }
    }

    /// Adds one leaf to the day and the tree; the caller has closed the blocks before it.
    mutating func add(_ leaf: Hash) {
        day.append(leaf)
        tree.append(leaf) { level, n, hash in
            if level & 7 == 0 { nodes.append((level >> 3, n, hash)) }
        }
    }

    /// Compares the tile-level nodes the rebuilt tree completed with the published tiles.
    mutating func checkNodes() async throws {
        guard !nodes.isEmpty else { return }
        let nodes = self.nodes
        self.nodes.removeAll(keepingCapacity: true)
        guard tileMismatch == nil else { return }
        let published = try await tiles.withHashReader(treeSize: tiles.referenceSize) { reader in
            try reader.readHashes(nodes.map { MerkleTree.storedHashIndex(level: $0.tileLevel * Tile.height, n: $0.n) })
        }
        for (node, hash) in zip(nodes, published) where node.hash != hash {
            let tile = (try? Tile(level: node.tileLevel, index: node.n >> 8).path) ?? "tile/\(node.tileLevel)/?"
            let below = (try? Tile(level: node.tileLevel - 1, index: node.n).path) ?? "the tile below"
            tileMismatch = AuditError(
                failed: tile, "hash \(node.n & 255)", expected: node.hash.base64, found: hash.base64,
                "the entry is not the hash of \(below), whose leaves match the signed roots: the higher tile was altered")
            return
        }
    }

    /// Throws the tile mismatch found so far, once the signed roots have vouched for the leaves.
    func checkTileMismatch() throws {
        if let tileMismatch { throw tileMismatch }
    }

    /// Closes every block whose tree the leaves streamed so far complete (several when days
    /// were empty), opening the next one after each.
    mutating func closeBlocks() async throws {
        while let block = current, block.treeSize == tree.count {
            try await checkNodes()
            try await close(block)
            for name in block.cosigners.names { blockCosignatures[name, default: 0] += 1 }
            previous = block
            try openNextBlock()
        }
    }

    private mutating func close(_ block: VerifiedBlock) async throws {
        let subject = block.subject
        let dayRoot = day.rootHash
        guard dayRoot == block.dayRoot else {
            throw AuditError(
                failed: subject, "day root", expected: dayRoot.base64, found: block.dayRoot.base64,
                "the day root the block signed is not the root of leaves \(block.block.dayFirst) ..< \(block.treeSize) in the published tiles")
        }
        let root = tree.rootHash
        guard root == block.rootHash else {
            throw AuditError(
                failed: subject, "root hash", expected: root.base64, found: block.rootHash.base64,
                "the block's tree root is not the root of the first \(block.treeSize) leaves in the published tiles")
        }
        try checkTileMismatch()
        try await checkTreeHash(size: block.treeSize, root: block.rootHash, subject: subject)
        if let previous {
            try await checkConsistency(from: previous.treeSize, previous.rootHash, to: block.treeSize, block.rootHash, subject: subject)
        }
    }

    /// The latest checkpoint: its root recomputed from the leaves and from the tiles, and a
    /// consistency proof from the latest block.
    func checkCheckpoint(_ checkpoint: VerifiedCheckpoint) async throws {
        let root = tree.rootHash
        guard root == checkpoint.rootHash else {
            throw AuditError(
                failed: "checkpoint", "root hash", expected: root.base64, found: checkpoint.rootHash.base64,
                "the latest checkpoint's root is not the root of the \(checkpoint.size) leaves in the published tiles: a forked (split-view) checkpoint, or altered tiles")
        }
        try checkTileMismatch()
        try await checkTreeHash(size: checkpoint.size, root: checkpoint.rootHash, subject: "checkpoint")
        if let previous {
            try await checkConsistency(
                from: previous.treeSize, previous.rootHash, to: checkpoint.size, checkpoint.rootHash, subject: "checkpoint")
        }
    }

    /// The tree root as a tile reader computes it, from at most one hash per level.
    private func checkTreeHash(size: UInt64, root: Hash, subject: String) async throws {
        let fromTiles = try await tiles.withHashReader(treeSize: size) { try MerkleTree.treeHash(size: size, reader: $0) }
        guard fromTiles == root else {
            throw AuditError(
                failed: subject, "tiles", expected: root.base64, found: fromTiles.base64,
                "the published tiles of tree size \(size) give another root than the one signed")
        }
    }

    /// A consistency proof built from the tiles (never one the server hands over), checked
    /// against both signed roots.
    func checkConsistency(from size1: UInt64, _ root1: Hash, to size2: UInt64, _ root2: Hash, subject: String) async throws {
        guard size1 > 0 else { return }  // the empty tree is a prefix of every tree
        do {
            let proof = try await tiles.withHashReader(treeSize: size2) {
                try MerkleTree.consistencyProof(size1: size1, size2: size2, reader: $0)
            }
            try MerkleTree.verifyConsistency(size1: size1, size2: size2, proof: proof, root1: root1, root2: root2)
        } catch let error as MerkleLogError {
            throw AuditError(
                failed: subject, "consistency", "the tree of size \(size2) does not extend the previous one of size \(size1): \(error.message)")
        }
    }
}

/// The hashes of a tile's data (a multiple of 32 bytes, checked when fetched).
func leafHashes(_ data: [UInt8]) -> [Hash] {
    var hashes: [Hash] = []
    hashes.reserveCapacity(data.count / Hash.byteCount)
    data.withUnsafeBytes { raw in
        var offset = 0
        while offset + Hash.byteCount <= raw.count, let hash = Hash(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + Hash.byteCount])) {
            hashes.append(hash)
            offset += Hash.byteCount
        }
    }
    return hashes
}
