import Audit
import Foundation
import LedgerFormats
import MerkleLog
import Sodium
import TestSupport
import Testing

/// Issue 16: `tamga-audit chain --url` against servers that lie (hostile-server.py): about the
/// data, with notes validly signed by the log key (the log itself is the party under audit),
/// and about HTTP. Every case must end with exit 1 (the data fails) or 2 (it cannot be read)
/// and a message, within a bounded time and memory, measured on the real process.
@Suite struct HostileServerTests {
    static let script = packageRoot.appendingPathComponent("Tests/AuditTests/hostile-server.py").path
    /// Well above an honest audit of the fixture (about 30 MiB) and far below what the claims
    /// would take (terabytes), or the 3 GB a gzip bomb once took.
    static let maxRSSKiB = 160 * 1024
    static let maxSeconds = 30.0

    struct Outcome {
        let status: Int32
        let seconds: Double
        let maxRSSKiB: Int
        /// Standard output and error: the verdict and the measurement line.
        let output: String
    }

    /// A hostile-server.py serving `dir` in `mode`, and the audit run against it.
    static func audit(_ dir: String, mode: String, timeout: String = "3s") async throws -> Outcome {
        let fixture = try await ChainFixture.shared()
        let audit = try builtExecutable("tamga-audit")
        return try await offPool {
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            server.arguments = ["python3", script, "serve", dir, mode]
            let out = Pipe()
            server.standardOutput = out
            try server.run()
            defer {
                // SIGKILL: a process started from a test thread inherits its blocked SIGTERM.
                kill(server.processIdentifier, SIGKILL)
                server.waitUntilExit()
            }
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw MissingTool(description: "hostile-server.py did not start") }
                line += chunk
            }
            let port = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let run = try runProcess(
                "/usr/bin/env",
                [
                    "python3", script, "run", "60", audit, "chain", "--url", "http://127.0.0.1:\(port)/", "--genesis",
                    fixture.genesisFile, "--timeout", timeout,
                ])
            let last = run.stderr.split(separator: "\n").last.map(String.init) ?? ""
            let measured = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] ?? [:]
            return Outcome(
                status: Int32(measured["status"] as? Int ?? -1), seconds: measured["seconds"] as? Double ?? .infinity,
                maxRSSKiB: measured["maxRSSKiB"] as? Int ?? .max, output: run.output)
        }
    }

    func expectBounded(
        _ outcome: Outcome, status: Int32, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(outcome.status == status, "exit \(outcome.status): \(outcome.output)", sourceLocation: sourceLocation)
        #expect(outcome.output.contains(text), "\(outcome.output)", sourceLocation: sourceLocation)
        #expect(outcome.seconds < Self.maxSeconds, "took \(outcome.seconds) s", sourceLocation: sourceLocation)
        #expect(outcome.maxRSSKiB < Self.maxRSSKiB, "max RSS \(outcome.maxRSSKiB) KiB", sourceLocation: sourceLocation)
    }

    /// The honest export through the same server verifies, so each failure below is the lie's.
    @Test func theHonestExportVerifiesThroughTheServer() async throws {
        let outcome = try await Self.audit(try ChainFixture.shared().copy(), mode: "plain")
        expectBounded(outcome, status: 0, mentioning: "VERIFIED")
    }

    // MARK: lies about the data, signed by the log key

    @Test(arguments: [UInt64.max, UInt64.max - 255, (UInt64(1) << 53) + 1])
    func aCheckpointOfAnImpossibleSize(size: UInt64) async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let checkpoint = try Checkpoint(origin: fixture.genesis.origin, size: size, rootHash: Sodium.randomBytes(32))
        try write(Array(try checkpoint.signed(by: fixture.logKey()).formatted.utf8), to: dir, "checkpoint")
        expectBounded(try await Self.audit(dir, mode: "plain"), status: 1, mentioning: "treeSize")
    }

    /// Heights no chain can reach (the date would be past 9999), and one it could but whose day
    /// has not come: each latest block is validly signed.
    @Test(arguments: [UInt64.max, UInt64(1) << 40, 5_000])
    func aLatestBlockOfAnImpossibleHeight(height: UInt64) async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        let real = try #require(fixture.blocks.last)
        let date =
            height < 100_000
            ? try fixture.genesis.startDate.adding(days: Int64(height)) : try LocalDate(parsing: real.date)
        let start = date.days(since: LocalDate.earliest) * 86_400 - 5 * 3600
        let block = try Block(
            origin: real.origin, treeSize: real.treeSize, rootHash: real.rootHash, height: height, date: date.description,
            start: start, end: start + 86_400, previousHash: real.hash, dayFirst: real.treeSize,
            dayRoot: MerkleTree.emptyRoot.bytes)
        try write(Array(try block.signed(by: fixture.logKey()).formatted.utf8), to: dir, "blocks/latest")
        expectBounded(try await Self.audit(dir, mode: "plain"), status: 1, mentioning: "blocks/latest")
    }

    // MARK: lies about HTTP

    @Test(arguments: [
        ("gzip-bomb", Int32(1), "size"), ("huge", 1, "size"), ("garbage", 1, "genesis"),
        ("trickle", 2, "did not answer in full within"), ("hang", 2, "did not answer in full within"),
        ("lying-length", 2, "did not answer in full within"), ("fail-one", 2, "HTTP 500"), ("redirect-loop", 2, "failed"),
    ])
    func aServerThatMisbehaves(mode: String, status: Int32, message: String) async throws {
        let outcome = try await Self.audit(try ChainFixture.shared().copy(), mode: mode)
        expectBounded(outcome, status: status, mentioning: message)
    }
}
