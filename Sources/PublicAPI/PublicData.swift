package import Hummingbird
package import LedgerFormats
package import MerkleLog
package import PublicLog
import Synchronization

/// Everything the public side publishes, read through a `PublicLogReader` with bounded caches:
/// the one data layer of the HTTP routes, the explorer's pages and the static export, so that
/// all three give identical bytes and share one cached proof path.
///
/// It can reach only what the reader offers (tree hashes, signed notes, blocks, the leaf
/// index, compromise notices, the genesis): never an entry, an owner or an HSM record. That is
/// the privacy boundary ("nothing public carries an owner identifier or any entry content"),
/// and the compiler keeps it: this module does not depend on the ledger or the journal.
package final class PublicData: Sendable {
    /// `GET /blocks` answers at most this many blocks, 100 unless asked.
    package static let maxBlocksPerPage: UInt64 = 1000
    package static let defaultBlocksPerPage: UInt64 = 100

    package let log: any PublicLogReader
    /// The genesis calendar: which day a height closes, for "not sealed yet" answers.
    package let calendar: DayCalendar
    let tiles: BoundedCache<Tile, ByteBuffer>
    /// Stored tree hashes by stored-hash index, for proofs: each proof needs one hash per tree
    /// level, and the upper levels' are shared by most proofs.
    let hashes: BoundedCache<Int64, Hash>
    let genesis: ByteBuffer
    /// Whether `/checkpoint` serves only checkpoints the witnesses' quorum cosigned.
    package let witnessed: Bool
    private let checkpointCache: Mutex<(note: SignedNote, body: ByteBuffer)?> = Mutex(nil)
    /// Parsed blocks by height. A block's text never changes once sealed (cosignatures only add
    /// signature lines, which the parsed fields do not include), so entries never go stale;
    /// the map grows by one entry a day. The note itself is read fresh: its signature lines can.
    private let blocks: Mutex<[UInt64: Block]> = Mutex([:])
    /// The log's own key: every other signature line on its notes is a witness's.
    private let logKey: NoteVerifier

    package init(log: any PublicLogReader, witnessed: Bool = false, tileCacheCapacity: Int, hashCacheCapacity: Int)
        throws(LedgerFormatsError)
    {
        self.log = log
        self.witnessed = witnessed
        self.calendar = try DayCalendar(genesis: log.genesis)
        self.tiles = BoundedCache(capacity: tileCacheCapacity)
        self.hashes = BoundedCache(capacity: hashCacheCapacity)
        self.genesis = ByteBuffer(bytes: log.genesis.canonicalBytes)
        self.logKey = try NoteVerifier(verifierKey: log.genesis.verifierKey)
    }

    /// The witnesses' lines on one of this log's notes, as published: every signature line but
    /// the log's own. The node keeps only lines that verified against its witness policy;
    /// an auditor checks them again from the policy (`tamga-audit --policy`).
    package func cosigners(of note: SignedNote) -> [Cosigner] {
        note.signatures.compactMap { line in
            guard line.name != logKey.name || line.keyID != logKey.keyID else { return nil }
            // cosignature/v1: an 8-byte big-endian timestamp, then the Ed25519 signature.
            let time = line.signature.count == 72 ? line.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : nil
            return Cosigner(name: line.name, time: time)
        }
    }

    // MARK: checkpoint

    /// The checkpoint `/checkpoint` serves, its tree size and the head it belongs to: the
    /// newest one, or with witnesses the newest their quorum cosigned (nil before the first).
    /// Served from the reader's in-memory head: no store read.
    package func checkpoint() -> (head: LogHead, size: UInt64, body: ByteBuffer)? {
        let head = log.head
        let note = witnessed ? head.cosignedCheckpoint : head.checkpoint
        guard let note else { return nil }
        let size = note == head.checkpoint ? head.treeSize : (try? Checkpoint(text: note.text).size) ?? 0
        return (head, size, body(of: note))
    }

    /// The newest signed checkpoint, cosigned or not (`/latest-checkpoint`).
    package func latestCheckpoint() -> ByteBuffer { body(of: log.head.checkpoint) }

    private func body(of note: SignedNote) -> ByteBuffer {
        checkpointCache.withLock { cache in
            // Equal notes share their text storage, so this compare is cheap on a hit.
            if let cache, cache.note == note { return cache.body }
            let body = ByteBuffer(string: note.formatted)
            cache = (note, body)
            return body
        }
    }

    // MARK: tiles

    /// The hash tile as C2SP tlog-tiles serves it, if the tree of `treeSize` leaves (default:
    /// the latest) has it. A partial tile narrower than the tree's right edge is served too: its
    /// hashes are a prefix of the level and never change.
    package func tile(_ tile: Tile, treeSize: UInt64? = nil) throws -> ByteBuffer {
        // A cached full tile is in every later tree too: no need to look at the head.
        if !tile.isPartial, let cached = tiles.value(for: tile) { return cached }
        let treeSize = treeSize ?? log.head.treeSize
        let nodes = treeSize >> UInt64(Tile.height * tile.level)
        // `index` comes from a request path: checked so that the shift cannot drop bits.
        let (first, overflow) = tile.index.multipliedReportingOverflow(by: UInt64(Tile.fullWidth))
        guard !overflow, first < nodes, UInt64(tile.width) <= nodes - first else {
            throw PublicAPIError(
                .notFound,
                "tile \(tile.path) is beyond the current tree (size \(treeSize)): "
                    + "fetch /checkpoint and ask for the tiles it has"
            )
        }
        let hashes = try log.hashes(level: Tile.height * tile.level, from: first, count: tile.width)
        var data = ByteBuffer()
        data.reserveCapacity(tile.width * Hash.byteCount)
        for hash in hashes where hash.count == Hash.byteCount {
            data.writeBytes(hash)
        }
        guard hashes.count == tile.width, data.readableBytes == tile.width * Hash.byteCount else {
            throw PublicAPIError(
                .storage,
                "the store lacks tree hashes of tile \(tile.path) that the tree of size \(treeSize) has: it is damaged")
        }
        if !tile.isPartial { tiles.insert(tile, data) }
        return data
    }

    // MARK: blocks

    /// The signed note of block `height`, as published (with any cosignatures).
    package func blockNote(_ height: UInt64) throws -> [UInt8] {
        let count = log.head.blockCount
        guard height < count, let note = try log.blockNote(height) else {
            throw PublicAPIError(.notFound, Self.noBlock(height, count: count))
        }
        return note
    }

    /// The newest block's note and height.
    package func latestBlockNote() throws -> (height: UInt64, note: [UInt8]) {
        let count = log.head.blockCount
        guard count > 0 else {
            throw PublicAPIError(
                .notFound,
                "no block is sealed yet: block 0 closes \(log.genesis.startDate) "
                    + "(\(log.genesis.timeZone)) after its midnight"
            )
        }
        return (count - 1, try blockNote(count - 1))
    }

    static func noBlock(_ height: UInt64, count: UInt64) -> String {
        count == 0
            ? "block \(height) is not sealed: no block is sealed yet"
            : "block \(height) is not sealed: the latest is block \(count - 1)"
    }

    /// Block `height` parsed, with its note as published; nil when it is not sealed yet. The
    /// writer verified it when it sealed it; the signature is not checked again here.
    package func block(_ height: UInt64) throws -> SealedBlock? {
        guard height < log.head.blockCount, let bytes = try log.blockNote(height) else { return nil }
        let note = try SignedNote(parsing: bytes)
        let block: Block
        if let cached = blocks.withLock({ $0[height] }) {
            block = cached
        } else {
            block = try Block(text: note.text)
            blocks.withLock { $0[height] = block }
        }
        return SealedBlock(block: block, note: note.formatted, cosigners: cosigners(of: note))
    }

    /// A sealed block below the head that is not in the store: the store is damaged.
    private func sealedBlock(_ height: UInt64, below count: UInt64) throws -> SealedBlock {
        guard let sealed = try block(height) else {
            throw PublicAPIError(.storage, "block \(height) is missing below the latest block \(count - 1)")
        }
        return sealed
    }

    /// Blocks `[from, until)` that are sealed, ascending.
    package func blocks(from: UInt64, until: UInt64) throws -> [SealedBlock] {
        let count = log.head.blockCount
        let end = min(until, count)
        guard from < end else { return [] }
        return try (from..<end).map { try sealedBlock($0, below: count) }
    }

    /// The block whose day holds leaf `index`, or nil while that day is still open: blocks'
    /// day ranges are contiguous and ascending, so a binary search over heights finds it.
    package func block(containing index: UInt64, blockCount: UInt64) throws -> SealedBlock? {
        var low: UInt64 = 0
        var high = blockCount
        while low < high {
            let middle = low + (high - low) / 2
            let candidate = try sealedBlock(middle, below: blockCount)
            if index < candidate.block.dayFirst {
                high = middle
            } else if index >= candidate.block.treeSize {
                low = middle + 1
            } else {
                return candidate
            }
        }
        return nil
    }

    /// The day block `height` closes, for "not sealed yet" messages; nil beyond the calendar.
    package func day(atHeight height: UInt64) -> DayCalendar.Day? {
        guard let height = Int64(exactly: height) else { return nil }
        return try? calendar.day(atHeight: height)
    }

    // MARK: proofs

    /// Which leaf an inclusion proof is for.
    package enum Leaf: Sendable {
        case index(UInt64)
        case hash(Hash)
    }

    /// Which tree an inclusion proof is against.
    package enum TreeSize: Sendable {
        case latest
        case size(UInt64)
        case block(UInt64)
    }

    package struct InclusionProof: Sendable {
        package let index: UInt64
        package let treeSize: UInt64
        package let leafHash: Hash
        /// The RFC 9162 audit path, the leaf's sibling first.
        package let hashes: [Hash]
    }

    /// The inclusion proof of a leaf, by index or leaf hash, in the latest tree, a tree size or
    /// a block's tree.
    package func inclusionProof(_ leaf: Leaf, in tree: TreeSize) throws -> InclusionProof {
        let latest = log.head.treeSize
        let size: UInt64
        switch tree {
        case .latest: size = latest
        case .size(let s):
            guard s <= latest else {
                throw PublicAPIError(.badRequest, "size \(s) is beyond the latest checkpoint (size \(latest))")
            }
            size = s
        case .block(let height):
            guard let block = try block(height) else {
                throw PublicAPIError(.notFound, Self.noBlock(height, count: log.head.blockCount))
            }
            size = block.block.treeSize
        }
        let index: UInt64
        let leafHash: Hash
        switch leaf {
        case .index(let i):
            guard i < size else {
                throw PublicAPIError(
                    .badRequest, "index \(i) is not in the tree of size \(size): it must be below the size")
            }
            index = i
            guard let hash = try hashReader.readHashes([MerkleTree.storedHashIndex(level: 0, n: i)]).first else {
                throw PublicAPIError(
                    .storage, "the store lacks leaf hash \(i) below the tree size \(size): it is damaged")
            }
            leafHash = hash
        case .hash(let hash):
            guard let i = try log.leafIndex(of: hash) else {
                throw PublicAPIError(.notFound, "no entry of this log has leaf hash \(hash.base64)")
            }
            guard i < size else {
                throw PublicAPIError(
                    .badRequest,
                    "that leaf is entry \(i), which is not in the tree of size \(size): ask for a larger size")
            }
            index = i
            leafHash = hash
        }
        // The checks above are the reader's own (index < size <= latest), so MerkleLog builds
        // the proof directly, through the hash cache.
        let proof = try MerkleTree.inclusionProof(index: index, size: size, reader: hashReader)
        return InclusionProof(index: index, treeSize: size, leafHash: leafHash, hashes: proof)
    }

    /// The consistency proof for 0 < from <= to <= the latest size (default: the latest).
    package func consistencyProof(from: UInt64, to: UInt64?) throws -> (to: UInt64, hashes: [Hash]) {
        let latest = log.head.treeSize
        let to = to ?? latest
        guard from > 0 else {
            throw PublicAPIError(.badRequest, "from must be at least 1: a proof from the empty tree proves nothing")
        }
        guard from <= to else {
            throw PublicAPIError(.badRequest, "from (\(from)) must not be above to (\(to))")
        }
        guard to <= latest else {
            throw PublicAPIError(.badRequest, "to (\(to)) is beyond the latest checkpoint (size \(latest))")
        }
        return (to, try MerkleTree.consistencyProof(size1: from, size2: to, reader: hashReader))
    }

    var hashReader: CachedHashReader {
        CachedHashReader(cache: hashes, store: log)
    }

    // MARK: compromise notices

    /// `GET /compromises`: every notice, oldest first, as a JSON array of the stored canonical
    /// objects; and the names of stored records that are not exactly a notice (left out rather
    /// than published: nothing else may leak this way), for the operator's log.
    package func compromises() throws -> (json: [UInt8], unpublished: [String]) {
        let (notices, unpublished) = try log.compromiseNotices()
        var json = JSONWriter(capacity: 64 + notices.count * 256)
        json.beginArray()
        for notice in notices { json.raw(notice.canonicalBytes) }
        json.endArray()
        return (json.bytes, unpublished)
    }

    /// Every notice, newest first (the explorer's order).
    package func notices() throws -> [CompromiseNotice] {
        try log.compromiseNotices().notices.sorted { $0.time > $1.time }
    }
}

/// A block with its signed note as published and the witnesses who cosigned it.
package struct SealedBlock: Sendable {
    package let block: Block
    package let note: String
    package let cosigners: [Cosigner]
}

/// A witness's signature line on a published note: its name and, on a cosignature/v1 line,
/// the time (Unix seconds) it states.
package struct Cosigner: Sendable, Hashable {
    package let name: String
    package let time: UInt64?
}

/// Reads stored tree hashes through the cache, asking the log only for the misses, in one call.
struct CachedHashReader: HashReader {
    let cache: BoundedCache<Int64, Hash>
    let store: any HashReader

    func readHashes(_ indexes: [Int64]) throws -> [Hash] {
        let cached = cache.values(for: indexes)
        let missing = zip(indexes, cached).compactMap { index, hash in hash == nil ? index : nil }
        if missing.isEmpty { return cached.compactMap { $0 } }
        let fetched = try store.readHashes(missing)
        guard fetched.count == missing.count else {
            throw PublicAPIError(.storage, "the store returned \(fetched.count) tree hashes for \(missing.count)")
        }
        cache.insert(zip(missing, fetched))
        var next = fetched.makeIterator()
        return cached.compactMap { hash in hash ?? next.next() }
    }
}
