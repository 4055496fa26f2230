import LevelDB

/// The LevelDB store behind the log: entries, their indexes, the tree's hashes, the latest
/// checkpoint and the daily blocks (key scheme: `Layout`).
///
/// Concurrency: any number of readers, one writer (the ledger's sequencer). Every write goes
/// through `commit`, one atomic LevelDB batch, so a crash leaves either all of a batch or none.
public final class JournalStore: Sendable {
    let db: Database
    public let path: String

    private init(db: Database, path: String) {
        self.db = db
        self.path = path
    }

    /// Creates an empty store holding `genesis` at `path`; refuses if one exists there. A
    /// `development` store says so for ever (`isDevelopment`).
    public static func create(at path: String, genesis: [UInt8], development: Bool = false) throws -> JournalStore {
        var options = Database.Options()
        options.createIfMissing = true
        options.errorIfExists = true
        let db: Database
        do {
            db = try Database(path: path, options: options)
        } catch let error as LevelDBError where error.code == .invalidArgument && error.message.contains("exists") {
            throw JournalError(.exists, "a store already exists at \(path); choose another folder or remove it")
        } catch let error as LevelDBError {
            throw mapped(error, path: path)
        }
        let batch = WriteBatch()
        batch.put(Layout.formatKey, Layout.formatValue)
        batch.put(Layout.genesisKey, genesis)
        if development { batch.put(Layout.developmentKey, []) }
        try wrap(path) { try db.write(batch, sync: true) }
        return JournalStore(db: db, path: path)
    }

    /// Opens an existing store for reading and writing (LevelDB allows one process at a time).
    public static func open(at path: String) throws -> JournalStore {
        let db: Database
        do {
            db = try Database(path: path)
        } catch let error as LevelDBError {
            throw mapped(error, path: path)
        }
        let format = try wrap(path) { try db.get(Layout.formatKey) }
        guard let format else {
            throw JournalError(.notAStore, "\(path) is a LevelDB database but not a Tamga store (no format record)")
        }
        guard format == Layout.formatValue else {
            throw JournalError(
                .wrongVersion,
                "\(path) holds a store of format '\(String(decoding: format, as: UTF8.self))'; this tamga reads 'tamga-journal \(Layout.formatVersion)': use the matching release"
            )
        }
        return JournalStore(db: db, path: path)
    }

    static func mapped(_ error: LevelDBError, path: String) -> JournalError {
        switch error.code {
        case .locked:
            return JournalError(.locked, "the store at \(path) is in use by another process (a running tamga node?): stop it first. \(error.message)")
        case .notFound:
            return JournalError(.notAStore, "no Tamga store at \(path): create one with `tamga init --data DIR`")
        case .corruption:
            return JournalError(.corrupt, "the store at \(path) is damaged: restore it from a backup. \(error.message)")
        default:
            return JournalError(.storage, error.message)
        }
    }

    static func wrap<R>(_ path: String, _ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as LevelDBError { throw mapped(error, path: path) }
    }

    func get(_ key: [UInt8]) throws -> [UInt8]? { try Self.wrap(path) { try db.get(key) } }

    // MARK: reads

    public func genesis() throws -> [UInt8] {
        guard let bytes = try get(Layout.genesisKey) else {
            throw JournalError(.corrupt, "the store at \(path) has no genesis record")
        }
        return bytes
    }

    /// Whether the store was created as a development chain's.
    public func isDevelopment() throws -> Bool { try get(Layout.developmentKey) != nil }

    public func entry(_ seq: UInt64) throws -> [UInt8]? { try get(Layout.entry(seq)) }

    /// Consecutive entries from `from`, at most `count`, in order: stops at the first seq that
    /// is missing (the end of the log, or a pruned entry), so `result[i]` is entry `from + i`.
    public func entries(from: UInt64, count: Int) throws -> [[UInt8]] {
        guard count > 0 else { return [] }
        let it = db.makeIterator()
        it.seek(Layout.entry(from))
        var out: [[UInt8]] = []
        out.reserveCapacity(min(count, 4096))
        while it.isValid, out.count < count {
            let expected = from + UInt64(out.count)
            let isEntry = it.withKey {
                $0.count == 9 && $0[0] == Layout.entryPrefix && Layout.readBigEndian($0[1...]) == expected
            }
            guard isEntry else { break }
            out.append(it.value)
            it.next()
        }
        try Self.wrap(path) { try it.checkStatus() }
        return out
    }

    public func seq(forLeafHash leafHash: [UInt8]) throws -> UInt64? {
        try get(Layout.leaf(leafHash)).flatMap(Layout.readBigEndian)
    }

    /// The seqs of an owner's entries, newest first, below `before`.
    public func seqs(owner: String, before: UInt64 = .max, limit: Int) throws -> [UInt64] {
        let start = Layout.indexPrefix(Layout.ownerPrefix, owner)
        let it = db.makeIterator()
        it.seek(start + Layout.bigEndian(before))
        if it.isValid { it.previous() } else { it.seekToLast() }
        var out: [UInt64] = []
        while it.isValid, out.count < limit {
            let seq: UInt64? = it.withKey { key in
                guard key.count == start.count + 8, key.starts(with: start) else { return nil }
                return Layout.readBigEndian(key[start.count...])
            }
            guard let seq else { break }
            if seq < before { out.append(seq) }
            it.previous()
        }
        try Self.wrap(path) { try it.checkStatus() }
        return out
    }

    /// The stored tree hash of node (level, index), if that subtree is complete.
    public func hash(level: Int, index: UInt64) throws -> [UInt8]? { try get(Layout.hash(level: level, index: index)) }

    /// Consecutive hashes of one level: what a tile holds. Stops at the first missing one.
    public func hashes(level: Int, from: UInt64, count: Int) throws -> [[UInt8]] {
        let it = db.makeIterator()
        it.seek(Layout.hash(level: level, index: from))
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        var expected = from
        while it.isValid, out.count < count {
            let matches = it.withKey { $0.count == 10 && $0[0] == Layout.hashPrefix && Int($0[1]) == level
                && Layout.readBigEndian($0[2...]) == expected }
            guard matches else { break }
            out.append(it.value)
            expected += 1
            it.next()
        }
        try Self.wrap(path) { try it.checkStatus() }
        return out
    }

    public func checkpoint() throws -> [UInt8]? { try get(Layout.checkpointKey) }
    /// The newest checkpoint with the witnesses' cosignatures that met the policy, if any.
    public func cosignedCheckpoint() throws -> [UInt8]? { try get(Layout.cosignedKey) }
    public func lastTime() throws -> Int64? { try get(Layout.timeKey).flatMap(Layout.readBigEndian).map { Int64(bitPattern: $0) } }
    public func block(_ height: UInt64) throws -> [UInt8]? { try get(Layout.block(height)) }

    /// The number of sealed blocks (the next height to seal).
    public func blockCount() throws -> UInt64 {
        let it = db.makeIterator()
        it.seek([Layout.blockPrefix + 1])
        if it.isValid { it.previous() } else { it.seekToLast() }
        guard it.isValid else { return 0 }
        let height: UInt64? = it.withKey { key in
            guard key.count == 9, key[0] == Layout.blockPrefix else { return nil }
            return Layout.readBigEndian(key[1...])
        }
        try Self.wrap(path) { try it.checkStatus() }
        return height.map { $0 + 1 } ?? 0
    }

    /// A record kept by another module (`x/<name>`), e.g. the HSM's wrapped keys.
    public func record(_ name: String) throws -> [UInt8]? { try get(Layout.record(name)) }

    /// Compacts the store over one record, so that its overwritten values leave every file.
    public func compactRecord(_ name: String) {
        db.compact(from: Layout.record(name), to: Layout.record(name))
    }

    /// Every record whose name starts with `prefix`, in order.
    public func records(prefix: String) throws -> [(name: String, value: [UInt8])] {
        let start = Layout.record(prefix)
        let it = db.makeIterator()
        it.seek(start)
        var out: [(String, [UInt8])] = []
        while it.isValid {
            let key = it.key
            guard key.starts(with: start) else { break }
            out.append((String(decoding: key.dropFirst(2), as: UTF8.self), it.value))
            it.next()
        }
        try Self.wrap(path) { try it.checkStatus() }
        return out
    }

    /// Every key and value of the store, in key order, read from one LevelDB snapshot so that
    /// they agree with each other while the writer runs (an HSM backup copies them all).
    public func forEachRaw(_ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Void) throws {
        let it = db.makeIterator(snapshot: db.makeSnapshot())
        it.seekToFirst()
        while it.isValid {
            try body(it.key, it.value)
            it.next()
        }
        try Self.wrap(path) { try it.checkStatus() }
    }

    // MARK: writes

    /// Applies `batch` atomically; with `sync` it is durable when this returns.
    public func commit(_ batch: JournalBatch, sync: Bool = true) throws {
        try Self.wrap(path) { try db.write(batch.batch, sync: sync) }
    }
}

/// Builds a NEW store from the raw keys and values of another (`forEachRaw`): how an HSM
/// restore brings a store back. Refuses an existing store. Writes in batches; `finish` makes it
/// durable, checks that a Tamga store of this format came in, and closes it.
public final class JournalImport {
    private var db: Database?
    public let path: String
    private var batch = WriteBatch()
    private var batchBytes = 0
    private static let batchLimit = 4 << 20

    public init(at path: String) throws {
        var options = Database.Options()
        options.createIfMissing = true
        options.errorIfExists = true
        do {
            db = try Database(path: path, options: options)
        } catch let error as LevelDBError where error.code == .invalidArgument && error.message.contains("exists") {
            throw JournalError(.exists, "a store already exists at \(path); restore only into an empty folder")
        } catch let error as LevelDBError {
            throw JournalStore.mapped(error, path: path)
        }
        self.path = path
    }

    public func put(_ key: [UInt8], _ value: [UInt8]) throws {
        guard let db else { throw JournalError(.storage, "the import into \(path) is finished; start a new one") }
        batch.put(key, value)
        batchBytes += key.count + value.count
        if batchBytes >= Self.batchLimit {
            try JournalStore.wrap(path) { try db.write(batch, sync: false) }
            batch = WriteBatch()
            batchBytes = 0
        }
    }

    /// Writes what is left with a sync (LevelDB's log is sequential: the earlier batches are
    /// durable too) and closes the store, so that it can be opened with `JournalStore.open`.
    public func finish() throws {
        guard let db else { return }
        try JournalStore.wrap(path) { try db.write(batch, sync: true) }
        let format = try JournalStore.wrap(path) { try db.get(Layout.formatKey) }
        self.db = nil
        guard format == Layout.formatValue else {
            throw JournalError(.notAStore, "the imported records are not a Tamga store of format 'tamga-journal \(Layout.formatVersion)'")
        }
    }
}

/// One atomic set of journal writes, built by the single writer.
public struct JournalBatch {
    let batch = WriteBatch()
    public init() {}

    /// The entry, its leaf-hash index and its owner index (the personal cabinet's).
    public func putEntry(seq: UInt64, bytes: [UInt8], leafHash: [UInt8], owner: String) {
        withUnsafeBytes(of: seq.bigEndian) { seq in
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            Layout.withKey(Layout.entryPrefix, seq) { batch.put($0, bytes) }
            leafHash.withUnsafeBytes { leaf in Layout.withKey(Layout.leafPrefix, leaf) { batch.put($0, seq) } }
            Layout.withIndexKey(Layout.ownerPrefix, owner, seq) { batch.put($0, empty) }
        }
    }

    public func putHash(level: Int, index: UInt64, hash: [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: 10, alignment: 1) { key in  // as `Layout.hash`
            key[0] = Layout.hashPrefix
            key[1] = UInt8(level)
            withUnsafeBytes(of: index.bigEndian) { UnsafeMutableRawBufferPointer(rebasing: key[2...]).copyMemory(from: $0) }
            batch.put(UnsafeRawBufferPointer(key), hash)
        }
    }

    public func setCheckpoint(_ note: [UInt8], lastTime: Int64) {
        batch.put(Layout.checkpointKey, note)
        batch.put(Layout.timeKey, Layout.bigEndian(UInt64(bitPattern: lastTime)))
    }

    public func setCosignedCheckpoint(_ note: [UInt8]) { batch.put(Layout.cosignedKey, note) }

    public func putBlock(height: UInt64, note: [UInt8]) {
        batch.put(Layout.block(height), note)
    }

    public func putRecord(_ name: String, _ value: [UInt8]) { batch.put(Layout.record(name), value) }
    public func deleteRecord(_ name: String) { batch.delete(Layout.record(name)) }
}
