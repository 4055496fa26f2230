import Codecs
import Foundation
import HSMBoundary
import Hummingbird
import Ledger
import LedgerFormats
import Logging
import Node
import PublicLog
import ServiceLifecycle
import TestSupport
import Testing
import Witness

/// The node as a witness client, against three real witnesses over HTTP (each its own
/// Hummingbird server on a loopback port): quorum 2 of 3.
@Suite(.serialized) struct WitnessingTests {
    /// A witness server that a test can stop on its own.
    final class RunningWitness: Sendable {
        let witness: Witness
        let keys: WitnessFolder.Keys
        let url: String
        let group: ServiceGroup
        let task: Task<Void, any Error>

        init(folder: String, name: String, logs: LogList, logger: Logger) async throws {
            _ = try WitnessFolder.create(at: folder, name: name)
            let (witness, keys) = try WitnessFolder(folder).open(logs: logs)
            let ports = AsyncStream<Int>.makeStream()
            let app = Application(
                router: WitnessServer.router(witness),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { ports.continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            self.group = group
            task = Task { try await group.run() }
            var iterator = ports.stream.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            self.witness = witness
            self.keys = keys
            url = "http://127.0.0.1:\(port)"
        }

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    struct Setup {
        let folder: DataFolder
        let ledger: Ledger
        let clock: ManualClock
        let witnesses: [RunningWitness]
        let policy: WitnessPolicy
        let client: WitnessClient

        func tearDown() async {
            for witness in witnesses { await witness.stop() }
            try? await client.shutdown()
            ledger.shutdown()
        }
    }

    static func setUp(days: Int = 3) async throws -> Setup {
        let (folder, ledger, clock) = try await sealedChain(days: days)
        let genesis = ledger.genesis
        var logger = Logger(label: "witnessing-test")
        logger.logLevel = .critical
        let logs = try LogList(parsing: "log \(genesis.verifierKey) tamga \(hex(genesis.hash))\n")
        let root = try temporaryFolder("witnesses")
        var witnesses: [RunningWitness] = []
        for index in 1...3 {
            witnesses.append(try await RunningWitness(folder: root + "/w\(index)", name: "w\(index).example", logs: logs, logger: logger))
        }
        var text = "log \(genesis.verifierKey)\n"
        for (index, witness) in witnesses.enumerated() {
            text += "witness w\(index + 1) \(witness.keys.cosigner.verifierKey) \(witness.url)\n"
            text += "witness b\(index + 1) \(witness.keys.blockCosigner.verifierKey)\n"
        }
        text += "group two 2 w1 w2 w3\nquorum two\n"
        let policy = try WitnessPolicy(parsing: Array(text.utf8))
        let client = WitnessClient(ledger: ledger, policy: policy, timeout: .seconds(3), operatorID: "ops", logger: logger)
        return Setup(folder: folder, ledger: ledger, clock: clock, witnesses: witnesses, policy: policy, client: client)
    }

    /// Runs `body` on a fresh setup, then stops the witnesses, the client and the ledger.
    static func with(days: Int = 3, _ body: (Setup) async throws -> Void) async throws {
        let s = try await setUp(days: days)
        do {
            try await body(s)
        } catch {
            await s.tearDown()
            throw error
        }
        await s.tearDown()
    }

    @Test func blocksAndTheServedCheckpointAreCosignedAndAWitnessDownChangesNothing() async throws {
        try await Self.with { s in
            await s.client.round()
            // Every block: cosigned by all three, and vouched for under their block keys.
            for height in 0..<s.ledger.head.blockCount {
                let note = try SignedNote(parsing: try #require(try s.ledger.blockNote(height)))
                let cosigners = Set(s.policy.cosigners(of: note).keys)
                #expect(cosigners == ["w1", "w2", "w3", "b1", "b2", "b3"], "block \(height): \(cosigners.sorted())")
                // The block's hash is the same: it excludes signature lines.
                _ = try Block(note: note, verifier: s.ledger.verifier)
            }
            let served = try #require(s.ledger.head.cosignedCheckpoint)
            #expect(s.policy.isSatisfied(by: s.policy.cosigners(of: served).keys))
            #expect(try Checkpoint(text: served.text).size == s.ledger.head.treeSize)
            #expect(s.client.status.allSatisfy { $0.cosignedSize == s.ledger.head.treeSize && $0.failures == 0 })

            // One witness down: the quorum still holds, the served checkpoint follows the tree.
            await s.witnesses[2].stop()
            _ = try await s.ledger.append(EventRecord(.nodeStart, owner: "ops"))
            await s.client.round()
            let next = try #require(s.ledger.head.cosignedCheckpoint)
            #expect(try Checkpoint(text: next.text).size == s.ledger.head.treeSize)
            #expect(Set(s.policy.cosigners(of: next).keys) == ["w1", "w2"])
            #expect(s.client.status.first { $0.name == "w3" }?.failures == 1)

            // Two down: sequencing goes on, the served checkpoint stays where the quorum left it.
            await s.witnesses[1].stop()
            let stalled = try Checkpoint(text: next.text).size
            _ = try await s.ledger.append(EventRecord(.nodeStop, owner: "ops"))
            await s.client.round()
            #expect(s.ledger.head.treeSize == stalled + 1 && s.ledger.isSequencing)
            #expect(try Checkpoint(text: try #require(s.ledger.head.cosignedCheckpoint).text).size == stalled)
        }
    }

    /// A witness that holds another history of this origin (the log's key signed a fork, and
    /// the witness cosigned it): the node's history is refused there, the node raises the alarm
    /// (journaled), and the other two still make the quorum.
    @Test func aWitnessWithAnotherHistoryRaisesTheAlarm() async throws {
        try await Self.with(days: 1) { s in
            let logKey = try Ledger.softwareHSM(s.folder).logSigner(origin: s.ledger.genesis.origin)
            let fork = try Checkpoint(origin: s.ledger.genesis.origin, size: 2, rootHash: Array(repeating: 7, count: 32)).signed(by: logKey)
            let forked = await s.witnesses[0].witness.addCheckpoint(Array(("old 0\n\n" + fork.formatted).utf8))
            #expect(forked.status == 200, "the fork was cosigned by w1: \(forked)")

            await s.client.round()
            await s.client.round()
            // Counted each time, journaled once while the witness's state stays the same.
            #expect(s.client.status.first { $0.name == "w1" }?.alarms == 2)
            let alarms = try s.ledger.entries(from: 0, count: Int(s.ledger.head.treeSize)).map { try Entry(parsing: $0) }
                .filter { $0.event == .witnessAlarm }
            #expect(alarms.count == 1 && alarms.first?.record[field: "witness"] == "w1")
            let served = try #require(s.ledger.head.cosignedCheckpoint)
            #expect(Set(s.policy.cosigners(of: served).keys) == ["w2", "w3"])
        }
    }

    /// A witness that cosigned a larger tree of this log than the node has (the node was
    /// restored from an old backup, or the key signed a fork ahead): an alarm, not a silent stall.
    @Test func aWitnessAheadOfTheTreeRaisesTheAlarm() async throws {
        try await Self.with(days: 1) { s in
            let logKey = try Ledger.softwareHSM(s.folder).logSigner(origin: s.ledger.genesis.origin)
            let ahead = try Checkpoint(origin: s.ledger.genesis.origin, size: 1000, rootHash: Array(repeating: 7, count: 32))
                .signed(by: logKey)
            #expect(await s.witnesses[1].witness.addCheckpoint(Array(("old 0\n\n" + ahead.formatted).utf8)).status == 200)

            await s.client.round()
            let w2 = try #require(s.client.status.first { $0.name == "w2" })
            #expect(w2.alarms == 1 && w2.cosignedSize == 1000)
            let alarms = try s.ledger.entries(from: 0, count: Int(s.ledger.head.treeSize)).map { try Entry(parsing: $0) }
                .filter { $0.event == .witnessAlarm }
            #expect(alarms.count == 1 && alarms.first?.record[field: "witness"] == "w2")
            guard case .string(let reason) = alarms.first?.record[field: "reason"] else {
                Issue.record("the alarm gives its reason")
                return
            }
            #expect(reason.contains("larger than this log's tree"))
            #expect(Set(s.policy.cosigners(of: try #require(s.ledger.head.cosignedCheckpoint)).keys) == ["w1", "w3"])
        }
    }
}
