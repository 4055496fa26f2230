import Foundation
public import HSMBoundary
public import Journal
public import LedgerFormats
import MerkleLog
public import PublicLog
import Sodium

/// The ledger: the single writer of the journal. It sequences events into the RFC 9162 tree,
/// signs a checkpoint per batch and closes every day of the genesis time zone with a block.
///
/// Durability contract: `append` returns only after the entry, the tree hashes it adds, the new
/// signed checkpoint (and any block sealed before it) are in the store through one synced
/// LevelDB batch. Concurrent appends are group-committed: one batch, one fsync. The events of
/// one `append(_:records:)` call get consecutive sequence numbers, in order.
///
/// Other modules see the ledger through narrow doors: the public face reads it as a
/// `PublicLogReader` (no entry, no record), the HSM as an `HSMJournal` (its events and its
/// records); the store itself is not visible outside.
///
/// If a write fails, its outcome is unknown (LevelDB may or may not have applied it), so the
/// ledger stops: every waiting and later append fails with `.stopped`, and a restart recovers
/// from whatever the store holds, which is always consistent.
public final class Ledger: @unchecked Sendable {
    // `@unchecked Sendable` is sound: the `let`s are immutable and Sendable; `queue`, `phase` and
    // `published` are read and written only with `condition` locked; `tree` is owned by the writer
    // thread once `start` has run (before that only by `init`, on the caller's thread).

    let store: JournalStore
    public let genesis: Genesis
    public let verifier: NoteVerifier
    public let calendar: DayCalendar
    let signer: any NoteSigner
    let clock: any LedgerClock
    let maxBatch: Int
    /// Test hook: called around the commit of every batch, to inject failures.
    package var faultInjector: (@Sendable (FaultPoint) throws -> Void)?

    private let condition = NSCondition()
    private var queue: [Request] = []
    /// While the writer lingers: the queue length that wakes it (see `run`); 0 otherwise.
    private var lingerTarget = 0
    /// The longest the writer waits for the last commit's callers to queue again.
    static let linger: TimeInterval = 0.000_25
    private var phase = Phase.idle
    private var published: LogHead
    private var tree: TreeState
    private var writer: pthread_t?

    package enum FaultPoint: Sendable { case beforeCommit, afterCommit }

    fileprivate enum Request {
        case append(EventRecord, [RecordWrite], CheckedContinuation<Appended, any Error>)
        /// Several events of one caller: consecutive entries, in order, in one batch.
        case appendAll([EventRecord], [RecordWrite], CheckedContinuation<[Appended], any Error>)
        case sealDueDays(CheckedContinuation<Void, any Error>)
        /// Witnesses' cosignatures to keep (`addCosignatures`, `publishCosigned`).
        case cosign(Cosigning, CheckedContinuation<Void, any Error>)

        /// How many entries the request adds.
        var entryCount: Int {
            switch self {
            case .append: 1
            case .appendAll(let events, _, _): events.count
            case .sealDueDays, .cosign: 0
            }
        }
    }

    fileprivate enum Phase { case idle, running, stopping, stopped, failed(LedgerError) }

    fileprivate enum Cosigning {
        case block(UInt64, [NoteSignature])
        case checkpoint(SignedNote)
    }

    /// What only the writer needs.
    private struct TreeState {
        var size: UInt64
        var root: Hash
        var lastTime: Int64
        var blockCount: UInt64
        var previousBlockHash: [UInt8]
        var dayFirst: UInt64
        var day: RootAccumulator
        /// The open day's bounds, cached: Foundation's calendar is too slow to ask per batch.
        var openDay: DayCalendar.Day?
    }

    /// Opens a ledger on an initialised store and checks that the store, the genesis and the log
    /// key belong together and that the stored tree agrees with its signed checkpoint.
    public init(
        store: JournalStore, genesis: Genesis, signer: any NoteSigner, clock: any LedgerClock = SystemClock(),
        maxBatch: Int = 4096
    ) throws {
        self.store = store
        self.genesis = genesis
        self.signer = signer
        self.clock = clock
        self.maxBatch = maxBatch
        self.verifier = try NoteVerifier(verifierKey: genesis.verifierKey)
        self.calendar = try DayCalendar(genesis: genesis)
        guard signer.name == verifier.name, signer.keyID == verifier.keyID else {
            throw LedgerError(.mismatch, "the log key (key ID \(String(format: "%08x", signer.keyID))) is not the key of this genesis (\(genesis.verifierKey)): wrong data folder or wrong key file")
        }
        guard try store.genesis() == genesis.canonicalBytes else {
            throw LedgerError(.mismatch, "the store at \(store.path) was created for another genesis document: wrong data folder")
        }
        let (head, tree) = try Self.recover(store: store, genesis: genesis, verifier: verifier)
        self.published = head
        self.tree = tree
    }

    /// Writes the empty tree's signed checkpoint into a new store (part of `tamga init`).
    public static func initialize(store: JournalStore, signer: any NoteSigner) throws {
        let checkpoint = try Checkpoint(origin: signer.name, size: 0, rootHash: MerkleTree.emptyRoot.bytes)
        let batch = JournalBatch()
        batch.setCheckpoint(Array(try checkpoint.signed(by: signer).formatted.utf8), lastTime: 0)
        try store.commit(batch)
    }

    private static func recover(store: JournalStore, genesis: Genesis, verifier: NoteVerifier) throws -> (LogHead, TreeState) {
        guard let noteBytes = try store.checkpoint() else {
            throw LedgerError(.corrupt, "the store at \(store.path) has no checkpoint: it was not initialised by `tamga init`")
        }
        let note = try SignedNote(parsing: noteBytes)
        let checkpoint = try Checkpoint(note: note, verifier: verifier)
        let root = try MerkleTree.treeHash(size: checkpoint.size, reader: StoreHashReader(store))
        guard root.bytes == checkpoint.rootHash else {
            throw LedgerError(.corrupt, "the stored tree hashes give root \(root) for size \(checkpoint.size), but the signed checkpoint says \(Hash(checkpoint.rootHash)?.base64 ?? "?"): the store is damaged")
        }
        guard try store.entry(checkpoint.size) == nil else {
            throw LedgerError(.corrupt, "the store holds entry \(checkpoint.size) beyond its checkpoint: the store is damaged")
        }
        let blockCount = try store.blockCount()
        var previousBlockHash = genesis.hash
        var dayFirst: UInt64 = 0
        if blockCount > 0 {
            guard let blockNote = try store.block(blockCount - 1) else {
                throw LedgerError(.corrupt, "block \(blockCount - 1) is missing from the store")
            }
            let block = try Block(note: SignedNote(parsing: blockNote), verifier: verifier)
            previousBlockHash = block.hash
            dayFirst = block.treeSize
        }
        var day = RootAccumulator()
        var next = dayFirst
        while next < checkpoint.size {
            let chunk = try store.hashes(level: 0, from: next, count: Int(min(65536, checkpoint.size - next)))
            guard !chunk.isEmpty else { throw LedgerError(.corrupt, "leaf hash \(next) is missing from the store") }
            for bytes in chunk {
                guard let hash = Hash(bytes) else { throw LedgerError(.corrupt, "leaf hash \(next) is not 32 bytes") }
                day.append(hash)
            }
            next += UInt64(chunk.count)
        }
        let lastTime = try store.lastTime() ?? 0
        let head = LogHead(
            treeSize: checkpoint.size, rootHash: root, checkpoint: note, blockCount: blockCount,
            checkpointTime: Self.checkpointTime(lastTime),
            cosignedCheckpoint: try store.cosignedCheckpoint().map { try SignedNote(parsing: $0) })
        let tree = TreeState(
            size: checkpoint.size, root: root, lastTime: lastTime, blockCount: blockCount,
            previousBlockHash: previousBlockHash, dayFirst: dayFirst, day: day, openDay: nil)
        return (head, tree)
    }

    // MARK: running

    /// Starts the writer thread. It first seals every day that ended while the node was down,
    /// in order, and only then sequences new events.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard case .idle = phase else { return }
        phase = .running
        // A joinable POSIX thread rather than a Foundation `Thread`: `shutdown` joins it, so once
        // it returns the writer holds no reference to the ledger and the store can be reopened.
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            let ledger = Unmanaged<Ledger>.fromOpaque(context).takeRetainedValue()
            ledger.run()
            return nil
        }, context)
        precondition(rc == 0, "cannot start the sequencer thread: \(rc)")
        writer = thread
    }

    /// Stops taking events, commits those already queued, and waits for the writer to finish.
    public func shutdown() {
        condition.lock()
        switch phase {
        case .running: phase = .stopping
        case .idle: phase = .stopped
        default: break
        }
        let thread = writer
        writer = nil
        condition.broadcast()
        condition.unlock()
        if let thread { pthread_join(thread, nil) }
    }

    /// The latest durable state.
    public var head: LogHead {
        condition.lock()
        defer { condition.unlock() }
        return published
    }

    /// Whether the writer is sequencing (for `/health`).
    public var isSequencing: Bool {
        condition.lock()
        defer { condition.unlock() }
        if case .running = phase { return true }
        return false
    }

    /// Sequences one event and returns when it is durable and signed over.
    ///
    /// - Throws: `LedgerError.stopped` when the ledger is not running or a write failed;
    ///   `storage` if this entry's batch could not be written (then nothing was acknowledged).
    public func append(_ record: EventRecord, records: [RecordWrite] = []) async throws -> Appended {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.append(record, records, continuation))
        }
    }

    /// Sequences `events` as consecutive entries, in order, with `records`, in one batch (and
    /// one checkpoint); returns when they are durable and signed over, one `Appended` each. A
    /// call of more than `maxBatch` events is committed alone, whole.
    public func append(_ events: [EventRecord], records: [RecordWrite]) async throws -> [Appended] {
        guard !events.isEmpty else {
            throw LedgerError(.invalidEvent, "an append needs at least one event")
        }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(.appendAll(events, records, continuation))
        }
    }

    /// Adds witnesses' cosignature lines to block `height`'s stored note: `/blocks/<h>` serves
    /// them from then on. The block's text, and so its hash, do not change. A line by a key
    /// already on the note is not added again. Durable when this returns.
    public func addCosignatures(_ lines: [NoteSignature], toBlock height: UInt64) async throws {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.cosign(.block(height, lines), continuation))
        }
    }

    /// Keeps `note`, a checkpoint of this log with the witnesses' cosignatures that meet the
    /// operator's policy, as the one served (`LogHead.cosignedCheckpoint`). Refused unless the
    /// log's own signature verifies and its tree is the stored tree of that size; ignored when
    /// an older one than the one kept. Durable when this returns.
    public func publishCosigned(_ note: SignedNote) async throws {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.cosign(.checkpoint(note), continuation))
        }
    }

    /// Seals every day that has ended by the clock, and returns when they are durable. The
    /// writer also does this on its own within a second of each midnight.
    public func sealDueDays() async throws {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.sealDueDays(continuation))
        }
    }

    private func enqueue(_ request: Request) {
        condition.lock()
        let refusal: LedgerError?
        switch phase {
        case .running:
            queue.append(request)
            // Wake the writer for the first request, or when a lingering writer's batch is full.
            if queue.count == 1 || queue.count == lingerTarget { condition.signal() }
            refusal = nil
        case .failed(let error):
            refusal = error
        default:
            refusal = LedgerError(.stopped, "the ledger is not running (not started, or shutting down)")
        }
        condition.unlock()
        if let refusal { request.fail(refusal) }
    }

    private func run() {
        var lastBatch = 0
        while true {
            condition.lock()
            while queue.isEmpty, case .running = phase {
                // Wake at least every second to seal a day whose midnight has passed.
                if !condition.wait(until: Date(timeIntervalSinceNow: 1)) { break }
            }
            // Group commit: every commit costs an fsync, and the callers the last commit just
            // answered are queuing their next appends now. Taking the batch at once would commit
            // only those that made it, so wait up to `linger` for as many as the last batch held.
            if case .running = phase, queue.count < lastBatch, lastBatch > 1 {
                lingerTarget = min(lastBatch, maxBatch)
                let deadline = Date(timeIntervalSinceNow: Self.linger)
                while queue.count < lingerTarget, condition.wait(until: deadline) {}
                lingerTarget = 0
            }
            // At most `maxBatch` entries, but always the first request (one takes at most that many).
            var taken = 0
            var entries = 0
            for request in queue {
                entries += request.entryCount
                guard taken == 0 || entries <= maxBatch else { break }
                taken += 1
            }
            let requests = Array(queue.prefix(taken))
            lastBatch = requests.count
            queue.removeFirst(requests.count)
            let finished: Bool
            switch phase {
            case .running: finished = false
            default: finished = queue.isEmpty && requests.isEmpty
            }
            condition.unlock()
            if finished { break }

            do {
                try sealDays()
                try commit(requests)
            } catch {
                let failure = error as? LedgerError ?? LedgerError(.storage, "\(error)")
                let stopped = LedgerError(.stopped, "the ledger stopped after a failed write (\(failure.message)); nothing unacknowledged is lost: fix the cause (disk space?) and restart the node")
                condition.lock()
                phase = .failed(stopped)
                let rest = queue
                queue.removeAll()
                condition.unlock()
                for request in requests { request.fail(failure) }
                for request in rest { request.fail(stopped) }
                return
            }
        }
        condition.lock()
        phase = .stopped
        condition.unlock()
    }

    /// Seals, in order, every day whose end has passed by the clock.
    private func sealDays() throws {
        let now = clock.now()
        while true {
            let day = try openDay()
            guard now >= day.end.millisecondsSinceEpoch else { return }
            try seal(day)
        }
    }

    private func openDay() throws -> DayCalendar.Day {
        if let day = tree.openDay, day.height == Int64(tree.blockCount) { return day }
        let day = try calendar.day(atHeight: Int64(tree.blockCount))
        tree.openDay = day
        return day
    }

    private func seal(_ day: DayCalendar.Day) throws {
        let block = try Block(
            origin: verifier.name, treeSize: tree.size, rootHash: tree.root.bytes, height: tree.blockCount,
            date: day.date.description, start: day.start.millisecondsSinceEpoch / 1000,
            end: day.end.millisecondsSinceEpoch / 1000, previousHash: tree.previousBlockHash, dayFirst: tree.dayFirst,
            dayRoot: tree.day.rootHash.bytes)
        let note = try block.signed(by: signer)
        let batch = JournalBatch()
        batch.putBlock(height: tree.blockCount, note: Array(note.formatted.utf8))
        try write(batch)
        tree.blockCount += 1
        tree.previousBlockHash = block.hash
        tree.dayFirst = tree.size
        tree.day = RootAccumulator()
        publish(checkpoint: nil)
    }

    /// Who waits for which of a batch's entries.
    private enum Reply {
        case one(CheckedContinuation<Appended, any Error>)
        case all(Int, CheckedContinuation<[Appended], any Error>)
    }

    private func commit(_ requests: [Request]) throws {
        var records: [EventRecord] = []
        var replies: [Reply] = []
        var sealers: [CheckedContinuation<Void, any Error>] = []
        var cosignings: [(Cosigning, CheckedContinuation<Void, any Error>)] = []
        var recordWrites: [RecordWrite] = []
        records.reserveCapacity(requests.count)
        replies.reserveCapacity(requests.count)
        for request in requests {
            switch request {
            case .append(let record, let writes, let continuation):
                records.append(record)
                replies.append(.one(continuation))
                recordWrites += writes
            case .appendAll(let events, let writes, let continuation):
                records += events
                replies.append(.all(events.count, continuation))
                recordWrites += writes
            case .sealDueDays(let continuation): sealers.append(continuation)
            case .cosign(let cosigning, let continuation): cosignings.append((cosigning, continuation))
            }
        }
        if !cosignings.isEmpty { try keep(cosignings) }
        guard !records.isEmpty else {
            for sealer in sealers { sealer.resume() }
            return
        }

        // Time never decreases, and never falls before the open day: a clock that steps back
        // across midnight cannot put an entry into a day already sealed.
        let time = max(clock.now(), tree.lastTime, try openDay().start.millisecondsSinceEpoch)
        let timestamp = try Timestamp(millisecondsSinceEpoch: time)
        let salts = Sodium.randomBytes(records.count * Entry.saltSize)

        let batch = JournalBatch()
        var leafHashes: [Hash] = []
        leafHashes.reserveCapacity(records.count)
        for (i, record) in records.enumerated() {
            let seq = tree.size + UInt64(i)
            let salt = Array(salts[i * Entry.saltSize..<(i + 1) * Entry.saltSize])
            let entry = try Entry(record, seq: Int64(seq), time: timestamp, salt: salt)
            let leafHash = MerkleTree.leafHash(entry.canonicalBytes)
            leafHashes.append(leafHash)
            batch.putEntry(seq: seq, bytes: entry.canonicalBytes, leafHash: leafHash.bytes, owner: record.owner)
        }
        for write in recordWrites {
            switch write {
            case .put(let name, let value): batch.putRecord(name, value)
            case .delete(let name): batch.deleteRecord(name)
            }
        }
        let stored = try MerkleTree.storedHashes(n: tree.size, leafHashes: leafHashes, reader: StoreHashReader(store))
        for (offset, hash) in stored.hashes.enumerated() {
            let (level, n) = MerkleTree.splitStoredHashIndex(stored.startIndex + Int64(offset))
            batch.putHash(level: level, index: n, hash: hash.bytes)
        }
        let checkpoint = try Checkpoint(origin: verifier.name, size: stored.treeSize, rootHash: stored.rootHash.bytes)
        let note = try checkpoint.signed(by: signer)
        batch.setCheckpoint(Array(note.formatted.utf8), lastTime: time)
        try write(batch)

        let first = tree.size
        tree.size = stored.treeSize
        tree.root = stored.rootHash
        tree.lastTime = time
        for leafHash in leafHashes { tree.day.append(leafHash) }
        publish(checkpoint: note)
        var next = 0
        func appended(_ i: Int) -> Appended {
            Appended(seq: first + UInt64(i), time: timestamp, leafHash: leafHashes[i], treeSize: stored.treeSize)
        }
        for reply in replies {
            switch reply {
            case .one(let continuation):
                continuation.resume(returning: appended(next))
                next += 1
            case .all(let count, let continuation):
                continuation.resume(returning: (next..<next + count).map(appended))
                next += count
            }
        }
        for sealer in sealers { sealer.resume() }
    }

    /// Writes witnesses' cosignatures in one batch of their own. A cosigning that does not fit
    /// (an unknown block, a checkpoint of another tree) is refused alone; the others are kept.
    private func keep(_ cosignings: [(Cosigning, CheckedContinuation<Void, any Error>)]) throws {
        let batch = JournalBatch()
        var blocks: [UInt64: SignedNote] = [:]
        var cosigned = published.cosignedCheckpoint
        var accepted: [CheckedContinuation<Void, any Error>] = []
        for (cosigning, continuation) in cosignings {
            do {
                switch cosigning {
                case .block(let height, let lines):
                    guard height < tree.blockCount, let stored = try blocks[height] ?? storedBlock(height) else {
                        throw LedgerError(.notFound, "block \(height) is not sealed: there is nothing to cosign")
                    }
                    var signatures = stored.signatures
                    for line in lines where !signatures.contains(where: { $0.isBySameKey(as: line) }) {
                        signatures.append(line)
                    }
                    let note = try SignedNote(text: stored.text, signatures: signatures)
                    blocks[height] = note
                    batch.putBlock(height: height, note: Array(note.formatted.utf8))
                case .checkpoint(let note):
                    let checkpoint = try Checkpoint(note: note, verifier: verifier)
                    guard checkpoint.size <= tree.size,
                        try MerkleTree.treeHash(size: checkpoint.size, reader: StoreHashReader(store)).bytes == checkpoint.rootHash
                    else {
                        throw LedgerError(.mismatch, "the cosigned checkpoint (size \(checkpoint.size)) is not of this log's tree")
                    }
                    let current = try cosigned.map { try Checkpoint(text: $0.text).size } ?? 0
                    if cosigned == nil || checkpoint.size > current
                        || (checkpoint.size == current && note.signatures.count > cosigned?.signatures.count ?? 0)
                    {
                        cosigned = note
                        batch.setCosignedCheckpoint(Array(note.formatted.utf8))
                    }
                }
                accepted.append(continuation)
            } catch {
                continuation.resume(throwing: error)
            }
        }
        guard !accepted.isEmpty else { return }
        try write(batch)
        condition.lock()
        published = LogHead(
            treeSize: published.treeSize, rootHash: published.rootHash, checkpoint: published.checkpoint,
            blockCount: published.blockCount, checkpointTime: published.checkpointTime, cosignedCheckpoint: cosigned)
        condition.unlock()
        for continuation in accepted { continuation.resume() }
    }

    private func storedBlock(_ height: UInt64) throws -> SignedNote? {
        guard let bytes = try store.block(height) else { return nil }
        return try SignedNote(parsing: bytes)
    }

    private func write(_ batch: JournalBatch) throws {
        try faultInjector?(.beforeCommit)
        do {
            try store.commit(batch)
        } catch let error as JournalError {
            throw LedgerError(.storage, error.message)
        }
        try faultInjector?(.afterCommit)
    }

    private func publish(checkpoint: SignedNote?) {
        condition.lock()
        published = LogHead(
            treeSize: tree.size, rootHash: tree.root, checkpoint: checkpoint ?? published.checkpoint,
            blockCount: tree.blockCount, checkpointTime: Self.checkpointTime(tree.lastTime),
            cosignedCheckpoint: published.cosignedCheckpoint)
        condition.unlock()
    }

    /// The stored last-entry time as the head states it: 0 means nothing was ever appended.
    private static func checkpointTime(_ lastTime: Int64) -> Timestamp? {
        lastTime > 0 ? try? Timestamp(millisecondsSinceEpoch: lastTime) : nil
    }
}

extension Ledger.Request {
    fileprivate func fail(_ error: any Error) {
        switch self {
        case .append(_, _, let continuation): continuation.resume(throwing: error)
        case .appendAll(_, _, let continuation): continuation.resume(throwing: error)
        case .sealDueDays(let continuation): continuation.resume(throwing: error)
        case .cosign(_, let continuation): continuation.resume(throwing: error)
        }
    }
}
