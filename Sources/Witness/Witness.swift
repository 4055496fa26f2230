import Codecs
import Dispatch
import Synchronization
import LedgerFormats
public import MerkleLog

/// A C2SP tlog-witness v1.0.0 witness: it cosigns a log's checkpoint (tlog-cosignature v1.0.1)
/// only if it is consistent with the latest one it cosigned for that log, and remembers it.
///
/// For a Tamga log (one the logs file pins a genesis for) it also makes a second statement,
/// under a key of its own: that a daily block follows the last block it vouched for (height,
/// `prev`, date, day bounds, first index). See docs/witnessing.md.
///
/// Contract: `addCheckpoint` never throws and never crashes on any input; every refusal is a
/// status with a one-line reason. Checking the old size against the stored state, cosigning
/// and persisting the new state happen on one serial queue, and the state is synced to disk
/// before the answer: concurrent submissions cannot roll the stored size back, and neither can
/// a crash. Submissions that arrive while the queue writes are decided together, in arrival
/// order, and their states written in one synced batch (group commit: one fsync for many logs).
public final class Witness: @unchecked Sendable {
    // `@unchecked Sendable` is sound: the `let`s are immutable and Sendable, and `cache` is read
    // and written only on `queue`.

    /// An answer to `add-checkpoint`: the HTTP status, its content type and body.
    public struct Outcome: Sendable, Hashable {
        public let status: Int
        public let contentType: String
        public let body: String

        static func refused(_ status: Int, _ reason: String) -> Outcome {
            Outcome(status: status, contentType: "text/plain; charset=utf-8", body: reason + "\n")
        }
    }

    /// A submission is at most this big: 63 proof lines and a note with its signatures.
    public static let maxBodyBytes = 16 * 1024
    public static let maxProofLines = 63
    /// A day, as a daily block states it, lasts 22 to 26 hours (clock changes included).
    static let dayBounds: ClosedRange<Int64> = 22 * 3600...26 * 3600

    let logs: LogList
    /// The cosignature/v1 key: "this checkpoint is consistent with all I cosigned before".
    let key: any NoteSigner
    /// The key of the Tamga block statement (a distinct statement needs a distinct key).
    let blockKey: any NoteSigner
    let store: WitnessStore
    let clock: any LedgerClock
    private let queue = DispatchQueue(label: "tamga.witness.state")
    private var cache: [String: LogState] = [:]
    /// Submissions waiting for the queue, and whether a drain is under way there.
    private let waiting = Mutex<(jobs: [Job], draining: Bool)>(([], false))

    /// A parsed submission waiting to be decided.
    private struct Job: Sendable {
        let request: Request
        let checkpoint: Checkpoint
        let root: Hash
        let block: Block?
        let log: LogList.Log
        let answer: CheckedContinuation<Outcome, Never>
    }

    /// Reads the tiles of the Tamga logs listed with a public URL (nil when none is).
    let dayCheck: DayCheck?

    init(logs: LogList, key: any NoteSigner, blockKey: any NoteSigner, store: WitnessStore, clock: any LedgerClock) {
        self.logs = logs
        self.key = key
        self.blockKey = blockKey
        self.store = store
        self.clock = clock
        dayCheck = logs.logs.values.contains { $0.url != nil } ? DayCheck() : nil
    }

    /// Closes the HTTP client that reads logs' tiles; call it once the server has stopped.
    public func shutdown() async throws {
        try await dayCheck?.shutdown()
    }

    /// The latest checkpoint cosigned for `origin`: its size and root (nil before the first).
    public func latest(_ origin: String) async throws -> (size: UInt64, rootHash: Hash)? {
        try await onQueue { try self.state(origin).map { ($0.size, $0.rootHash) } }
    }

    /// `POST <prefix>/add-checkpoint` with `body`.
    public func addCheckpoint(_ body: [UInt8]) async -> Outcome {
        let request: Request
        do {
            request = try Request.parse(body)
        } catch {
            return error.outcome
        }
        guard let log = logs.logs[request.origin] else {
            return .refused(404, "this witness does not witness the log \"\(request.origin.prefix(200))\"")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(note: request.note, verifier: log.verifier)
        } catch {
            return .refused(403, "no signature by the log's key \(log.verifier.verifierKey) verifies: \(error.message)")
        }
        guard request.oldSize <= checkpoint.size else {
            return .refused(400, "the old size \(request.oldSize) is above the checkpoint's size \(checkpoint.size)")
        }
        guard checkpoint.size <= MerkleTree.maxSize, let root = Hash(checkpoint.rootHash) else {
            return .refused(400, "a tree of \(checkpoint.size) leaves is beyond what this witness handles (2^62)")
        }
        var parsedBlock: Block?
        if log.genesisHash != nil, !checkpoint.extensions.isEmpty {
            do {
                parsedBlock = try Block(checkpoint: checkpoint)
            } catch {
                return .refused(422, "a Tamga log's checkpoint carries extension lines that are not a daily block: \(error.message)")
            }
        }
        let block = parsedBlock
        if let block, let url = log.url, let dayCheck {
            // A day of tiles is read only for a block this witness would cosign now; any other
            // goes on to its refusal below.
            let worthReading: Bool
            do {
                worthReading = try await onQueue {
                    let state = try self.state(log.origin)
                    guard request.oldSize == state?.size ?? 0 else { return false }
                    if case .refused = Self.follows(block, after: state?.block, genesisHash: log.genesisHash ?? []) { return false }
                    return true
                }
            } catch {
                return .refused(500, "the witness could not read its state, so it did not cosign: \(error)")
            }
            if worthReading {
                switch dayCheck.verdict(on: block, origin: log.origin, url: url) {
                case .passed: break
                case .running:
                    return .refused(
                        503, "checking daily block \(block.height)'s \(block.dayCount) leaves against the log's tiles; submit it again in a few seconds")
                case .unavailable(let reason):
                    return .refused(503, "could not check daily block \(block.height) against the log's tiles (\(reason)); submit it again later")
                case .failed(let reason): return .refused(422, "daily block \(block.height): \(reason)")
                }
            }
        }
        return await withCheckedContinuation { answer in
            let job = Job(request: request, checkpoint: checkpoint, root: root, block: block, log: log, answer: answer)
            let start = waiting.withLock { waiting in
                waiting.jobs.append(job)
                defer { waiting.draining = true }
                return !waiting.draining
            }
            if start { queue.async { self.drain() } }
        }
    }

    /// Decides the waiting submissions a group at a time, writes the group's new states in one
    /// synced batch, then answers them: on `queue` only.
    private func drain() {
        while true {
            let jobs = waiting.withLock { waiting in
                defer { waiting.jobs = [] }
                if waiting.jobs.isEmpty { waiting.draining = false }
                return waiting.jobs
            }
            guard !jobs.isEmpty else { return }
            var outcomes: [Outcome] = []
            var changed: [String: LogState] = [:]
            do {
                for job in jobs {
                    let (outcome, next) = try decide(
                        job.request, checkpoint: job.checkpoint, root: job.root, block: job.block, log: job.log)
                    if let next {
                        // The next submission of this group sees it, as if it were stored already.
                        cache[job.log.origin] = next
                        changed[job.log.origin] = next
                    }
                    outcomes.append(outcome)
                }
                try store.put(changed)
            } catch {
                // Nothing of this group is recorded: its answers, 409s included, may rest on
                // states that were not written. The store is the truth again.
                cache.removeAll()
                let refusal = Outcome.refused(500, "the witness could not record the checkpoint, so it did not cosign it: \(error)")
                outcomes = jobs.map { _ in refusal }
            }
            for (job, outcome) in zip(jobs, outcomes) { job.answer.resume(returning: outcome) }
        }
    }

    /// The state checks and the cosignatures, with the state to record when it cosigned: on
    /// `queue` only.
    private func decide(_ request: Request, checkpoint: Checkpoint, root: Hash, block: Block?, log: LogList.Log) throws
        -> (Outcome, LogState?)
    {
        let state = try state(log.origin)
        let storedSize = state?.size ?? 0
        guard request.oldSize == storedSize else {
            return (Outcome(status: 409, contentType: "text/x.tlog.size", body: "\(storedSize)\n"), nil)
        }
        let storedRoot = state?.rootHash ?? MerkleTree.emptyRoot
        if checkpoint.size == storedSize {
            guard root == storedRoot else {
                return (Outcome(status: 409, contentType: "text/x.tlog.size", body: "\(storedSize)\n"), nil)
            }
            guard request.proof.isEmpty else { return (.refused(422, "equal sizes take an empty consistency proof"), nil) }
        } else if storedSize == 0 {
            guard request.proof.isEmpty else { return (.refused(400, "a proof from the old size 0 must be empty"), nil) }
        } else {
            do {
                try MerkleTree.verifyConsistency(
                    size1: storedSize, size2: checkpoint.size, proof: request.proof, root1: storedRoot, root2: root)
            } catch {
                return (
                    .refused(
                        422, "the consistency proof from size \(storedSize) to \(checkpoint.size) does not verify: \(error.message)"),
                    nil
                )
            }
        }
        var blockState = state?.block
        var vouchesForBlock = false
        if let block, let genesisHash = log.genesisHash {
            switch Self.follows(block, after: blockState, genesisHash: genesisHash) {
            case .refused(let reason): return (.refused(422, "daily block \(block.height): \(reason)"), nil)
            case .vouched: vouchesForBlock = true
            case .anchored: break
            }
            blockState = LogState.BlockState(
                height: block.height, hash: block.hash, treeSize: block.treeSize, date: block.date, end: block.end)
        }

        let time = UInt64(max(0, clock.now() / 1000))
        var lines = [try Cosignature.sign(text: checkpoint.text, time: time, with: key).line]
        if vouchesForBlock { lines.append(try Cosignature.sign(text: checkpoint.text, time: time, with: blockKey).line) }
        let next = LogState(size: checkpoint.size, rootHash: root, text: checkpoint.text, block: blockState)
        return (Outcome(status: 200, contentType: "text/plain; charset=utf-8", body: lines.map { $0 + "\n" }.joined()), next)
    }

    enum BlockVerdict: Equatable {
        /// The block follows the last one vouched for: the block key cosigns.
        case vouched
        /// The first block this witness sees of a log that began before it: remembered, so the
        /// next block can be checked against it, but not vouched for (nothing was seen before).
        case anchored
        case refused(String)
    }

    /// Whether `block` is the daily block after `previous` (or block 0 of the pinned genesis).
    static func follows(_ block: Block, after previous: LogState.BlockState?, genesisHash: [UInt8]) -> BlockVerdict {
        guard dayBounds.contains(block.end - block.start) else {
            return .refused("its day lasts \(block.end - block.start) s, not 22 to 26 hours")
        }
        guard let previous else {
            guard block.height == 0 else { return .anchored }
            guard block.previousHash == genesisHash else {
                return .refused("block 0's prev is not the hash of the genesis pinned for this log")
            }
            guard block.dayFirst == 0 else { return .refused("block 0's day starts at \(block.dayFirst), not 0") }
            return .vouched
        }
        if block.height == previous.height, block.hash == previous.hash { return .vouched }  // submitted again
        guard block.height == previous.height + 1 else {
            return .refused("its height follows block \(previous.height), the last one cosigned, so it must be \(previous.height + 1)")
        }
        guard block.previousHash == previous.hash else {
            return .refused("prev is not the hash of block \(previous.height) as this witness cosigned it: the chain was rewritten")
        }
        guard block.dayFirst == previous.treeSize else {
            return .refused("the day starts at \(block.dayFirst), but block \(previous.height) ended at \(previous.treeSize)")
        }
        guard block.start == previous.end else {
            return .refused("the day starts at \(block.start), not when block \(previous.height)'s day ended (\(previous.end))")
        }
        guard let date = try? LocalDate(parsing: previous.date).adding(days: 1), block.date == date.description else {
            return .refused("the date \(block.date) does not follow \(previous.date)")
        }
        return .vouched
    }

    private func state(_ origin: String) throws -> LogState? {
        if let cached = cache[origin] { return cached }
        let stored = try store.state(origin)
        if let stored { cache[origin] = stored }
        return stored
    }

    private func onQueue<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// An `add-checkpoint` body, parsed strictly (tlog-witness v1.0.0).
struct Request: Sendable {
    let oldSize: UInt64
    let proof: [Hash]
    let note: SignedNote
    /// The checkpoint's first line, before its signature is checked: which log's keys to use.
    let origin: String

    /// A refusal, as the parse's error.
    struct Refusal: Error {
        let outcome: Witness.Outcome
    }

    static func parse(_ body: [UInt8]) throws(Refusal) -> Request {
        func refuse(_ reason: String) -> Refusal { Refusal(outcome: .refused(400, reason)) }
        guard body.count <= Witness.maxBodyBytes else {
            throw Refusal(outcome: .refused(413, "the body is \(body.count) bytes; a submission is at most \(Witness.maxBodyBytes)"))
        }
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        // The proof part ends at the first empty line; the checkpoint note follows verbatim.
        while let newline = body[start...].firstIndex(of: 0x0A) {
            if newline == start { break }
            lines.append(body[start..<newline])
            guard lines.count <= 1 + Witness.maxProofLines else {
                throw refuse("at most \(Witness.maxProofLines) consistency proof lines")
            }
            start = newline + 1
        }
        guard start < body.count, body[start] == 0x0A else {
            throw refuse("expected `old <size>`, the proof lines, an empty line and the checkpoint, each line ending in a newline")
        }
        guard let first = lines.first, first.starts(with: Array("old ".utf8)),
            let oldSize = CanonicalDecimal.parse(String(decoding: first.dropFirst(4), as: UTF8.self))
        else {
            throw refuse("the first line must be `old <size>` in decimal without leading zeros")
        }
        var proof: [Hash] = []
        for line in lines.dropFirst() {
            guard let bytes = Base64.decode(String(decoding: line, as: UTF8.self)), let hash = Hash(bytes) else {
                throw refuse("a consistency proof line is not the standard base64 of 32 bytes")
            }
            proof.append(hash)
        }
        let noteBytes = Array(body[(start + 1)...])
        let note: SignedNote
        do {
            note = try SignedNote(parsing: noteBytes)
        } catch {
            throw refuse("the checkpoint is not a signed note: \(error.message)")
        }
        guard let newline = note.text.firstIndex(of: "\n") else { throw refuse("the checkpoint has no origin line") }
        return Request(oldSize: oldSize, proof: proof, note: note, origin: String(note.text[..<newline]))
    }
}
