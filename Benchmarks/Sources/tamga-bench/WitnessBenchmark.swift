import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import HSMBoundary
import Hummingbird
import Ledger
import LedgerFormats
import Logging
import MerkleLog
import NIOCore
import NIOHTTP1
import Node
import PublicLog
import Sodium
import ServiceLifecycle
import Synchronization
import Witness

/// Issue 14: the witness's cosignatures per second over loopback HTTP (one log; 100 logs at
/// once) beside raw Ed25519 signing in the same run, and the time from an event's append to a
/// cosigned checkpoint covering it, with three local witnesses and the node's witness client.
struct WitnessBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Witness cosignatures/s (1 and 100 logs) vs raw Ed25519; append-to-cosigned latency with 3 witnesses.",
        discussion: """
            The witness runs in this process behind its real HTTP server (Hummingbird on 127.0.0.1); \
            the logs submit with AsyncHTTPClient, each log in turn (a log's next submission starts \
            from the size the witness last cosigned, so one log cannot have two in flight). Client \
            and server share the machine's cores. Every cosignature is synced to the witness's \
            store before its answer; --dir picks the file system.
            """)

    @OptionGroup var options: CommonOptions

    @Option(help: "Seconds of each throughput measurement.")
    var duration: Double = 5

    @Option(help: "Events per second offered in the end-to-end run.")
    var rate: Int = 1000

    @Option(help: "Seconds of the end-to-end run.")
    var e2eDuration: Double = 10

    @Option(help: "Target p99 append-to-cosigned time, in milliseconds.")
    var targetP99: Double = 1500

    func run() async throws {
        print("tamga-bench witness: \(describeEnvironment(dir: options.dir))")
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let seconds = Duration.milliseconds(Int64(duration * 1000))

        progress("raw Ed25519 signing for \(seconds)")
        let raw = try rawSigningRate(for: seconds)
        let verify = try rawVerifyRates(for: .seconds(2))
        print(
            "raw Ed25519 on one core: sign \(Format.rate(raw)) (swift-crypto), verify \(Format.rate(verify.crypto)) (swift-crypto), "
                + "verify \(Format.rate(verify.sodium)) (libsodium)")

        var table = Table(
            "Witness throughput, \(Format.ms(seconds)) each",
            [
                "logs submitting", "path", "cosignatures/s", "p50 / p99 per submission", "CPU per cosignature",
                "raw Ed25519 signing (1 core)", "ratio", "target", "met",
            ])
        for logs in [1, 100] {
            for http in [true, false] {
                progress("witness, \(logs) log(s), \(http ? "over HTTP" : "called directly")")
                let cpuBefore = processCPUTime()
                let result = try await witnessThroughput(logs: logs, http: http, duration: seconds, logger: logger)
                let cpu = (processCPUTime() - cpuBefore).seconds / (result.rate * seconds.seconds)
                let ratio = result.rate / raw
                table.add(
                    "\(logs)", http ? "loopback HTTP" : "Witness.addCheckpoint, no HTTP", Format.rate(result.rate),
                    "\(Format.ms(result.latency.p50)) / \(Format.ms(result.latency.p99))", Format.micros(cpu), Format.rate(raw),
                    Format.ratio(ratio), http ? ">= 0.5" : "", http ? (ratio >= 0.5 ? "yes" : "NO") : "")
            }
        }
        table.print()

        progress("end to end: \(rate) events/s for \(e2eDuration) s, 3 witnesses, interval 1 s")
        try await endToEnd(logger: logger)
    }

    // MARK: raw limit

    /// Ed25519 signatures/s of swift-crypto (the witness's own signer) over a checkpoint-sized
    /// cosignature message, on one thread.
    func rawSigningRate(for duration: Duration) throws -> Double {
        let key = Curve25519.Signing.PrivateKey()
        let message = Cosignature.message(
            text: "example.com/log-0\n123456\n\(String(repeating: "A", count: 43))=\n", time: 1_795_240_800)
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        while start.duration(to: clock.now) < duration {
            for _ in 0..<100 { blackHole(try key.signature(for: message)) }
            count += 100
        }
        return Double(count) / start.duration(to: clock.now).seconds
    }

    /// Ed25519 verifications/s of swift-crypto and of libsodium, over the same message.
    func rawVerifyRates(for duration: Duration) throws -> (crypto: Double, sodium: Double) {
        let key = Curve25519.Signing.PrivateKey()
        let message = Array(Cosignature.message(text: "example.com/log-0\n123456\n\(String(repeating: "A", count: 43))=\n", time: 1))
        let signature = Array(try key.signature(for: message))
        let publicKey = Array(key.publicKey.rawRepresentation)
        func rate(_ verify: () -> Bool) throws -> Double {
            let clock = ContinuousClock()
            let start = clock.now
            var count = 0
            while start.duration(to: clock.now) < duration {
                for _ in 0..<100 where !verify() { throw BenchError("a valid signature did not verify") }
                count += 100
            }
            return Double(count) / start.duration(to: clock.now).seconds
        }
        return (
            try rate { key.publicKey.isValidSignature(signature, for: message) },
            try rate { Ed25519.verify(signature: signature, message: message, publicKey: publicKey) }
        )
    }

    // MARK: witness throughput

    struct Throughput {
        let rate: Double
        let latency: Percentiles
    }

    /// `logs` logs, each submitting its next checkpoint (one more leaf) as soon as the previous
    /// one is answered, for `duration`; every answer must be a 200.
    func witnessThroughput(logs count: Int, http useHTTP: Bool, duration: Duration, logger: Logger) async throws -> Throughput {
        let scratch = try ScratchFolder(under: options.dir, "witness")
        defer { scratch.remove() }
        let logs = try (0..<count).map { try BenchLog(origin: "bench.example/log-\($0)") }
        let list = try LogList(parsing: logs.map { "log \($0.verifierKey)\n" }.joined())
        let server = try await WitnessServerProcess.start(folder: scratch.path + "/w", name: "bench.example/w", logs: list, logger: logger)
        defer { Task { await server.stop() } }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let clock = ContinuousClock()
        let end = clock.now + duration
        let latencies = Shared<[Duration]>([])
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for log in logs {
                    group.addTask {
                        var size: UInt64 = 0
                        var mine: [Duration] = []
                        while clock.now < end {
                            let body = try log.submission(from: size, to: size + 1)
                            let sent = clock.now
                            if useHTTP {
                                var request = HTTPClientRequest(url: server.url + "/add-checkpoint")
                                request.method = .POST
                                request.body = .bytes(ByteBuffer(bytes: body))
                                let response = try await http.execute(request, timeout: .seconds(30))
                                let answer = try await response.body.collect(upTo: 16 * 1024)
                                guard response.status.code == 200 else {
                                    throw BenchError("the witness answered \(response.status.code): \(String(buffer: answer))")
                                }
                            } else {
                                let outcome = await server.witness.addCheckpoint(body)
                                guard outcome.status == 200 else { throw BenchError("the witness answered \(outcome.status): \(outcome.body)") }
                            }
                            mine.append(sent.duration(to: clock.now))
                            size += 1
                        }
                        latencies.withLock { $0 += mine }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
        let all = latencies.withLock { $0 }
        return Throughput(rate: Double(all.count) / duration.seconds, latency: Percentiles(all))
    }

    // MARK: end to end

    /// A started ledger, three witnesses over HTTP and the node's witness client at the default
    /// interval; events paced at `rate`. For each event: from its append's due time to the first
    /// cosigned checkpoint (quorum 2 of 3) that covers it, seen by polling the head every 2 ms.
    func endToEnd(logger: Logger) async throws {
        let scratch = try ScratchFolder(under: options.dir, "witness-e2e")
        defer { scratch.remove() }
        let ledger = try Chain.started(in: scratch)
        defer { ledger.shutdown() }
        let list = try LogList(parsing: "log \(ledger.genesis.verifierKey) tamga \(hexString(ledger.genesis.hash))\n")
        var witnesses: [WitnessServerProcess] = []
        var policyText = "log \(ledger.genesis.verifierKey)\n"
        for index in 1...3 {
            let server = try await WitnessServerProcess.start(
                folder: scratch.path + "/w\(index)", name: "w\(index).bench.example", logs: list, logger: logger)
            witnesses.append(server)
            policyText += "witness w\(index) \(server.keys.cosigner.verifierKey) \(server.url)\n"
        }
        policyText += "group two 2 w1 w2 w3\nquorum two\n"
        let policy = try WitnessPolicy(parsing: Array(policyText.utf8))
        let client = WitnessClient(ledger: ledger, policy: policy, operatorID: "bench", logger: logger)
        let runner = Task { try await client.run() }

        let workload = try Workload()
        let clock = ContinuousClock()
        let total = Int(e2eDuration * Double(rate))
        let interval = Duration.seconds(1) / rate
        let due = Shared<[(seq: UInt64, due: ContinuousClock.Instant)]>([])
        let covered = Shared<[(size: UInt64, at: ContinuousClock.Instant)]>([])
        let start = clock.now
        let watching = Task {
            var last: UInt64 = 0
            while !Task.isCancelled {
                if let note = ledger.head.cosignedCheckpoint, let size = try? Checkpoint(text: note.text).size, size > last {
                    last = size
                    let now = clock.now
                    covered.withLock { $0.append((size, now)) }
                }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        try await withThrowingDiscardingTaskGroup { group in
            for next in 0..<total {
                let scheduled = start + interval * next
                if clock.now < scheduled { try await clock.sleep(until: scheduled) }
                let record = workload[next]
                group.addTask {
                    let appended = try await ledger.append(record)
                    due.withLock { $0.append((appended.seq, scheduled)) }
                }
            }
        }
        // Wait for the last event to be cosigned (or give up after 30 s).
        let appendedTree = ledger.head.treeSize
        let deadline = clock.now + .seconds(30)
        while clock.now < deadline, covered.withLock({ $0.last?.size ?? 0 }) < appendedTree {
            try await Task.sleep(for: .milliseconds(20))
        }
        watching.cancel()
        runner.cancel()
        _ = try? await runner.value
        for witness in witnesses { await witness.stop() }

        let heads = covered.withLock { $0 }
        var latencies: [Duration] = []
        var uncovered = 0
        for event in due.withLock({ $0 }) {
            // The first cosigned head larger than its seq.
            guard let head = heads.first(where: { $0.size > event.seq }) else {
                uncovered += 1
                continue
            }
            latencies.append(event.due.duration(to: head.at))
        }
        let p = Percentiles(latencies)
        var table = Table(
            "Append to cosigned checkpoint: \(rate) events/s for \(Format.ms(.milliseconds(Int64(e2eDuration * 1000)))), 3 witnesses (2 of 3), interval 1 s",
            ["events", "cosigned heads", "p50", "p99", "max", "not covered", "target", "met"])
        table.add(
            "\(latencies.count + uncovered)", "\(heads.count)", Format.ms(p.p50), Format.ms(p.p99), Format.ms(p.max), "\(uncovered)",
            "p99 <= \(Format.millis(targetP99))", uncovered == 0 && p.p99.seconds * 1000 <= targetP99 ? "yes" : "NO")
        table.print()
    }
}

/// A plain C2SP log kept as its stored hashes, one leaf added per submission.
final class BenchLog: Sendable {
    let origin: String
    private let key: Curve25519.Signing.PrivateKey
    private let verifier: NoteVerifier
    private let stored = Mutex<[Hash]>([])

    init(origin: String) throws {
        self.origin = origin
        key = Curve25519.Signing.PrivateKey()
        verifier = try NoteVerifier(name: origin, publicKey: Array(key.publicKey.rawRepresentation))
    }

    var verifierKey: String { verifier.verifierKey }

    /// `add-checkpoint` from `old` to `size` (= old + 1, appending that leaf now).
    func submission(from old: UInt64, to size: UInt64) throws -> [UInt8] {
        try stored.withLock { stored in
            let leaf = MerkleTree.leafHash(Array("leaf \(old)".utf8))
            stored += try MerkleTree.storedHashes(n: old, leafHash: leaf, reader: stored)
            let proof = old > 0 ? try MerkleTree.consistencyProof(size1: old, size2: size, reader: stored) : []
            let checkpoint = try Checkpoint(origin: origin, size: size, rootHash: try MerkleTree.treeHash(size: size, reader: stored).bytes)
            let text = checkpoint.text
            let signature = try key.signature(for: Array(text.utf8))
            let note = try SignedNote(
                text: text, signatures: [try NoteSignature(name: origin, keyID: verifier.keyID, signature: Array(signature))])
            return Array(("old \(old)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + note.formatted).utf8)
        }
    }
}

/// A witness with its HTTP server on a loopback port, in this process.
struct WitnessServerProcess: Sendable {
    let url: String
    let witness: Witness
    let keys: WitnessFolder.Keys
    let group: ServiceGroup
    let task: Task<Void, any Error>

    static func start(folder: String, name: String, logs: LogList, logger: Logger) async throws -> WitnessServerProcess {
        _ = try WitnessFolder.create(at: folder, name: name)
        let (witness, keys) = try WitnessFolder(folder).open(logs: logs)
        let ports = AsyncStream<Int>.makeStream()
        let app = Application(
            router: WitnessServer.router(witness), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ports.continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchError("the witness server did not start") }
        return WitnessServerProcess(url: "http://127.0.0.1:\(port)", witness: witness, keys: keys, group: group, task: task)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// A value tasks append to, behind a lock.
final class Shared<Value>: @unchecked Sendable {  // every access goes through `lock`
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

func hexString(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
