import Foundation
import Ledger
import LedgerFormats
import Logging
import Node
import ServiceLifecycle
import Testing

@Suite struct NodeTests {
    func makeChain() throws -> DataFolder {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tamga-node-\(UUID().uuidString)").path
        let folder = DataFolder(root + "/data")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Asia/Almaty"))
        let then = calendar.dateComponents([.year, .month, .day], from: Date().addingTimeInterval(-2 * 86400))
        _ = try Ledger.create(
            folder: folder, origin: "node.tamga.local/log", timeZone: "Asia/Almaty",
            startDate: LocalDate(year: then.year ?? 1970, month: then.month ?? 1, day: then.day ?? 1))
        return folder
    }

    /// Events appended while the node shuts down gracefully are all committed: every append that
    /// returned is in the store after a restart, between `node.start` and `node.stop`.
    @Test func gracefulShutdownLosesNoAcknowledgedEvent() async throws {
        let folder = try makeChain()
        var configuration = NodeConfiguration()
        configuration.data = folder.path
        configuration.publicPort = 0
        configuration.operatorID = "ops-1"
        let acked = try await runNode(folder: folder, configuration: configuration)
        #expect(acked.count > 0)

        let ledger = try Ledger.open(folder: folder)
        let entries = try ledger.entries(from: 0, count: Int(ledger.current.treeSize)).map { try Entry(parsing: $0) }
        #expect(entries.first?.event == .nodeStart)
        // Writers still appending while the node stops may land after node.stop; none is lost.
        #expect(entries.filter { $0.event == .nodeStop }.count == 1)
        #expect(entries.first?.owner == "ops-1")
        let stored = Set(entries.map { UInt64($0.seq) })
        #expect(acked.allSatisfy { stored.contains($0) })
        #expect(ledger.current.blockCount == 2, "the two past days were sealed on start")
        #expect(try ledger.verifyChain().problems == [])
    }

    /// Runs the node's service group, appends from 8 writers, triggers a graceful shutdown while
    /// they are still appending, and returns every seq that was acknowledged.
    func runNode(folder: DataFolder, configuration: NodeConfiguration) async throws -> [UInt64] {
        let ledger = try Ledger.open(folder: folder)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let group = Node.serviceGroup(ledger: ledger, configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: [UInt64].self) { tasks in
            tasks.addTask {
                try await group.run()
                return []
            }
            for writer in 0..<8 {
                tasks.addTask {
                    var acked: [UInt64] = []
                    while !ledger.isSequencing { try await Task.sleep(for: .milliseconds(5)) }
                    while true {
                        do {
                            acked.append(try await ledger.append(EventRecord(event: .authOK, owner: "w\(writer)")).seq)
                        } catch let error as LedgerError where error.code == .stopped {
                            return acked  // refused after shutdown: nothing acknowledged, nothing lost
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            await group.triggerGracefulShutdown()
            return try await tasks.reduce(into: []) { $0 += $1 }
        }
    }

    @Test func configurationFileIsStrict() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json").path
        try #"{"data":"/srv/tamga","publicHost":"0.0.0.0","publicPort":9000}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try NodeConfiguration.load(from: path)
        #expect(loaded.data == "/srv/tamga" && loaded.publicHost == "0.0.0.0" && loaded.publicPort == 9000)
        #expect(loaded.servicePort == 8081, "missing keys keep their defaults")
        try #"{"publicPort":9000,"pubilcHost":"0.0.0.0"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try NodeConfiguration.load(from: path) } throws: { "\($0)".contains("unknown key \"pubilcHost\"") }
        try #"{"publicPort":"eighty"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: NodeError.self) { try NodeConfiguration.load(from: path) }
    }
}
