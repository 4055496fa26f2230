import Audit
import Foundation
import HSMBoundary
import Ledger
import LedgerFormats
import MerkleLog
import PublicAPI
import PublicLog
import TestSupport
import Testing

/// `--policy`: the auditor demands the witnesses' quorum on every block, on the checkpoint and
/// on receipts, fails closed naming who signed and who did not, and without a policy lists
/// the cosignatures it found. The chains are real ledgers cosigned with real witness keys and
/// published with the node's own static export.
@Suite struct WitnessQuorumTests {
    /// A chain of three sealed days (5 events each) and 4 events of the open day, its blocks
    /// cosigned by `blockCosigners[h]` (default w1 and w2), the checkpoint of all of it by w1
    /// and w3, and a policy asking for 2 of w1, w2, w3.
    final class Chain: @unchecked Sendable {
        let folder: DataFolder
        let clock: ManualClock
        let ledger: Ledger
        let witnesses: [WitnessKey]
        let policyFile: String
        let genesisFile: String

        init(blockCosigners: [Int: [Int]] = [:]) async throws {
            folder = try makeChain()
            clock = ManualClock(startTime)
            ledger = try Ledger.open(folder: folder, clock: clock)
            witnesses = try (1...3).map { try makeWitnessKey(name: "w\($0).example") }
            var policy = "log \(ledger.genesis.verifierKey)\n"
            for (i, witness) in witnesses.enumerated() { policy += "witness w\(i + 1) \(witness.verifier.verifierKey)\n" }
            policy += "group two 2 w1 w2 w3\nquorum two\n"
            let files = try temporaryFolder("quorum")
            policyFile = files + "/witnesses.policy"
            genesisFile = files + "/genesis.json"
            try Data(policy.utf8).write(to: URL(fileURLWithPath: policyFile))
            try Data(ledger.genesis.canonicalBytes).write(to: URL(fileURLWithPath: genesisFile))

            ledger.start()
            for day in 0..<3 {
                for i in 0..<5 { _ = try await ledger.append(EventRecord(event: .authOK, owner: "o\(day)-\(i)")) }
                clock.advance(86_400_000)
            }
            try await ledger.sealDueDays()
            for i in 0..<4 { _ = try await ledger.append(EventRecord(event: .authOK, owner: "open-\(i)")) }
            for height in 0..<ledger.head.blockCount {
                try await cosignBlock(height, by: blockCosigners[Int(height)] ?? [0, 1])
            }
            try await ledger.publishCosigned(try cosigned(ledger.head.checkpoint, by: [0, 2]))
        }

        deinit { ledger.shutdown() }

        func cosigned(_ note: SignedNote, by indexes: [Int]) throws -> SignedNote {
            var note = note
            for i in indexes { note = try note.adding(Cosignature.sign(text: note.text, time: 1_795_500_000, with: witnesses[i])) }
            return note
        }

        func cosignBlock(_ height: UInt64, by indexes: [Int]) async throws {
            let note = try SignedNote(parsing: try #require(try ledger.blockNote(height)))
            let lines = try indexes.map { try Cosignature.sign(text: note.text, time: 1_795_500_000, with: witnesses[$0]) }
            try await ledger.addCosignatures(lines, toBlock: height)
        }

        var policy: WitnessRequirement {
            get throws { try WitnessRequirement.load(path: policyFile, genesis: ledger.genesis) }
        }

        /// The node's static export as a node with this policy publishes it.
        func export() throws -> String {
            let dir = try temporaryFolder("quorum-export") + "/site"
            _ = try StaticExport.write(log: ledger, witnessed: true, to: dir)
            return dir
        }

        /// The chain's days are in the past: they are judged as of the chain's own clock.
        func audit(_ dir: String, policy: Bool = true) async throws -> ChainReport {
            var audit = ChainAudit(source: DirectorySource(path: dir), genesis: ledger.genesis, witnesses: policy ? try self.policy : .none)
            audit.now = { [clock] in clock.now() }
            return try await audit.run()
        }

        func failure(_ dir: String) async throws -> AuditError {
            do {
                let report = try await audit(dir)
                Issue.record("expected the audit to fail, it verified: \(report)")
                throw CancellationError()
            } catch let error as AuditError {
                return error
            }
        }
    }

    @Test func aCosignedChainVerifiesAndTheReportNamesTheCosigners() async throws {
        let chain = try await Chain()
        let dir = try chain.export()
        let report = try await chain.audit(dir)
        #expect(report.blocks == 3 && report.checkpointSize == 19 && report.servedCheckpointSize == nil)
        #expect(report.checkpointCosigners == Cosigners(names: ["w1", "w3"], missing: ["w2"], quorumMet: true))
        #expect(report.latestBlockCosigners == Cosigners(names: ["w1", "w2"], missing: ["w3"], quorumMet: true))
        #expect(report.blockCosignatures == ["w1": 3, "w2": 3])
        #expect(report.checkpointCosigners.summary == "w1, w3 (quorum met; not w2)")

        // Without a policy: the key names on the lines, unverified.
        let listed = try await chain.audit(dir, policy: false)
        #expect(listed.checkpointCosigners == Cosigners(names: ["w1.example", "w3.example"], missing: nil, quorumMet: nil))
        #expect(listed.blockCosignatures == ["w1.example": 3, "w2.example": 3])
        #expect(listed.checkpointCosigners.summary.contains("unverified"))
    }

    @Test func aBlockWithoutTheQuorumFailsNamingWhoSigned() async throws {
        let chain = try await Chain(blockCosigners: [1: [0]])
        let dir = try chain.export()
        let error = try await chain.failure(dir)
        #expect(error.code == .verificationFailed)
        #expect(error.subject == "block 1" && error.field == "cosignatures")
        #expect(error.found == "cosigned by w1")
        #expect(error.message.contains("not cosigned by w2, w3"))
        // Without a policy the same chain verifies: the auditor only lists what it found.
        #expect(try await chain.audit(dir, policy: false).blockCosignatures == ["w1.example": 3, "w2.example": 2])
    }

    @Test func aForgedCosignatureDoesNotCount() async throws {
        let chain = try await Chain(blockCosigners: [2: [0]])
        // A line named as w2's key, with w2's key ID, signed by another key.
        let impostor = try makeWitnessKey(name: "w2.example")
        let note = try SignedNote(parsing: try #require(try chain.ledger.blockNote(2)))
        let forged = try Cosignature.sign(text: note.text, time: 1_795_500_000, with: impostor)
        let line = try NoteSignature(name: forged.name, keyID: chain.witnesses[1].keyID, signature: forged.signature)
        try await chain.ledger.addCosignatures([line], toBlock: 2)
        let dir = try chain.export()
        let error = try await chain.failure(dir)
        #expect(error.subject == "block 2" && error.field == "cosignatures" && error.found == "cosigned by w1")
        // The checkpoint's cosignatures altered in the export: refused likewise.
        let clean = try await Chain()
        let site = try clean.export()
        try alter(site, "checkpoint", at: try offset(ofLine: "— w3.example", in: try read(site, "checkpoint")) + 30)
        let altered = try await clean.failure(site)
        #expect(altered.subject == "checkpoint" && altered.field == "cosignatures" && altered.found == "cosigned by w1")
    }

    /// Witnesses down: the node seals a day they never cosign and its served checkpoint stays
    /// where they left it. Without a policy the chain verifies against /latest-checkpoint; with
    /// it, the audit fails on the newer block.
    @Test func withTheWitnessesDownTheAuditorFailsOnWhatIsNewer() async throws {
        let chain = try await Chain()
        let cosignedSize = chain.ledger.head.treeSize
        _ = try await chain.ledger.append(EventRecord(event: .authOK, owner: "late in the day"))
        chain.clock.advance(86_400_000)
        try await chain.ledger.sealDueDays()
        _ = try await chain.ledger.append(EventRecord(event: .authOK, owner: "the next day"))
        let dir = try chain.export()
        #expect(try Checkpoint(text: SignedNote(parsing: read(dir, "checkpoint")).text).size == cosignedSize)

        let listed = try await chain.audit(dir, policy: false)
        #expect(listed.blocks == 4 && listed.servedCheckpointSize == cosignedSize && listed.checkpointSize == cosignedSize + 2)
        let error = try await chain.failure(dir)
        #expect(error.subject == "block 3" && error.field == "cosignatures" && error.found == "no valid cosignature")

        // A served checkpoint that is not a prefix of the newest one: a split view.
        let fork = try Checkpoint(origin: chain.ledger.genesis.origin, size: cosignedSize, rootHash: Array(repeating: 7, count: 32))
        let logKey = try Ledger.softwareHSM(chain.folder).logSigner(origin: chain.ledger.genesis.origin)
        try write(Array(try chain.cosigned(fork.signed(by: logKey), by: [0, 1]).formatted.utf8), to: dir, "checkpoint")
        await #expect { try await chain.audit(dir, policy: false) } throws: {
            ($0 as? AuditError)?.field == "consistency"
        }
    }

    @Test func receiptsReachACosignedTree() async throws {
        let chain = try await Chain()
        let dir = try chain.export()
        let policy = try chain.policy
        func audit(_ receipt: Receipt, source: String? = nil) async throws -> ReceiptReport {
            try await ReceiptAudit(
                receipt: Array(receipt.formatted.utf8), genesis: chain.ledger.genesis,
                source: source.map { DirectorySource(path: $0) }, witnesses: policy
            ).run()
        }
        // The node's receipt of a cosigned entry carries the cosigned checkpoint: offline is enough.
        let cosigned = try chain.ledger.receipt(seq: 3)
        let offline = try await audit(cosigned)
        #expect(offline.checkpointCosigners.names == ["w1", "w3"] && offline.checkpointSize == 19)

        // An entry newer than what the witnesses cosigned: its receipt has the plain checkpoint.
        _ = try await chain.ledger.append(EventRecord(event: .authOK, owner: "newest"))
        let fresh = try chain.ledger.receipt(seq: 19)
        #expect(fresh.note == chain.ledger.head.checkpoint)
        await #expect { try await audit(fresh) } throws: {
            ($0 as? AuditError)?.field == "cosignatures" && "\($0)".contains("--url or --dir")
        }
        let newer = try chain.export()
        await #expect { try await audit(fresh, source: newer) } throws: {
            ($0 as? AuditError)?.field == "cosignatures" && "\($0)".contains("newer than what the witnesses have cosigned")
        }

        // An uncosigned receipt of an old entry binds to its day's cosigned block.
        let size = chain.ledger.head.treeSize
        let proof = try chain.ledger.inclusionProof(index: 7, size: size).proof
        let plain = try Receipt(
            entry: try #require(try chain.ledger.entry(7)), index: 7, proof: proof.map(\.bytes), note: chain.ledger.head.checkpoint)
        await #expect(throws: AuditError.self) { try await audit(plain) }
        #expect(try await audit(plain, source: newer).boundTo == "block 1")
        _ = dir
    }

    @Test func watchDemandsTheQuorumAndAPolicyForAnotherLogIsRefused() async throws {
        let chain = try await Chain()
        let dir = try chain.export()
        var watch = try CheckpointWatch(source: DirectorySource(path: dir), genesis: chain.ledger.genesis, witnesses: chain.policy)
        watch.now = { [clock = chain.clock] in clock.now() }
        #expect(try await watch.poll().cosigners.names == ["w1", "w3"])
        try write(Array(chain.ledger.head.checkpoint.formatted.utf8), to: dir, "checkpoint")
        await #expect { _ = try await watch.poll() } throws: { ($0 as? AuditError)?.field == "cosignatures" }

        let other = try makeChain(origin: "other.tamga.local/log")
        let otherGenesis = try Genesis(parsing: try Data(contentsOf: URL(fileURLWithPath: other.genesis)))
        #expect { try WitnessRequirement.load(path: chain.policyFile, genesis: otherGenesis) } throws: {
            ($0 as? AuditError)?.code == .invalidInput && "\($0)".contains("another log")
        }
    }

    @Test func theCommandLineSaysWhoCosignedAndFailsClosed() async throws {
        let good = try await Chain()
        let site = try good.export()
        let asOf = BlockTime.formatInstant(good.clock.now() / 1000)
        let ok = try runAudit(["chain", "--dir", site, "--genesis", good.genesisFile, "--policy", good.policyFile, "--as-of", asOf])
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.stdout.contains("cosigners   checkpoint: w1, w3 (quorum met; not w2)"))
        #expect(ok.stdout.contains("blocks verified carrying each cosigner's line: w1 3, w2 3"))

        let bad = try await Chain(blockCosigners: [0: [2]])
        let failed = try runAudit([
            "chain", "--dir", try bad.export(), "--genesis", bad.genesisFile, "--policy", bad.policyFile, "--as-of",
            BlockTime.formatInstant(bad.clock.now() / 1000),
        ])
        #expect(failed.status == 1, "\(failed.output)")
        #expect(failed.stdout.contains("FAILED chain: block 0, cosignatures"))
        #expect(failed.stdout.contains("found     cosigned by w3"))

        let receipt = try temporaryFolder("receipt") + "/r.tlog-proof"
        try Data(try good.ledger.receipt(seq: 2).formatted.utf8).write(to: URL(fileURLWithPath: receipt))
        let checked = try runAudit(["receipt", receipt, "--genesis", good.genesisFile, "--policy", good.policyFile])
        #expect(checked.status == 0 && checked.stdout.contains("cosigners   w1, w3 (quorum met; not w2)"), "\(checked.output)")
        let missing = try runAudit(["receipt", receipt, "--genesis", good.genesisFile, "--policy", "/nonexistent/policy"])
        #expect(missing.status == 2 && missing.stderr.contains("policy"), "\(missing.output)")
    }
}
