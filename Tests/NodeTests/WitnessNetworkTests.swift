import Foundation
import HSMBoundary
import Ledger
import LedgerFormats
import Logging
import Node
import PublicLog
import ServiceLifecycle
import TestSupport
import Testing

/// The node with three `tamga witness` processes (as their operators run them, each with its
/// own folder and keys), quorum 2 of 3, everything over real HTTP: witnesses are killed and
/// restarted under it, and an auditor and a forked log try it from outside.
@Suite(.serialized) struct WitnessNetworkTests {
    @Test func threeWitnessProcessesAndTheQuorumDecideWhatIsServed() async throws {
        let net = try await Network.start()
        var stopped = false
        defer { if !stopped { net.tearDown() } }

        // Every block and the served checkpoint: cosigned by all three, blocks under both keys.
        try await eventually("all three cosign the tree") { try await net.servedCovers(by: ["w1", "w2", "w3"]) }
        #expect(net.ledger.head.blockCount == 2, "the two past days were sealed at start")
        for height in 0..<net.ledger.head.blockCount {
            let note = try SignedNote(parsing: Array(try #require(try await net.get("/blocks/\(height)")).utf8))
            #expect(net.cosigners(of: note) == ["b1", "b2", "b3", "w1", "w2", "w3"], "block \(height)")
        }

        // One witness killed: cosigning goes on with the other two.
        net.witnesses[2].stop(SIGKILL)
        try await net.append(5)
        try await eventually("w1 and w2 cosign the grown tree") { try await net.servedCovers(by: ["w1", "w2"]) }

        // Two down: sequencing goes on, the served checkpoint stays where the quorum left it.
        net.witnesses[1].stop(SIGKILL)
        let stalled = net.ledger.head.treeSize
        try await net.append(5)
        // /health says so: both fail, and the cosigned tree lags the tree.
        var health: [String: Any] = [:]
        var statuses: [[String: Any]] = []
        try await eventually("/health shows w2 and w3 failing") {
            health = try await net.health()
            statuses = health["witnesses"] as? [[String: Any]] ?? []
            return Set(statuses.filter { ($0["failures"] as? Int ?? 0) > 0 }.compactMap { $0["name"] as? String }) == ["w2", "w3"]
        }
        #expect(health["treeSize"] as? Int == Int(stalled + 5) && health["cosignedTreeSize"] as? Int == Int(stalled))
        #expect(try await net.served().size == stalled)
        let latest = try Checkpoint(text: SignedNote(parsing: Array(try #require(try await net.get("/latest-checkpoint")).utf8)).text)
        #expect(latest.size == stalled + 5 && net.ledger.isSequencing)
        #expect(statuses.allSatisfy { $0["alarms"] as? Int == 0 })

        // The auditor with the policy: the chain as served verifies; a receipt of an event newer
        // than what the quorum cosigned does not (without the policy it does).
        let receipt = net.root + "/newest.tlog-proof"
        try Data(try net.ledger.receipt(seq: stalled + 4).formatted.utf8).write(to: URL(fileURLWithPath: receipt))
        let source = ["--url", net.publicURL, "--genesis", net.folder.genesis]
        let chain = try await offPool { try runAudit(["chain"] + source + ["--policy", net.policyFile]) }
        #expect(chain.status == 0, "\(chain.output)")
        let strict = try await offPool { try runAudit(["receipt", receipt] + source + ["--policy", net.policyFile]) }
        #expect(strict.status == 1 && strict.stdout.contains("newer than what the witnesses have cosigned"), "\(strict.output)")
        let lenient = try await offPool { try runAudit(["receipt", receipt] + source) }
        #expect(lenient.status == 0, "\(lenient.output)")

        // Both restarted on their folders: they resume from their stored sizes (the node answers
        // their 409s with fresh proofs) and the quorum catches up with the tree.
        for index in 1...2 {
            net.witnesses[index] = try WitnessProcess.start(
                data: net.root + "/w\(index + 1)", logs: net.logsFile, port: net.witnesses[index].port)
        }
        try await eventually("the restarted witnesses catch up") { try await net.servedCovers(by: ["w1", "w2", "w3"]) }

        // The node stopped, a log with the same origin and key but another history is refused
        // by every witness with 409, naming the size each cosigned.
        let size = net.ledger.head.treeSize
        await net.stopNode()
        stopped = true
        let logKey = try Ledger.softwareHSM(net.folder).logSigner(origin: net.ledger.genesis.origin)
        let fork = try Checkpoint(origin: net.ledger.genesis.origin, size: size, rootHash: Array(repeating: 7, count: 32))
            .signed(by: logKey)
        for (index, witness) in net.witnesses.enumerated() {
            let url = witness.url
            let answer = try await offPool { try curlPost(url, Array("old \(size)\n\n\(fork.formatted)".utf8)) }
            #expect(answer?.status == 409 && answer?.body == "\(size)\n", "w\(index + 1): \(String(describing: answer))")
        }
        net.tearDown()
    }
}

/// Three witness processes and a node in this process (system clock, chain started two days
/// ago), on loopback.
final class Network: @unchecked Sendable {  // the witnesses are replaced only by the test's own task
    let root: String
    let folder: DataFolder
    let ledger: Ledger
    var witnesses: [WitnessProcess]
    let logsFile: String
    let policyFile: String
    let policy: WitnessPolicy
    let publicURL: String
    private let node: Task<Void, any Error>
    private let group: ServiceGroup

    private init(
        root: String, folder: DataFolder, ledger: Ledger, witnesses: [WitnessProcess], logsFile: String, policyFile: String,
        policy: WitnessPolicy, publicURL: String, node: Task<Void, any Error>, group: ServiceGroup
    ) {
        (self.root, self.folder, self.ledger, self.witnesses) = (root, folder, ledger, witnesses)
        (self.logsFile, self.policyFile, self.policy, self.publicURL) = (logsFile, policyFile, policy, publicURL)
        (self.node, self.group) = (node, group)
    }

    static func start() async throws -> Network {
        let root = try temporaryFolder("witness-network")
        let folder = try makeChain(startDate: try twoDaysAgo())
        let genesis = try Genesis(parsing: try Data(contentsOf: URL(fileURLWithPath: folder.genesis)))
        let logsFile = root + "/logs"
        try Data("log \(genesis.verifierKey) tamga \(hexString(genesis.hash))\n".utf8).write(to: URL(fileURLWithPath: logsFile))
        var policyText = "log \(genesis.verifierKey)\n"
        var witnesses: [WitnessProcess] = []
        for index in 1...3 {
            let data = root + "/w\(index)"
            let created = try runProcess(try builtExecutable("tamga"), ["witness", "init", "--data", data, "--name", "w\(index).example"])
            func key(_ label: String) throws -> String {
                guard let key = created.stdout.split(separator: "\n").first(where: { $0.contains(label) })?.split(separator: " ").last else {
                    throw MissingTool(description: "tamga witness init printed no \(label): \(created.output)")
                }
                return String(key)
            }
            witnesses.append(try WitnessProcess.start(data: data, logs: logsFile))
            policyText += "witness w\(index) \(try key("cosigner key")) \(witnesses[index - 1].base)\n"
            policyText += "witness b\(index) \(try key("Tamga block key"))\n"
        }
        policyText += "group two 2 w1 w2 w3\nquorum two\n"
        let policyFile = root + "/policy"
        try Data(policyText.utf8).write(to: URL(fileURLWithPath: policyFile))

        var configuration = NodeConfiguration()
        configuration.data = folder.path
        configuration.publicPort = 0
        configuration.witnessPolicy = policyFile
        configuration.witnessInterval = 0.1
        let ledger = try Ledger.open(folder: folder)
        var logger = Logger(label: "witness-network")
        logger.logLevel = .critical
        let policy = try #require(try NodeServices.witnessPolicy(configuration, ledger: ledger))
        let ports = AsyncStream<Int>.makeStream()
        let group = try NodeServices.serviceGroup(
            ledger: ledger, configuration: configuration, policy: policy, logger: logger,
            onListening: { listener, port in if listener == "public" { ports.continuation.yield(port) } })
        let node = Task { try await group.run() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw MissingTool(description: "the node's public listener did not start") }
        return Network(
            root: root, folder: folder, ledger: ledger, witnesses: witnesses, logsFile: logsFile, policyFile: policyFile,
            policy: policy, publicURL: "http://127.0.0.1:\(port)", node: node, group: group)
    }

    /// The start date of a chain whose first two days (Asia/Almaty) are over.
    static func twoDaysAgo() throws -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Asia/Almaty"))
        let then = calendar.dateComponents([.year, .month, .day], from: Date().addingTimeInterval(-2 * 86400))
        return String(format: "%04d-%02d-%02d", then.year ?? 1970, then.month ?? 1, then.day ?? 1)
    }

    func append(_ count: Int) async throws {
        for i in 0..<count { _ = try await ledger.append(EventRecord(event: .authOK, owner: "owner-\(i)")) }
    }

    /// The body of a public route answered 200, or nil.
    func get(_ path: String) async throws -> String? {
        let url = publicURL + path
        let answer = try await offPool { try curlGet(url) }
        return answer?.status == 200 ? answer?.body : nil
    }

    /// `/health`, parsed (empty when it did not answer 200).
    func health() async throws -> [String: Any] {
        guard let body = try await get("/health") else { return [:] }
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
    }

    /// The served `/checkpoint` with its size (size 0 while none has the quorum).
    func served() async throws -> (note: SignedNote, size: UInt64) {
        guard let body = try await get("/checkpoint") else { return (ledger.head.checkpoint, 0) }
        let note = try SignedNote(parsing: Array(body.utf8))
        return (note, try Checkpoint(text: note.text).size)
    }

    /// Whether `/checkpoint` serves the whole tree, cosigned by exactly `names`.
    func servedCovers(by names: Set<String>) async throws -> Bool {
        let served = try await served()
        return served.size == ledger.head.treeSize && cosigners(of: served.note) == names
    }

    /// The policy's witnesses whose lines on `note` verify.
    func cosigners(of note: SignedNote) -> Set<String> { Set(policy.cosigners(of: note).keys) }

    func stopNode() async {
        await group.triggerGracefulShutdown()
        _ = try? await node.value
    }

    func tearDown() {
        for witness in witnesses where witness.process.isRunning { witness.stop() }
        node.cancel()
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Polls `condition` every 100 ms until it holds, failing after `seconds`.
func eventually(_ what: String, within seconds: Double = 60, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("not within \(seconds) s: \(what)")
    throw CancellationError()
}

/// Runs the built `tamga-audit`.
func runAudit(_ arguments: [String]) throws -> ProcessRun {
    try runProcess(try builtExecutable("tamga-audit"), arguments)
}
