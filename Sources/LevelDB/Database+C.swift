internal import CLevelDB

/// LevelDB's constructors return NULL only when malloc fails; nothing sensible can go on then.
@inline(__always)
func allocated(_ handle: OpaquePointer?) -> OpaquePointer {
    guard let handle else { fatalError("LevelDB could not allocate memory") }
    return handle
}

/// Runs a LevelDB call that reports failure through `errptr`, frees the message, and throws it.
@inline(__always)
func check<R>(_ context: @autoclosure () -> String, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) throws -> R {
    var err: UnsafeMutablePointer<CChar>? = nil
    let result = body(&err)
    if let err {
        let status = String(cString: err)
        leveldb_free(err)
        throw LevelDBError(.classify(status), "\(context()): \(status)")
    }
    return result
}

/// An open LevelDB database. LevelDB handles are thread-safe, so one `Database` serves every
/// reader and the single writer; iterators and batches are not, and are owned by one task.
///
/// `@unchecked Sendable` is sound: the handles are immutable after `init` and LevelDB's
/// `leveldb_t` is documented thread-safe.
public final class Database: @unchecked Sendable {
    public struct Options: Sendable {
        public var createIfMissing = false
        public var errorIfExists = false
        /// Verify checksums aggressively and stop on any corruption rather than skipping it.
        public var paranoidChecks = true
        /// LevelDB's own default. Measured against 16 and 64 MiB at a 10,000/s open loop: the
        /// larger memtables flush in larger bursts that stall writes (p99 19.5 vs 14 ms, max up
        /// to 190 ms vs 26 ms), for no throughput gain (BENCHMARKS.md, "Session 2").
        public var writeBufferSize = 4 << 20
        public var blockCacheSize = 64 << 20
        public init() {}
    }

    private let db: OpaquePointer
    private let options: OpaquePointer
    private let cache: OpaquePointer
    private let filter: OpaquePointer
    private let syncWrite: OpaquePointer
    private let asyncWrite: OpaquePointer
    private let readOptions: OpaquePointer
    public let path: String

    public init(path: String, options opts: Options = Options()) throws {
        let options = allocated(leveldb_options_create())
        let cache = allocated(leveldb_cache_create_lru(opts.blockCacheSize))
        let filter = allocated(leveldb_filterpolicy_create_bloom(10))
        leveldb_options_set_create_if_missing(options, opts.createIfMissing ? 1 : 0)
        leveldb_options_set_error_if_exists(options, opts.errorIfExists ? 1 : 0)
        leveldb_options_set_paranoid_checks(options, opts.paranoidChecks ? 1 : 0)
        leveldb_options_set_write_buffer_size(options, opts.writeBufferSize)
        leveldb_options_set_cache(options, cache)
        leveldb_options_set_filter_policy(options, filter)
        leveldb_options_set_compression(options, Int32(leveldb_snappy_compression))
        do {
            db = allocated(try check("cannot open the LevelDB store at \(path)") { leveldb_open(options, path, $0) })
        } catch {
            leveldb_options_destroy(options)
            leveldb_cache_destroy(cache)
            leveldb_filterpolicy_destroy(filter)
            throw error
        }
        self.options = options
        self.cache = cache
        self.filter = filter
        self.path = path
        syncWrite = allocated(leveldb_writeoptions_create())
        leveldb_writeoptions_set_sync(syncWrite, 1)
        asyncWrite = allocated(leveldb_writeoptions_create())
        readOptions = allocated(leveldb_readoptions_create())
        leveldb_readoptions_set_verify_checksums(readOptions, 1)
    }

    deinit {
        leveldb_close(db)
        leveldb_options_destroy(options)
        leveldb_cache_destroy(cache)
        leveldb_filterpolicy_destroy(filter)
        leveldb_writeoptions_destroy(syncWrite)
        leveldb_writeoptions_destroy(asyncWrite)
        leveldb_readoptions_destroy(readOptions)
    }

    /// The value at `key`; `nil` when the key is missing, `[]` when its value is empty.
    public func get(_ key: some LevelDBBytes) throws -> [UInt8]? {
        var length = 0
        let value: UnsafeMutablePointer<CChar>? = try key.withKeyBytes { k in
            try check("cannot read from \(path)") {
                leveldb_get(db, readOptions, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count, &length, $0)
            }
        }
        guard let value else { return nil }
        defer { leveldb_free(value) }
        return [UInt8](UnsafeRawBufferPointer(start: value, count: length))
    }

    /// Writes `batch` atomically. With `sync`, returns only after the operating system has
    /// flushed LevelDB's log to disk (fsync): the write survives a crash or power loss.
    public func write(_ batch: WriteBatch, sync: Bool) throws {
        try check("cannot write to \(path)") { leveldb_write(db, sync ? syncWrite : asyncWrite, batch.handle, $0) }
    }

    public func put(_ key: some LevelDBBytes, _ value: some LevelDBBytes, sync: Bool) throws {
        let batch = WriteBatch()
        batch.put(key, value)
        try write(batch, sync: sync)
    }

    /// Compacts the keys from `first` to `last` (inclusive) down through every level, after
    /// writing the memtable out: overwritten and deleted versions in that range leave the
    /// table files and the log (unless a snapshot still sees them).
    public func compact(from first: some LevelDBBytes, to last: some LevelDBBytes) {
        first.withKeyBytes { start in
            last.withKeyBytes { limit in
                leveldb_compact_range(
                    db, start.baseAddress?.assumingMemoryBound(to: CChar.self), start.count,
                    limit.baseAddress?.assumingMemoryBound(to: CChar.self), limit.count)
            }
        }
    }

    /// A new iterator over a consistent view of the database (at `snapshot`, or now).
    public func makeIterator(snapshot: Snapshot? = nil) -> Iterator {
        let ro = allocated(leveldb_readoptions_create())
        leveldb_readoptions_set_verify_checksums(ro, 1)
        leveldb_readoptions_set_fill_cache(ro, 1)
        if let snapshot { leveldb_readoptions_set_snapshot(ro, snapshot.handle) }
        return Iterator(allocated(leveldb_create_iterator(db, ro)), readOptions: ro, owner: self, snapshot: snapshot)
    }

    /// A frozen view for reads that must agree with each other.
    public func makeSnapshot() -> Snapshot {
        Snapshot(allocated(leveldb_create_snapshot(db)), owner: self)
    }

    func releaseSnapshot(_ handle: OpaquePointer) { leveldb_release_snapshot(db, handle) }

    /// Deletes the database at `path` (files and folder contents LevelDB owns).
    public static func destroy(path: String) throws {
        let options = allocated(leveldb_options_create())
        defer { leveldb_options_destroy(options) }
        try check("cannot destroy the LevelDB store at \(path)") { leveldb_destroy_db(options, path, $0) }
    }
}

/// A consistent read view; released when the last reference goes.
public final class Snapshot: @unchecked Sendable {  // immutable handle; LevelDB snapshots are thread-safe
    let handle: OpaquePointer
    private let owner: Database
    init(_ handle: OpaquePointer, owner: Database) {
        self.handle = handle
        self.owner = owner
    }
    deinit { owner.releaseSnapshot(handle) }
}

/// A set of puts and deletes applied atomically by `Database.write`.
public final class WriteBatch {
    let handle: OpaquePointer
    public init() { handle = allocated(leveldb_writebatch_create()) }
    deinit { leveldb_writebatch_destroy(handle) }

    public func put(_ key: some LevelDBBytes, _ value: some LevelDBBytes) {
        key.withKeyBytes { k in
            value.withKeyBytes { v in
                leveldb_writebatch_put(
                    handle, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count,
                    v.baseAddress?.assumingMemoryBound(to: CChar.self), v.count)
            }
        }
    }

    public func delete(_ key: some LevelDBBytes) {
        key.withKeyBytes { k in
            leveldb_writebatch_delete(handle, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count)
        }
    }

    public func clear() { leveldb_writebatch_clear(handle) }
}

/// A cursor over keys in order. Owned by one task at a time.
public final class Iterator {
    private let handle: OpaquePointer
    private let readOptions: OpaquePointer
    private let owner: Database  // keeps the database open while iterating
    private let snapshot: Snapshot?

    init(_ handle: OpaquePointer, readOptions: OpaquePointer, owner: Database, snapshot: Snapshot?) {
        self.handle = handle
        self.readOptions = readOptions
        self.owner = owner
        self.snapshot = snapshot
    }

    deinit {
        leveldb_iter_destroy(handle)
        leveldb_readoptions_destroy(readOptions)
    }

    public var isValid: Bool { leveldb_iter_valid(handle) != 0 }
    public func seek(_ key: some LevelDBBytes) {
        key.withKeyBytes { leveldb_iter_seek(handle, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
    }
    public func seekToFirst() { leveldb_iter_seek_to_first(handle) }
    public func seekToLast() { leveldb_iter_seek_to_last(handle) }
    public func next() { leveldb_iter_next(handle) }
    public func previous() { leveldb_iter_prev(handle) }

    public var key: [UInt8] {
        var length = 0
        guard let p = leveldb_iter_key(handle, &length) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: length))
    }

    public var value: [UInt8] {
        var length = 0
        guard let p = leveldb_iter_value(handle, &length) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: length))
    }

    /// Reads without copying; the bytes are valid only inside `body`.
    public func withKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var length = 0
        let p = leveldb_iter_key(handle, &length)
        return try body(UnsafeRawBufferPointer(start: p, count: length))
    }

    /// Throws LevelDB's error if iteration stopped because of one (not just the end).
    public func checkStatus() throws {
        try check("iteration failed in \(owner.path)") { leveldb_iter_get_error(handle, $0) }
    }
}

/// Keys and values: byte arrays, slices and strings (UTF-8).
public protocol LevelDBBytes {
    func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}
extension Array: LevelDBBytes where Element == UInt8 {
    public func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try withUnsafeBytes(body) }
}
extension UnsafeRawBufferPointer: LevelDBBytes {
    public func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(self) }
}
extension ArraySlice: LevelDBBytes where Element == UInt8 {
    public func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try withUnsafeBytes(body) }
}
extension String: LevelDBBytes {
    public func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}
