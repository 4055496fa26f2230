import Foundation
import LedgerFormats
import MerkleLog
import Synchronization
import TestSupport
import Testing

/// The built `tamga-audit` binary: exit status 0 verified, 1 verification failed, 2 usage,
/// input or network error; text by default, JSON with --json.
@Suite struct CLITests {
    func json(_ text: String) throws -> [String: Any] {
        let line = try #require(text.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func untouchedChainExitsZero() async throws {
        let fixture = try await ChainFixture.shared()
        let run = try runAudit(["chain", "--dir", fixture.export, "--genesis", fixture.genesisFile])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasPrefix("VERIFIED chain \(fixture.genesis.origin)"))
        #expect(run.stdout.contains(fixture.genesis.hash.map { String(format: "%02x", $0) }.joined()))

        let machine = try runAudit(["chain", "--dir", fixture.export, "--genesis", fixture.genesisFile, "--json"])
        #expect(machine.status == 0)
        let object = try json(machine.stdout)
        #expect(object["result"] as? String == "verified")
        let report = try #require(object["report"] as? [String: Any])
        #expect(report["blocks"] as? Int == 5)
        #expect(report["checkpointSize"] as? Int == fixture.entries.count)
    }

    @Test func tamperedChainExitsOneNamingTheFailure() async throws {
        let fixture = try await ChainFixture.shared()
        let dir = try fixture.copy()
        try alter(dir, "tile/0/000", at: Int(fixture.blocks[1].dayFirst + 7) * 32 + 3)
        let run = try runAudit(["chain", "--dir", dir, "--genesis", fixture.genesisFile])
        #expect(run.status == 1)
        #expect(run.stdout.hasPrefix("FAILED chain: block 1, day root"), "\(run.stdout)")
        #expect(run.stdout.contains("  expected  ") && run.stdout.contains("  found     \(Hash(fixture.blocks[1].dayRoot)?.base64 ?? "?")"))

        let machine = try runAudit(["chain", "--dir", dir, "--genesis", fixture.genesisFile, "--json"])
        #expect(machine.status == 1)
        let object = try json(machine.stdout)
        #expect(object["result"] as? String == "failed")
        let failure = try #require(object["failure"] as? [String: Any])
        #expect(failure["subject"] as? String == "block 1")
        #expect(failure["field"] as? String == "day root")
    }

    @Test func usageAndInputErrorsExitTwo() async throws {
        let fixture = try await ChainFixture.shared()
        let noSource = try runAudit(["chain", "--genesis", fixture.genesisFile])
        #expect(noSource.status == 2)
        #expect(noSource.stderr.contains("--url URL"))
        #expect(try runAudit(["chain", "--dir", fixture.export]).status == 2, "--genesis is required")
        #expect(try runAudit(["chain", "--dir", fixture.export, "--genesis", fixture.genesisFile, "--bogus"]).status == 2)
        #expect(try runAudit(["frobnicate"]).status == 2)

        let missing = try runAudit(["chain", "--dir", fixture.export, "--genesis", fixture.export + "/nothing"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("genesis"))

        let notCanonical = try temporaryFolder("genesis") + "/genesis.json"
        try Data((fixture.genesis.canonicalBytes + [0x0A])).write(to: URL(fileURLWithPath: notCanonical))
        #expect(try runAudit(["chain", "--dir", fixture.export, "--genesis", notCanonical]).status == 2)

        #expect(try runAudit(["--help"]).status == 0)
    }

    @Test func networkErrorExitsTwo() async throws {
        let fixture = try await ChainFixture.shared()
        let run = try runAudit(["chain", "--url", "http://127.0.0.1:1/", "--genesis", fixture.genesisFile, "--timeout", "5s"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("127.0.0.1:1"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func chainOverHTTPVerifies() async throws {
        let fixture = try await ChainFixture.shared()
        let root = fixture.export
        let server = try TestHTTPServer { path in try? read(root, path) }
        defer { server.stop() }
        let run = try runAudit(["chain", "--url", server.url, "--genesis", fixture.genesisFile, "--json"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try json(run.stdout)["result"] as? String == "verified")

        let failing = try TestHTTPServer { path in path == "genesis" ? [] : try? read(root, path) }
        defer { failing.stop() }
        #expect(try runAudit(["chain", "--url", failing.url, "--genesis", fixture.genesisFile]).status == 1)
    }

    @Test func stateFileMakesTheNextRunIncremental() async throws {
        let fixture = try await ChainFixture.shared()
        let state = try temporaryFolder("cli-state") + "/audit.state"
        // Judged as of when the early copy was taken (later days have no block in it).
        let asOf = BlockTime.formatInstant(fixture.earlyTime / 1000)
        let first = try runAudit(
            ["chain", "--dir", fixture.earlyExport, "--genesis", fixture.genesisFile, "--state", state, "--as-of", asOf])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.stdout.contains("state       block 1 saved"))
        let second = try runAudit(["chain", "--dir", fixture.export, "--genesis", fixture.genesisFile, "--state", state])
        #expect(second.status == 0, "\(second.stdout)")
        #expect(second.stdout.contains("verified now: 2 ... 4"))
        #expect(second.stdout.contains("resumed after block 1"))
        // The saved state is newer than the early export: a rollback.
        let back = try runAudit(["chain", "--dir", fixture.earlyExport, "--genesis", fixture.genesisFile, "--state", state])
        #expect(back.status == 1)
        #expect(back.stdout.contains("FAILED chain: chain, latest block"))
    }

    @Test func receiptCommand() async throws {
        let fixture = try await ChainFixture.shared()
        let file = try temporaryFolder("receipt") + "/event.tlog-proof"
        try Data(fixture.lateReceipt).write(to: URL(fileURLWithPath: file))
        let offline = try runAudit(["receipt", file, "--genesis", fixture.genesisFile])
        #expect(offline.status == 0)
        #expect(offline.stdout.contains("VERIFIED receipt: entry \(fixture.blocks[1].dayFirst)"))
        let bound = try runAudit(["receipt", file, "--genesis", fixture.genesisFile, "--dir", fixture.export])
        #expect(bound.status == 0)
        #expect(bound.stdout.contains("bound to    block 1"))

        var bytes = fixture.lateReceipt
        let extra = try offset(ofLine: "extra ", in: bytes) + 30
        bytes[extra] = bytes[extra] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let tampered = try runAudit(["receipt", file, "--genesis", fixture.genesisFile, "--json"])
        #expect(tampered.status == 1)
        #expect((try json(tampered.stdout)["failure"] as? [String: Any])?["field"] as? String == "inclusion")
        #expect(try runAudit(["receipt", file + ".missing", "--genesis", fixture.genesisFile]).status == 2)
    }

    @Test func exportCommand() async throws {
        let fixture = try await ChainFixture.shared()
        let file = try temporaryFolder("export") + "/journal.jsonl"
        try Data(fixture.entries.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: file))
        let run = try runAudit(["export", "--journal", file, "--dir", fixture.export, "--genesis", fixture.genesisFile])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("VERIFIED export: \(fixture.entries.count) entries"))

        var lines = fixture.entries
        lines.remove(at: 10)
        try Data(lines.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: file))
        let deleted = try runAudit(["export", "--journal", file, "--dir", fixture.export, "--genesis", fixture.genesisFile])
        #expect(deleted.status == 1)
        #expect(deleted.stdout.hasPrefix("FAILED export: entry 10 (line 11), seq"), "\(deleted.stdout)")
    }

    /// The node serves the real checkpoint, then a larger one, then a fork of the same size:
    /// the watcher follows, then raises the alarm and exits 1.
    @Test func watchRaisesTheAlarmOnASplitView() async throws {
        let fixture = try await ChainFixture.shared()
        var leaves = fixture.leafHashes
        leaves[7] = MerkleTree.leafHash([7])
        let fork = try Checkpoint(
            origin: fixture.genesis.origin, size: UInt64(leaves.count), rootHash: MerkleTree.rootHash(leafHashes: leaves).bytes)
        let sequence = [
            try read(fixture.earlyExport, "checkpoint"), try read(fixture.export, "checkpoint"),
            Array(try fork.signed(by: fixture.logKey()).formatted.utf8),
        ]
        let polls = Mutex(0)
        let root = fixture.export
        let server = try TestHTTPServer { path in
            guard path == "checkpoint" else { return try? read(root, path) }
            return polls.withLock { count in
                defer { count += 1 }
                return sequence[min(count, sequence.count - 1)]
            }
        }
        defer { server.stop() }
        let run = try runAudit([
            "watch", "--url", server.url, "--genesis", fixture.genesisFile, "--interval", "50ms", "--count", "10",
        ])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count >= 3)
        #expect(lines.first?.contains("first checkpoint") == true)
        #expect(lines.dropFirst().first?.contains("grew from \(fixture.blocks[1].treeSize), consistent") == true)
        #expect(run.stdout.contains("ALARM"))
        #expect(run.stdout.contains("SPLIT VIEW"))
        #expect(polls.withLock { $0 } == 3, "stops at the alarm")
    }

    @Test func watchOfAQuietLogExitsZero() async throws {
        let fixture = try await ChainFixture.shared()
        let run = try runAudit([
            "watch", "--dir", fixture.export, "--genesis", fixture.genesisFile, "--interval", "10ms", "--count", "2", "--json",
        ])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.last?.contains("\"change\":\"unchanged\"") == true)
    }
}
