import Foundation
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

@testable import Witness

/// tlog-witness v1.0.0's add-checkpoint, status by status, on a plain C2SP log.
@Suite struct AddCheckpointTests {
    func setUp(_ log: inout TestLog) throws -> TestWitness {
        try log.grow(by: 10)
        return try TestWitness.make(logs: "# test\nlog \(try log.key.verifier.verifierKey)\n")
    }

    @Test func cosignsAConsistentHistoryAndRemembersIt() async throws {
        var log = TestLog()
        let folder = try await cosignTwice(&log)
        // The state survives a restart (the first witness released its store).
        let restarted = try TestWitness.reopen(folder, logs: "log \(try log.key.verifier.verifierKey)")
        #expect(try await restarted.witness.latest(log.origin)?.size == 17)
        #expect(await restarted.witness.addCheckpoint(try log.submission(old: 10)).status == 409)
    }

    private func cosignTwice(_ log: inout TestLog) async throws -> String {
        let w = try setUp(&log)
        let first = try log.submission(old: 0)
        let answer = await w.witness.addCheckpoint(first)
        #expect(answer.status == 200 && answer.contentType == "text/plain; charset=utf-8", "\(answer)")
        let note = try cosigned(try log.checkpoint(), answer)
        #expect(w.keys.cosigner.cosignatureTime(on: note) == UInt64(startTime / 1000))
        #expect(w.keys.blockCosigner.cosignatureTime(on: note) == nil, "no block statement for a plain log")
        #expect(try await w.witness.latest(log.origin)?.size == 10)

        try log.grow(by: 7)
        w.clock.advance(5000)
        let second = await w.witness.addCheckpoint(try log.submission(old: 10))
        #expect(second.status == 200, "\(second)")
        #expect(w.keys.cosigner.cosignatureTime(on: try cosigned(try log.checkpoint(), second)) == UInt64(startTime / 1000 + 5))
        // The same checkpoint again: cosigned again (equal size, equal root, empty proof).
        #expect(await w.witness.addCheckpoint(try log.submission(old: 17)).status == 200)
        return w.folder
    }

    @Test func refusalsHaveTheirStatusesAndChangeNothing() async throws {
        var log = TestLog()
        let w = try setUp(&log)
        #expect(await w.witness.addCheckpoint(try log.submission(old: 0, size: 4)).status == 200)

        // 409 with the size the witness holds, as text/x.tlog.size.
        let stale = await w.witness.addCheckpoint(try log.submission(old: 0, size: 6))
        #expect(stale.status == 409 && stale.contentType == "text/x.tlog.size" && stale.body == "4\n")
        // 400: old size above the checkpoint's.
        #expect(await w.witness.addCheckpoint(log.submission(old: 9, proof: [], note: try log.checkpoint(4))).status == 400)
        // 404: an origin it does not witness (validly signed by that log).
        let other = TestLog(origin: "example.com/other")
        #expect(await w.witness.addCheckpoint(other.submission(old: 0, proof: [], note: try other.checkpoint(0))).status == 404)
        // 403: the right origin, signed by another key of the same name.
        let impostor = TestLogKey(name: log.origin)
        #expect(await w.witness.addCheckpoint(log.submission(old: 4, proof: try log.proof(from: 4), note: try log.checkpoint(signer: impostor))).status == 403)
        // 422: a proof that does not lead from the stored tree.
        var badProof = try log.proof(from: 4)
        badProof[0] = MerkleTree.leafHash([1])
        let unproven = await w.witness.addCheckpoint(log.submission(old: 4, proof: badProof, note: try log.checkpoint()))
        #expect(unproven.status == 422, "\(unproven)")
        // 409: the same size with another root (a fork the log signed).
        let fork = try log.checkpoint(4, root: MerkleTree.leafHash([2]))
        let forked = await w.witness.addCheckpoint(log.submission(old: 4, proof: [], note: fork))
        #expect(forked.status == 409 && forked.body == "4\n")
        // A bigger tree that does not contain the stored one, with a proof of its own: 422.
        var rewritten = TestLog(key: log.key)
        try rewritten.grow(by: 3)
        try rewritten.appendDifferent(7)
        let other422 = await w.witness.addCheckpoint(rewritten.submission(old: 4, proof: try rewritten.proof(from: 4), note: try rewritten.checkpoint()))
        #expect(other422.status == 422)

        #expect(try await w.witness.latest(log.origin)?.size == 4, "no refusal changed the state")
        #expect(try await w.witness.latest(log.origin)?.rootHash == (try log.root(4)))
    }

    @Test(arguments: [
        "", "old 4\n", "old 04\n\n", "old -1\n\n", "old 4", "new 4\n\n", "old 4 \n\n", "old\n\n",
        "old 18446744073709551616\n\n", "old 4\nnot base64\n\n", "old 4\nAAAA\n\n", "old 0\n\nnot a note\n",
        "old 0\n\nexample.com/test-log\n4\n",
    ])
    func malformedBodiesAre400(_ text: String) async throws {
        var log = TestLog()
        let w = try setUp(&log)
        let answer = await w.witness.addCheckpoint(Array(text.utf8))
        #expect(answer.status == 400, "\(text.debugDescription): \(answer)")
        #expect(try await w.witness.latest(log.origin) == nil)
    }

    @Test func boundsOnProofLinesBodySizeAndTreeSize() async throws {
        var log = TestLog()
        let w = try setUp(&log)
        let proof = Array(repeating: MerkleTree.emptyRoot, count: 64)
        #expect(await w.witness.addCheckpoint(log.submission(old: 1, proof: proof, note: try log.checkpoint())).status == 400)
        #expect(await w.witness.addCheckpoint(Array(repeating: 0x41, count: Witness.maxBodyBytes + 1)).status == 413)
        let huge = try log.checkpoint(UInt64(1) << 63, root: MerkleTree.emptyRoot)
        #expect(await w.witness.addCheckpoint(log.submission(old: 0, proof: [], note: huge)).status == 400)
        // A proof from size 0 must be empty.
        #expect(await w.witness.addCheckpoint(log.submission(old: 0, proof: [MerkleTree.emptyRoot], note: try log.checkpoint())).status == 400)
    }

    /// Submissions racing each other from the same old size: exactly one wins each round, the
    /// stored size only grows, and no two cosignatures name one size with two roots.
    @Test func racingSubmissionsNeverRollTheStateBack() async throws {
        var log = TestLog()
        let w = try setUp(&log)
        try log.grow(by: 90)
        let fixed = log
        var old: UInt64 = 0
        var cosignedRoots: [UInt64: Hash] = [:]
        for round in 0..<5 {
            let base = old
            let sizes = (1...20).map { base + UInt64($0) + UInt64(round) }
            let answers = await withTaskGroup(of: (UInt64, Witness.Outcome).self) { group in
                for size in sizes {
                    let body = (try? fixed.submission(old: base, size: size)) ?? []
                    group.addTask { (size, await w.witness.addCheckpoint(body)) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = answers.filter { $0.1.status == 200 }
            #expect(winners.count == 1, "round \(round): \(answers.map(\.1.status))")
            for (size, answer) in answers where answer.status == 200 {
                let root = try fixed.root(size)
                #expect(cosignedRoots.updateValue(root, forKey: size).map { $0 == root } ?? true)
                #expect(size > old)
                old = size
            }
            #expect(answers.allSatisfy { $0.1.status == 200 || ($0.1.status == 409 && $0.1.body == "\(old)\n") })
        }
        #expect(try await w.witness.latest(log.origin)?.size == old)
    }

    /// Many logs at once: their submissions are decided together and written in shared synced
    /// batches; each log is cosigned once per size, in order, and every state survives a restart.
    @Test func manyLogsAtOnceAreEachCosignedAndRemembered() async throws {
        var logs: [TestLog] = []
        for index in 0..<40 {
            var log = TestLog(origin: "example.com/log-\(index)")
            try log.grow(by: 8)
            logs.append(log)
        }
        let list = try logs.map { "log \(try $0.key.verifier.verifierKey)\n" }.joined()
        let folder = try await Self.submitConcurrently(logs, list: list)
        let restarted = try TestWitness.reopen(folder, logs: list)
        for log in logs {
            let latest = try #require(try await restarted.witness.latest(log.origin), "\(log.origin)")
            let root = try log.root(8)
            #expect(latest.size == 8 && latest.rootHash == root)
        }
    }

    /// Each log in turn submits 0 -> 3 -> 8, racing the others, on a witness released after.
    static func submitConcurrently(_ logs: [TestLog], list: String) async throws -> String {
        let w = try TestWitness.make(logs: list)
        let answers = await withTaskGroup(of: [Int].self) { group in
            for log in logs {
                group.addTask {
                    var statuses: [Int] = []
                    for (old, size) in [(UInt64(0), UInt64(3)), (3, 8)] {
                        statuses.append(await w.witness.addCheckpoint((try? log.submission(old: old, size: size)) ?? []).status)
                    }
                    return statuses
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == logs.count && answers.allSatisfy { $0 == [200, 200] }, "\(answers)")
        return w.folder
    }

    /// The cosignature, checked by an independent implementation written from the spec
    /// (tools/cosigcheck: Python and PyNaCl).
    @Test func cosignaturesVerifyWithAnIndependentImplementation() async throws {
        var log = TestLog()
        let w = try setUp(&log)
        let answer = await w.witness.addCheckpoint(try log.submission(old: 0))
        let note = try log.checkpoint() + Array(answer.body.utf8)
        let checker = packageRoot.appendingPathComponent("tools/cosigcheck").path
        let good = try runWithInput("/usr/bin/env", ["python3", checker, w.keys.cosigner.verifierKey], input: note)
        #expect(good.status == 0, "\(good.output)")
        #expect(good.stdout == "\(startTime / 1000)\n")
        // The other key does not match, and a changed text does not verify.
        #expect(try runWithInput("/usr/bin/env", ["python3", checker, w.keys.blockCosigner.verifierKey], input: note).status == 1)
        var altered = note
        altered[try #require(altered.firstIndex(of: 0x0A)) + 1] = UInt8(ascii: "9")
        #expect(try runWithInput("/usr/bin/env", ["python3", checker, w.keys.cosigner.verifierKey], input: altered).status == 1)
    }
}

extension TestLog {
    init(key: TestLogKey) {
        self.key = key
    }

    /// Leaves that differ from `grow`'s: another history under the same origin and key.
    mutating func appendDifferent(_ count: Int) throws {
        for i in 0..<count {
            let leaf = MerkleTree.leafHash(Array("other \(i)".utf8))
            stored += try MerkleTree.storedHashes(n: size, leafHash: leaf, reader: stored)
            size += 1
        }
    }
}

/// Runs a process with `input` on its standard input.
func runWithInput(_ executable: String, _ arguments: [String], input: [UInt8]) throws -> ProcessRun {
    let file = try temporaryFolder("stdin") + "/input"
    try Data(input).write(to: URL(fileURLWithPath: file))
    return try runProcess("/bin/sh", ["-c", "exec \"$0\" \"$@\" < '\(file)'", executable] + arguments)
}
