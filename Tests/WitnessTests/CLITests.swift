import Foundation
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

@testable import Witness

/// `tamga witness init|run` as an operator runs them, over real HTTP (curl as the client).
@Suite(.serialized) struct WitnessCLITests {
    @Test func initPrintsTheKeysAndRunServesTheProtocol() async throws {
        try await offPool { try Self.initAndRun() }
    }

    static func initAndRun() throws {
        let data = try temporaryFolder("witness-cli") + "/w"
        let created = try runProcess(try builtExecutable("tamga"), ["witness", "init", "--data", data, "--name", "witness.example/cli"])
        #expect(created.status == 0, "\(created.output)")
        let vkey = try #require(created.stdout.split(separator: "\n").first { $0.contains("cosigner key") }?.split(separator: " ").last)
        let verifier = try CosignatureVerifier(verifierKey: String(vkey))
        #expect(verifier.name == "witness.example/cli")
        let again = try runProcess(try builtExecutable("tamga"), ["witness", "init", "--data", data, "--name", "x"])
        #expect(again.status != 0 && again.stderr.contains("already holds a witness"), "\(again.output)")
        let mode = try FileManager.default.attributesOfItem(atPath: data + "/master.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        var log = TestLog()
        try log.grow(by: 5)
        let logs = data + "/../logs"
        try Data("log \(try log.key.verifier.verifierKey)\n".utf8).write(to: URL(fileURLWithPath: logs))
        let running = try WitnessProcess.start(data: data, logs: logs)
        defer { running.stop() }
        let answer = try #require(try curlPost(running.url, try log.submission(old: 0)))
        #expect(answer.status == 200)
        let note = try cosigned(try log.checkpoint(), Witness.Outcome(status: 200, contentType: "", body: answer.body))
        #expect(verifier.cosignatureTime(on: note) != nil)
        #expect(try curlPost(running.url, try log.submission(old: 0))?.status == 409)
        // A bad logs file is refused with the line it is on.
        try Data("log nonsense\n".utf8).write(to: URL(fileURLWithPath: logs + ".bad"))
        let refused = try runProcess(try builtExecutable("tamga"), ["witness", "run", "--data", data, "--logs", logs + ".bad"])
        #expect(refused.status != 0 && refused.stderr.contains("logs file line 1"), "\(refused.output)")
    }

    /// Killed with SIGKILL 50 times while a log submits: every cosigned size stays cosigned (the
    /// stored size never goes back), no two cosignatures name one size with two roots, and a
    /// fork of the log is refused every time.
    @Test func killedWhileCosigningNeverGoesBackNorForks() async throws {
        try await offPool { try Self.killFiftyTimes() }
    }

    static func killFiftyTimes() throws {
        let data = try temporaryFolder("witness-kill") + "/w"
        _ = try runProcess(try builtExecutable("tamga"), ["witness", "init", "--data", data, "--name", "witness.example/kill"])
        var log = TestLog()
        try log.grow(by: 2_000)
        var fork = TestLog(key: log.key)
        try fork.appendDifferent(2_000)
        let logs = data + "/../logs"
        try Data("log \(try log.key.verifier.verifierKey)\n".utf8).write(to: URL(fileURLWithPath: logs))

        var cosigned: [UInt64: Hash] = [:]
        var acknowledged: UInt64 = 0
        var kills = 0
        for round in 0..<50 {
            let running = try WitnessProcess.start(data: data, logs: logs)
            // Where the witness is: a 409 names its stored size, which never goes back.
            let probe = try #require(try curlPost(running.url, try log.submission(old: 0, size: 1)))
            let stored = probe.status == 409 ? UInt64(probe.body.dropLast()) ?? 0 : 1
            #expect(stored >= acknowledged, "round \(round): stored size \(stored) below the acknowledged \(acknowledged)")
            if probe.status == 200 { cosigned[1] = try log.root(1) }
            var size = max(stored, 1)
            // A fork at the stored size, signed by the log's key: refused.
            let forked = try curlPost(running.url, fork.submission(old: size, proof: [], note: try fork.checkpoint(size)))
            #expect(forked?.status == 409 || forked?.status == 422, "round \(round): \(String(describing: forked))")
            let pid = running.process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + Double.random(in: 0.05...0.3)) { kill(pid, SIGKILL) }
            // Submit until the kill cuts the connection (or the log has no more to give).
            while size < log.size {
                let next = min(log.size, size + UInt64.random(in: 1...20))
                guard let answer = try curlPost(running.url, try log.submission(old: size, size: next)) else { break }
                guard answer.status == 200 else {
                    Issue.record("round \(round): \(size) -> \(next) answered \(answer.status) \(answer.body)")
                    break
                }
                let root = try log.root(next)
                #expect(cosigned.updateValue(root, forKey: next).map { $0 == root } ?? true)
                acknowledged = next
                size = next
            }
            running.process.waitUntilExit()
            kills += 1
        }
        #expect(kills == 50)
        #expect(acknowledged > 50, "the log made progress between kills")
    }
}
