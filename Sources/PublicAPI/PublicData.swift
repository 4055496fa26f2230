import Hummingbird
import Ledger
import LedgerFormats
import MerkleLog
import Synchronization

/// Everything the public API publishes, as bytes: the one place that decides what is public,
/// shared by the HTTP routes and the static export so that both give identical bytes.
///
/// It reads only tree hashes, signed notes, blocks, the genesis and compromise notices: never
/// an entry, an owner index or a record of another module. That is the privacy boundary of
/// DESIGN.md ("Nothing public carries an owner identifier or any entry content").
final class PublicData: Sendable {
    /// Where compromise notices (R13) live among the ledger's records; each value is the
    /// canonical JSON `{"keyFingerprint","measures","time"}`.
    static let compromisePrefix = "compromise/"
    static let compromiseFields: Set<String> = ["keyFingerprint", "measures", "time"]
    /// `GET /blocks` answers at most this many blocks, 100 unless asked.
    static let maxBlocksPerPage: UInt64 = 1000
    static let defaultBlocksPerPage: UInt64 = 100

    let ledger: Ledger
    let tiles: BoundedCache<Tile, ByteBuffer>
    /// Stored tree hashes by stored-hash index, for proofs: each proof needs one hash per tree
    /// level, and the upper levels' are shared by most proofs.
    let hashes: BoundedCache<Int64, Hash>
    let genesis: ByteBuffer
    private let checkpointCache: Mutex<(note: SignedNote, body: ByteBuffer)?> = Mutex(nil)
    /// Parsed blocks by height. A block's text never changes once sealed (cosignatures only add
    /// signature lines, which the parsed fields do not include), so entries never go stale;
    /// the map grows by one entry a day.
    private let blocks: Mutex<[UInt64: Block]> = Mutex([:])

    init(ledger: Ledger, tileCacheCapacity: Int, hashCacheCapacity: Int) {
        self.ledger = ledger
        self.tiles = BoundedCache(capacity: tileCacheCapacity)
        self.hashes = BoundedCache(capacity: hashCacheCapacity)
        self.genesis = ByteBuffer(bytes: ledger.genesis.canonicalBytes)
    }

    // MARK: checkpoint

    /// The latest signed checkpoint as published, with the head it belongs to. Served from the
    /// ledger's in-memory head: no store read.
    func checkpoint() -> (head: Ledger.Head, body: ByteBuffer) {
        let head = ledger.current
        return checkpointCache.withLock { cache in
            // Equal notes share their text storage, so this compare is cheap on a hit.
            if let cache, cache.note == head.checkpoint { return (head, cache.body) }
            let body = ByteBuffer(string: head.checkpoint.formatted)
            cache = (head.checkpoint, body)
            return (head, body)
        }
    }

    // MARK: tiles

    /// The hash tile as C2SP tlog-tiles serves it, if the tree of `treeSize` leaves (default:
    /// the latest) has it. A partial tile narrower than the tree's right edge is served too: its
    /// hashes are a prefix of the level and never change.
    func tile(_ tile: Tile, treeSize: UInt64? = nil) throws -> ByteBuffer {
        // A cached full tile is in every later tree too: no need to look at the head.
        if !tile.isPartial, let cached = tiles.value(for: tile) { return cached }
        let treeSize = treeSize ?? ledger.current.treeSize
        let nodes = treeSize >> UInt64(Tile.height * tile.level)
        let first = tile.index << UInt64(Tile.height)
        guard first + UInt64(tile.width) <= nodes else {
            throw PublicAPIError(
                .notFound,
                "tile \(tile.path) is beyond the current tree (size \(treeSize)): "
                    + "fetch /checkpoint and ask for the tiles it has"
            )
        }
        let hashes = try ledger.hashes(level: Tile.height * tile.level, from: first, count: tile.width)
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
    func blockNote(_ height: UInt64) throws -> [UInt8] {
        let count = ledger.current.blockCount
        guard height < count, let note = try ledger.blockNote(height) else {
            throw PublicAPIError(.notFound, Self.noBlock(height, count: count))
        }
        return note
    }

    /// The newest block's note and height.
    func latestBlockNote() throws -> (height: UInt64, note: [UInt8]) {
        let count = ledger.current.blockCount
        guard count > 0 else {
            throw PublicAPIError(
                .notFound,
                "no block is sealed yet: block 0 closes \(ledger.genesis.startDate) "
                    + "(\(ledger.genesis.timeZone)) after its midnight"
            )
        }
        return (count - 1, try blockNote(count - 1))
    }

    static func noBlock(_ height: UInt64, count: UInt64) -> String {
        count == 0
            ? "block \(height) is not sealed: no block is sealed yet"
            : "block \(height) is not sealed: the latest is block \(count - 1)"
    }

    /// Block `height`, parsed from the store (which the ledger verified when it wrote it).
    func block(_ height: UInt64) throws -> Block {
        if let block = blocks.withLock({ $0[height] }) { return block }
        let note = try blockNote(height)
        let block = try Block(text: SignedNote(parsing: note).text)
        blocks.withLock { $0[height] = block }
        return block
    }

    /// `GET /blocks?from=H&limit=N`: the explorer's list, ascending from `from`.
    func blocksJSON(from: UInt64, limit: UInt64) throws -> [UInt8] {
        let count = ledger.current.blockCount
        let end = from >= count ? from : min(count, from + limit)
        var json = JSONBytes(capacity: 64 + Int(end - from) * 400)
        json.beginArray()
        for height in from..<end {
            Self.write(try block(height), to: &json)
        }
        json.endArray()
        return json.bytes
    }

    static func write(_ block: Block, to json: inout JSONBytes) {
        json.beginObject()
        json.key("height")
        json.number(block.height)
        json.key("date")
        json.string(block.date)
        json.key("start")
        json.string(rfc3339(seconds: block.start))
        json.key("end")
        json.string(rfc3339(seconds: block.end))
        json.key("treeSize")
        json.number(block.treeSize)
        json.key("rootHash")
        json.base64(block.rootHash)
        json.key("dayFirst")
        json.number(block.dayFirst)
        json.key("dayCount")
        json.number(block.dayCount)
        json.key("dayRoot")
        json.base64(block.dayRoot)
        json.key("hash")
        json.base64(block.hash)
        json.endObject()
    }

    /// `2026-11-23T19:00:00Z`, as the block's `date` line writes it. A parsed block's instants
    /// lie within the years 0001...9999 (`Timestamp` starts at 1970, so it cannot format a day
    /// that opened before it); the civil date is Howard Hinnant's `civil_from_days`.
    static func rfc3339(seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(second / 3600, 2)):\(pad(second / 60 % 60, 2)):\(pad(second % 60, 2))Z"
    }

    // MARK: proofs

    /// Which leaf an inclusion proof is for.
    enum Leaf {
        case index(UInt64)
        case hash(Hash)
    }

    /// Which tree an inclusion proof is against.
    enum TreeSize {
        case latest
        case size(UInt64)
        case block(UInt64)
    }

    /// `{"index","treeSize","leafHash","hashes"}`.
    func inclusionProof(_ leaf: Leaf, in tree: TreeSize) throws -> [UInt8] {
        let latest = ledger.current.treeSize
        let size: UInt64
        switch tree {
        case .latest: size = latest
        case .size(let s):
            guard s <= latest else {
                throw PublicAPIError(.badRequest, "size \(s) is beyond the latest checkpoint (size \(latest))")
            }
            size = s
        case .block(let height): size = try block(height).treeSize
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
            guard let i = try ledger.seq(forLeafHash: hash) else {
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
        // The checks above are the ledger's own (index < size <= latest), so MerkleLog builds the
        // proof directly, through the hash cache.
        let proof = try MerkleTree.inclusionProof(index: index, size: size, reader: hashReader)
        var json = JSONBytes(capacity: 128 + proof.count * 47)
        json.beginObject()
        json.key("index")
        json.number(index)
        json.key("treeSize")
        json.number(size)
        json.key("leafHash")
        json.base64(leafHash)
        json.key("hashes")
        writeHashes(proof, to: &json)
        json.endObject()
        return json.bytes
    }

    /// `{"from","to","hashes"}` for 0 < from <= to <= the latest size.
    func consistencyProof(from: UInt64, to: UInt64?) throws -> [UInt8] {
        let latest = ledger.current.treeSize
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
        let proof = try MerkleTree.consistencyProof(size1: from, size2: to, reader: hashReader)
        var json = JSONBytes(capacity: 96 + proof.count * 47)
        json.beginObject()
        json.key("from")
        json.number(from)
        json.key("to")
        json.number(to)
        json.key("hashes")
        writeHashes(proof, to: &json)
        json.endObject()
        return json.bytes
    }

    var hashReader: CachedHashReader<StoreHashReader> {
        CachedHashReader(cache: hashes, store: StoreHashReader(ledger.store))
    }

    private func writeHashes(_ hashes: [Hash], to json: inout JSONBytes) {
        json.beginArray()
        for hash in hashes { json.base64(hash) }
        json.endArray()
    }

    // MARK: compromise notices

    /// Every compromise notice, in record-name order. A record that is not exactly the notice
    /// object is left out rather than published: nothing else may leak through this route.
    func compromises() throws -> (json: [UInt8], skipped: [String]) {
        var json = JSONBytes(capacity: 1024)
        var skipped: [String] = []
        json.beginArray()
        for (name, value) in try ledger.records(prefix: Self.compromisePrefix) {
            guard case .object(let fields) = try? JSONValue(parsingCanonical: value),
                Set(fields.keys) == Self.compromiseFields
            else {
                skipped.append(name)
                continue
            }
            json.raw(value)
        }
        json.endArray()
        return (json.bytes, skipped)
    }
}

/// Reads stored tree hashes through the cache, asking the store only for the misses, in one call.
struct CachedHashReader<Store: HashReader>: HashReader {
    let cache: BoundedCache<Int64, Hash>
    let store: Store

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
