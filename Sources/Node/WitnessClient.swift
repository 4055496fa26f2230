import AsyncHTTPClient
import BoundedHTTP
import Codecs
import Foundation
public import Ledger
public import LedgerFormats
public import Logging
import MerkleLog
import NIOCore
import NIOHTTP1
import PublicLog
public import ServiceLifecycle
import Synchronization

/// Submits the node's checkpoints and daily blocks to the witnesses of the operator's policy
/// (C2SP tlog-witness v1.0.0), keeps their cosignatures, and publishes the newest checkpoint
/// whose cosignatures meet the policy's quorum.
///
/// At most once per `interval`, and never in an append's way: each round reads the ledger's
/// head, submits to every witness concurrently the daily blocks it has not cosigned yet, in
/// height order, then the newest checkpoint (a block is the tree at its day's end, so it always
/// comes before any later checkpoint). A 409 with the witness's size is answered by
/// resubmitting from that size with a fresh consistency proof. A witness that is down or slow
/// costs only its own submissions (each has a deadline): rounds go on to the others without
/// waiting for it, and sequencing goes on regardless.
///
/// A 409 naming the same size with another root, or a 422, means a witness saw a history the
/// node's does not extend: logged as an error, counted in `/metrics` and `/health`, and
/// journaled (`witness.alarm`).
public final class WitnessClient: Service, Sendable {
    /// What the node knows of one witness.
    public struct Status: Sendable, Hashable {
        public let name: String
        /// The size it last cosigned for this log (nil: not heard from yet).
        public internal(set) var cosignedSize: UInt64?
        /// When it last cosigned (Unix seconds, its own timestamp).
        public internal(set) var cosignedTime: UInt64?
        public internal(set) var failures: Int = 0
        public internal(set) var alarms: Int = 0
        /// The first block height it may still lack.
        var nextBlock: UInt64 = 0
        /// The witness size at which the last alarm was journaled (nil: none pending).
        var alarmedAt: UInt64?
        /// A submission to it is in flight.
        var busy = false
    }

    /// The most a witness's answer may be: a few cosignature lines.
    static let maxAnswerBytes = 16 * 1024

    let ledger: Ledger
    let policy: WitnessPolicy
    let interval: Duration
    let timeout: Duration
    let operatorID: String
    let logger: Logger
    private let http: HTTPClient
    private let statuses: Mutex<[String: Status]>

    public init(
        ledger: Ledger, policy: WitnessPolicy, interval: Duration = .seconds(1), timeout: Duration = .seconds(10),
        operatorID: String, logger: Logger
    ) {
        self.ledger = ledger
        self.policy = policy
        self.interval = interval
        self.timeout = timeout
        self.operatorID = operatorID
        self.logger = logger
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: BoundedHTTP.configuration())
        statuses = Mutex(Dictionary(uniqueKeysWithValues: policy.witnesses.map { ($0.name, Status(name: $0.name)) }))
    }

    /// The status of every witness the node submits to (those with a URL), in policy order.
    public var status: [Status] {
        statuses.withLock { table in policy.witnesses.filter { $0.url != nil }.compactMap { table[$0.name] } }
    }

    /// Starts a round every `interval` until the graceful shutdown, without waiting for the
    /// last one's answers; then waits for those in flight and shuts the HTTP client down.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                startRound(in: &group)
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            }
        }
        try await shutdown()
    }

    /// Closes the HTTP client (`run` does it when it ends). A client that was never run must be
    /// shut down before it is released.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// One round, returning when every witness has answered (tests drive the client with it).
    public func round() async {
        await withDiscardingTaskGroup { group in startRound(in: &group) }
    }

    /// Submits the head to every witness not still busy with an earlier round, concurrently.
    /// Each answer joins the round's lines as it comes, and the checkpoint is published as soon
    /// as they meet the quorum (again as more arrive): a slow or dead witness delays neither
    /// the others nor the next round.
    private func startRound(in group: inout DiscardingTaskGroup) {
        let head = ledger.head
        let round = Round(note: head.checkpoint)
        for witness in policy.witnesses where witness.url != nil {
            let idle = statuses.withLock { table in
                defer { table[witness.name]?.busy = true }
                return table[witness.name]?.busy == false
            }
            guard idle else { continue }
            group.addTask {
                let lines = await self.catchUp(witness, head: head)
                self.statuses.withLock { $0[witness.name]?.busy = false }
                guard let cosigned = round.adding(lines, policy: self.policy) else { return }
                do {
                    try await self.ledger.publishCosigned(cosigned)
                } catch {
                    self.logger.error("witness: cannot keep the cosigned checkpoint: \(error)")
                }
            }
        }
    }

    /// The cosignature lines one round gathered on its checkpoint.
    private final class Round: Sendable {
        let note: SignedNote
        let lines: Mutex<[NoteSignature]> = Mutex([])

        init(note: SignedNote) { self.note = note }

        /// Adds a witness's lines; the checkpoint with every line so far when they meet the
        /// quorum (again with each later answer), else nil.
        func adding(_ new: [NoteSignature], policy: WitnessPolicy) -> SignedNote? {
            guard !new.isEmpty else { return nil }
            let all = lines.withLock { lines in
                for line in new where !lines.contains(where: { $0.isBySameKey(as: line) }) {
                    lines.append(line)
                }
                return lines
            }
            let own = note.signatures.filter { line in !all.contains { $0.isBySameKey(as: line) } }
            guard let cosigned = try? SignedNote(text: note.text, signatures: own + all),
                policy.isSatisfied(by: policy.cosigners(of: cosigned).keys)
            else { return nil }
            return cosigned
        }
    }

    /// Submits the blocks `witness` lacks, then the newest checkpoint; returns its valid
    /// cosignature lines on the checkpoint.
    private func catchUp(_ witness: WitnessPolicy.Witness, head: LogHead) async -> [NoteSignature] {
        var height = statuses.withLock { $0[witness.name]?.nextBlock ?? 0 }
        while height < head.blockCount, !Task.isShuttingDownGracefully {
            guard let bytes = try? ledger.blockNote(height), let note = try? SignedNote(parsing: bytes) else { break }
            if policy.cosigners(of: note)[witness.name] == nil {
                switch await submit(note, to: witness) {
                case .cosigned(let lines):
                    do {
                        try await ledger.addCosignatures(lines, toBlock: height)
                    } catch {
                        logger.error("witness: cannot keep the cosignatures of block \(height): \(error)")
                        return []
                    }
                case .behind: break  // the witness cosigned a later tree: this block can no longer go to it
                case .failed, .refused: return []  // retry next round; blocks go in order
                }
            }
            height += 1
            let next = height
            statuses.withLock { $0[witness.name]?.nextBlock = next }
        }
        switch await submit(head.checkpoint, to: witness) {
        case .cosigned(let lines): return lines
        case .behind:
            // It cosigned a larger tree of this log than the node has: a fork, or a node
            // restored from a backup older than what it published.
            let size = statuses.withLock { $0[witness.name]?.cosignedSize } ?? 0
            await alarm(witness, at: size, "it cosigned size \(size), larger than this log's tree (\(head.treeSize))")
            return []
        case .failed, .refused: return []
        }
    }

    enum Submission {
        case cosigned([NoteSignature])
        /// The witness already cosigned a larger tree.
        case behind
        /// Unreachable or an unexpected answer: try again next round.
        case failed
        /// It refused this history (alarmed).
        case refused
    }

    /// One submission with its resubmission after a 409: the valid cosignature lines (by any
    /// witness key of the policy: a witness may answer with its block key too).
    private func submit(_ note: SignedNote, to witness: WitnessPolicy.Witness) async -> Submission {
        guard let checkpoint = try? Checkpoint(text: note.text) else { return .failed }
        var old = statuses.withLock { $0[witness.name]?.cosignedSize } ?? 0
        for _ in 0..<2 {
            guard old <= checkpoint.size else { return .behind }
            let answer: (status: UInt, body: [UInt8])
            do {
                answer = try await post(note, old: old, size: checkpoint.size, to: witness)
            } catch {
                failed(witness, "cannot reach it: \(error)")
                return .failed
            }
            switch answer.status {
            case 200:
                let lines = cosignatures(answer.body, on: note)
                guard !lines.isEmpty else {
                    failed(witness, "it answered 200 without a valid cosignature by a key of the policy")
                    return .failed
                }
                let merged = try? SignedNote(
                    text: note.text,
                    signatures: note.signatures.filter { line in !lines.contains { $0.isBySameKey(as: line) } }
                        + lines)
                let time = merged.flatMap { witness.verifier.cosignatureTime(on: $0) }
                statuses.withLock { table in
                    guard var status = table[witness.name] else { return }
                    status.cosignedSize = checkpoint.size
                    status.cosignedTime = time ?? status.cosignedTime
                    status.failures = 0
                    status.alarmedAt = nil
                    table[witness.name] = status
                }
                return .cosigned(lines)
            case 409:
                guard let text = String(validating: answer.body, as: UTF8.self), text.hasSuffix("\n"),
                    let size = CanonicalDecimal.parse(String(text.dropLast()))
                else {
                    failed(witness, "it answered 409 without its size (a text/x.tlog.size body)")
                    return .failed
                }
                guard size != old else {
                    await alarm(witness, at: old, "409 at size \(checkpoint.size): it cosigned another tree of that size")
                    return .refused
                }
                statuses.withLock { $0[witness.name]?.cosignedSize = size }
                old = size
            case 422:
                let reason = String(decoding: answer.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                await alarm(witness, at: old, "422 to size \(checkpoint.size) from \(old): \(reason)")
                return .refused
            default:
                failed(witness, "it answered \(answer.status): \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
                return .failed
            }
        }
        failed(witness, "it answered 409 again, with another size, to the resubmission")
        return .failed
    }

    private func post(_ note: SignedNote, old: UInt64, size: UInt64, to witness: WitnessPolicy.Witness) async throws
        -> (status: UInt, body: [UInt8])
    {
        let proof = old > 0 && old < size ? try ledger.consistencyProof(from: old, to: size) : []
        var body = "old \(old)\n"
        for hash in proof { body += hash.base64 + "\n" }
        body += "\n" + note.formatted
        var request = HTTPClientRequest(url: (witness.url ?? "") + "/add-checkpoint")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        request.body = .bytes(ByteBuffer(string: body))
        // The deadline covers the body too: a witness that trickles its answer must not hold the round.
        return try await BoundedHTTP.fetch(request, on: http, limit: Self.maxAnswerBytes, within: timeout)
    }

    /// The lines of `answer` that are valid cosignatures on `note` by a key of the policy.
    private func cosignatures(_ answer: [UInt8], on note: SignedNote) -> [NoteSignature] {
        guard let merged = try? SignedNote(parsing: Array(note.formatted.utf8) + answer) else { return [] }
        let valid = Set(policy.cosigners(of: merged).keys)
        let keys = policy.witnesses.filter { valid.contains($0.name) }.map { ($0.verifier.name, $0.verifier.keyID) }
        return merged.signatures.dropFirst(note.signatures.count).filter { line in
            keys.contains { $0.0 == line.name && $0.1 == line.keyID }
        }
    }

    private func failed(_ witness: WitnessPolicy.Witness, _ reason: String) {
        let failures = statuses.withLock { table -> Int in
            table[witness.name]?.failures += 1
            return table[witness.name]?.failures ?? 0
        }
        // Once, then every 60th failure in a row: a witness down for hours must not fill the log.
        if failures == 1 || failures % 60 == 0 {
            logger.warning("witness \(witness.name): \(reason)", metadata: ["failures": "\(failures)"])
        }
    }

    /// A witness saw a history this node's does not extend: a security event. Counted every
    /// time; logged and journaled once per witness state (the witness's size), so a lasting
    /// fork does not write an entry every round.
    private func alarm(_ witness: WitnessPolicy.Witness, at size: UInt64, _ reason: String) async {
        let first = statuses.withLock { table -> Bool in
            guard var status = table[witness.name] else { return false }
            status.alarms += 1
            defer { table[witness.name] = status }
            guard status.alarmedAt != size else { return false }
            status.alarmedAt = size
            return true
        }
        guard first else { return }
        logger.error("witness \(witness.name) refused our history: \(reason)")
        do {
            _ = try await ledger.append(EventRecord(.witnessAlarm(witness: witness.name, reason: reason), owner: operatorID))
        } catch {
            logger.error("witness: cannot journal the alarm: \(error)")
        }
    }
}
