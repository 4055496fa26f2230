import Crypto
import Foundation
import LedgerFormats
import LevelDB
import MerkleLog

/// The journal's writes without the ledger: for a batch of appends, the same keys and values
/// `Ledger` commits (the scheme of Sources/Journal/Layout.swift: entry, leaf-hash index, owner
/// index, tree hashes, signed checkpoint, time), written as one LevelDB batch with
/// `Database.write(_:sync:)`. Measures what the storage allows for a given batch size.
///
/// The bytes are prepared outside the timed part, so the figure is LevelDB plus the disk only.
final class RawJournal {
    private let db: Database
    private let signer: BenchSigner
    private(set) var size: UInt64 = 0

    /// One commit's keys and values, ready to write.
    struct Batch {
        var keys: [[UInt8]] = []
        var values: [[UInt8]] = []
        var entries = 0
        var treeSize: UInt64 = 0

        mutating func put(_ key: [UInt8], _ value: [UInt8]) {
            keys.append(key)
            values.append(value)
        }
    }

    init(path: String) throws {
        var options = Database.Options()  // the options JournalStore opens with, plus create
        options.createIfMissing = true
        options.errorIfExists = true
        db = try Database(path: path, options: options)
        signer = try BenchSigner(name: Chain.origin)
    }

    /// The bytes the ledger writes when it commits the next `count` records of `workload`.
    func prepare(_ workload: Workload, count: Int) throws -> Batch {
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        let time = try Timestamp(millisecondsSinceEpoch: millis)
        var batch = Batch()
        batch.keys.reserveCapacity(count * 6 + 2)
        batch.values.reserveCapacity(count * 6 + 2)
        var leafHashes: [Hash] = []
        leafHashes.reserveCapacity(count)
        for i in 0..<count {
            let seq = size + UInt64(i)
            let record = workload[Int(seq)]
            let entry = try Entry(record, seq: Int64(seq), time: time)
            let leafHash = MerkleTree.leafHash(entry.canonicalBytes)
            leafHashes.append(leafHash)
            batch.put(Key.entry(seq), entry.canonicalBytes)
            batch.put(Key.leaf(leafHash), Key.bigEndian(seq))
            batch.put(Key.index(Key.owner, record.owner, seq), [])
        }
        let stored = try MerkleTree.storedHashes(n: size, leafHashes: leafHashes, reader: RawHashReader(db: db))
        for (offset, hash) in stored.hashes.enumerated() {
            let (level, n) = MerkleTree.splitStoredHashIndex(stored.startIndex + Int64(offset))
            batch.put(Key.hash(level, n), hash.bytes)
        }
        let checkpoint = try Checkpoint(origin: Chain.origin, size: stored.treeSize, rootHash: stored.rootHash.bytes)
        batch.put(Key.checkpoint, Array(try checkpoint.signed(by: signer).formatted.utf8))
        batch.put(Key.time, Key.bigEndian(UInt64(bitPattern: millis)))
        batch.entries = count
        batch.treeSize = stored.treeSize
        return batch
    }

    /// Writes a prepared batch as one LevelDB batch; with `sync`, durably.
    func write(_ batch: Batch, sync: Bool) throws {
        let writeBatch = WriteBatch()
        for (key, value) in zip(batch.keys, batch.values) { writeBatch.put(key, value) }
        try db.write(writeBatch, sync: sync)
        size = batch.treeSize
    }

    struct Result {
        let batchSize: Int
        let entries: Int
        let batches: Int
        /// Time inside `write` only.
        let writeTime: Duration
        /// Time preparing the bytes: the ledger's CPU work per entry, outside LevelDB.
        let prepareTime: Duration
        /// Thread CPU time inside `write` and preparing: what the work costs when it has a core.
        let writeCPU: Duration
        let prepareCPU: Duration
        /// Process CPU time over the run: also LevelDB's background compaction.
        let processCPU: Duration
        let commits: Percentiles

        var entriesPerSecond: Double { Double(entries) / writeTime.seconds }
        /// CPU per entry of preparing and writing it on one thread: the single writer's bound.
        var threadCPUPerEntry: Double { (writeCPU + prepareCPU).seconds / Double(entries) }
        /// CPU per entry of every thread, compaction included.
        var processCPUPerEntry: Double { processCPU.seconds / Double(entries) }
    }

    /// Writes batches of `batchSize` into a new database in `folder` for about `duration`.
    static func measure(
        _ workload: Workload, batchSize: Int, duration: Duration, folder: ScratchFolder, sync: Bool = true
    ) throws -> Result {
        let raw = try RawJournal(path: folder.path + "/raw-\(batchSize)")
        let clock = ContinuousClock()
        var writeTime = Duration.zero
        var prepareTime = Duration.zero
        var writeCPU = Duration.zero
        var prepareCPU = Duration.zero
        var commits: [Duration] = []
        let processBefore = processCPUTime()
        let end = clock.now + duration
        while clock.now < end || commits.count < 3 {
            let prepared = clock.now
            let preparedCPU = threadCPUTime()
            let batch = try raw.prepare(workload, count: batchSize)
            let started = clock.now
            let startedCPU = threadCPUTime()
            try raw.write(batch, sync: sync)
            let took = started.duration(to: clock.now)
            writeCPU += threadCPUTime() - startedCPU
            prepareCPU += startedCPU - preparedCPU
            prepareTime += prepared.duration(to: started)
            writeTime += took
            commits.append(took)
        }
        return Result(
            batchSize: batchSize, entries: commits.count * batchSize, batches: commits.count, writeTime: writeTime,
            prepareTime: prepareTime, writeCPU: writeCPU, prepareCPU: prepareCPU,
            processCPU: processCPUTime() - processBefore,
            commits: Percentiles(commits))
    }
}

/// The journal's key scheme (Sources/Journal/Layout.swift), restated: that one is internal.
private enum Key {
    static let owner = UInt8(ascii: "o")
    static let checkpoint = Array("s/checkpoint".utf8)
    static let time = Array("s/time".utf8)

    static func entry(_ seq: UInt64) -> [UInt8] { [UInt8(ascii: "e")] + bigEndian(seq) }
    static func leaf(_ hash: Hash) -> [UInt8] { [UInt8(ascii: "l")] + hash.bytes }
    static func hash(_ level: Int, _ n: UInt64) -> [UInt8] { [UInt8(ascii: "h"), UInt8(level)] + bigEndian(n) }
    static func index(_ prefix: UInt8, _ name: String, _ seq: UInt64) -> [UInt8] {
        let utf8 = Array(name.utf8)
        return [prefix, UInt8(utf8.count >> 8), UInt8(utf8.count & 0xff)] + utf8 + bigEndian(seq)
    }
    static func bigEndian(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
}

/// Reads stored hashes from the raw database, as the ledger's `StoreHashReader` does.
private struct RawHashReader: HashReader {
    let db: Database

    func readHashes(_ indexes: [Int64]) throws -> [Hash] {
        try indexes.map { index in
            let (level, n) = MerkleTree.splitStoredHashIndex(index)
            guard let bytes = try db.get(Key.hash(level, n)), let hash = Hash(bytes) else {
                throw BenchError("raw benchmark database lost tree hash (\(level), \(n))")
            }
            return hash
        }
    }
}

/// A throwaway log key, held only for the run (the raw benchmark's checkpoints, the synthetic
/// chain's blocks): real Ed25519 signatures, so notes have their production size.
struct BenchSigner: NoteSigner {
    let name: String
    let keyID: UInt32
    let verifier: NoteVerifier
    private let key: Curve25519.Signing.PrivateKey

    init(name: String) throws {
        key = Curve25519.Signing.PrivateKey()
        self.name = name
        verifier = try NoteVerifier(name: name, publicKey: Array(key.publicKey.rawRepresentation))
        keyID = verifier.keyID
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message)) }
}
