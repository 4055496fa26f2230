import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import LedgerFormats
import MerkleLog
import PublicAPI
import PublicLog
import TestSupport
import Testing

/// The public API of a node with a witness policy: `/checkpoint` serves only what the quorum
/// cosigned, `/latest-checkpoint` the newest; `/health`, `/metrics` and block notes say what
/// the witnesses did.
@Suite struct WitnessedTests {
    static let statuses = [
        PublicAPI.WitnessStatus(name: "example.org/w1", cosignedSize: 13, cosignedTime: 1_795_240_800, failures: 0, alarms: 0),
        PublicAPI.WitnessStatus(name: #"odd "name"\"#, cosignedSize: nil, cosignedTime: nil, failures: 4, alarms: 1),
    ]

    @Test func checkpointWaitsForTheQuorumAndThenServesTheCosignedOne() async throws {
        let chain = try await TestChain.make(dayCounts: [5, 8], openCount: 0)
        let witness = try makeWitnessKey(name: "example.org/w1")
        try await chain.serve(witnesses: { Self.statuses }) { client in
            // Before any quorum: a one-line 503, the newest under /latest-checkpoint.
            let none = try await client.fetch("/checkpoint")
            #expect(none.status == .serviceUnavailable)
            #expect(isOneLineReason(none) && none.text.contains("/latest-checkpoint"))
            let latest = try await client.fetch("/latest-checkpoint")
            #expect(latest.status == .ok)
            #expect(latest.text == chain.ledger.head.checkpoint.formatted)
            #expect(latest.headers[.cacheControl] == "public, max-age=1")
            var health = try #require(try await client.fetch("/health").json() as? [String: Any])
            #expect(health["cosignedTreeSize"] is NSNull)

            // Cosigned: served as is, cosignature and all; an append moves only /latest-checkpoint.
            let note = chain.ledger.head.checkpoint
            let cosigned = try note.adding(Cosignature.sign(text: note.text, time: 1_795_240_800, with: witness))
            try await chain.ledger.publishCosigned(cosigned)
            _ = try await chain.ledger.append(EventRecord(event: .authOK, owner: "o"))
            let served = try await client.fetch("/checkpoint")
            #expect(served.status == .ok)
            #expect(served.text == cosigned.formatted)
            #expect(witness.verifier.cosignatureTime(on: try SignedNote(parsing: served.body)) == 1_795_240_800)
            #expect(try Checkpoint(note: SignedNote(parsing: served.body), verifier: chain.ledger.verifier).size == 13)
            #expect(try await client.fetch("/latest-checkpoint").text == chain.ledger.head.checkpoint.formatted)

            health = try #require(try await client.fetch("/health").json() as? [String: Any])
            #expect(health["treeSize"] as? Int == 14)
            #expect(health["cosignedTreeSize"] as? Int == 13)
            let witnesses = try #require(health["witnesses"] as? [[String: Any]])
            #expect(witnesses.map { $0["name"] as? String } == ["example.org/w1", #"odd "name"\"#])
            #expect(witnesses[0]["cosignedSize"] as? Int == 13 && witnesses[0]["cosignedTime"] as? Int == 1_795_240_800)
            #expect(witnesses[1]["cosignedSize"] is NSNull && witnesses[1]["failures"] as? Int == 4)
            #expect(witnesses[1]["alarms"] as? Int == 1)

            let lines = Set(try await client.fetch("/metrics").text.split(separator: "\n").map(String.init))
            for line in [
                "tamga_cosigned_tree_size 13", "tamga_cosigned_lag_entries 1",
                #"tamga_witness_cosigned_size{witness="example.org/w1"} 13"#,
                #"tamga_witness_cosigned_timestamp_seconds{witness="example.org/w1"} 1795240800"#,
                #"tamga_witness_failures{witness="odd \"name\"\\"} 4"#, #"tamga_witness_alarms{witness="odd \"name\"\\"} 1"#,
            ] {
                #expect(lines.contains(line), "\(line)")
            }
            #expect(!lines.contains { $0.hasPrefix(#"tamga_witness_cosigned_size{witness="odd"#) }, "no size, no sample")
        }
    }

    @Test func withoutAPolicyNothingChanges() async throws {
        let chain = try await TestChain.make(dayCounts: [3], openCount: 1)
        try await chain.serve { client in
            let checkpoint = try await client.fetch("/checkpoint")
            #expect(checkpoint.text == chain.ledger.head.checkpoint.formatted)
            #expect(try await client.fetch("/latest-checkpoint").body == checkpoint.body)
            let health = try #require(try await client.fetch("/health").json() as? [String: Any])
            #expect(health["witnesses"] == nil && health["cosignedTreeSize"] == nil)
            #expect(!(try await client.fetch("/metrics").text.contains("tamga_witness")))
        }
    }

    @Test func blockNotesCarryTheirCosignatures() async throws {
        let chain = try await TestChain.make(dayCounts: [3, 2], openCount: 1)
        let witness = try makeWitnessKey(name: "example.org/w1")
        try await chain.serve { client in
            let before = try await client.fetch("/blocks/1")
            let note = try SignedNote(parsing: before.body)
            let line = try Cosignature.sign(text: note.text, time: 1_795_327_200, with: witness)
            try await chain.ledger.addCosignatures([line], toBlock: 1)
            for path in ["/blocks/1", "/blocks/latest"] {
                let after = try await client.fetch(path)
                #expect(after.text == (try note.adding(line)).formatted, "\(path)")
                #expect(try Block(note: SignedNote(parsing: after.body), verifier: chain.ledger.verifier).height == 1)
            }
            #expect(before.headers[.cacheControl] == "public, max-age=3600", "without witnesses a block never changes")
        }
        // With witnesses a block gains lines after its seal: caches look again within a minute.
        try await TestChain.make(dayCounts: [3, 2], openCount: 0).serve(witnesses: { Self.statuses }) { client in
            let headers = try await client.fetch("/blocks/1").headers
            #expect(headers[.cacheControl] == "public, max-age=60")
        }
    }

    @Test func theStaticExportPublishesTheCosignedCheckpointWithItsTiles() async throws {
        let chain = try await TestChain.make(dayCounts: [300], openCount: 0)
        let folder = try temporaryFolder("export")
        defer {
            chain.ledger.shutdown()
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: chain.folder)
        }
        #expect { try StaticExport.write(log: chain.ledger, witnessed: true, to: folder) } throws: {
            "\($0)".contains("quorum")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/checkpoint"))

        let witness = try makeWitnessKey(name: "example.org/w1")
        let note = chain.ledger.head.checkpoint
        try await chain.ledger.publishCosigned(note.adding(Cosignature.sign(text: note.text, time: 1, with: witness)))
        for i in 0..<40 { _ = try await chain.ledger.append(EventRecord(event: .authOK, owner: "o\(i)")) }
        let summary = try StaticExport.write(log: chain.ledger, witnessed: true, to: folder)
        #expect(summary.treeSize == 300)
        let exported = try SignedNote(parsing: Array(try #require(FileManager.default.contents(atPath: folder + "/checkpoint"))))
        #expect(exported == chain.ledger.head.cosignedCheckpoint)
        // A verifier of the 300-entry checkpoint finds its partial tile (300 = 256 + 44), and
        // the newest tree's (340 = 256 + 84) is there for the blocks.
        for path in ["tile/0/001.p/44", "tile/0/001.p/84", "tile/0/000"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + path), "\(path)")
        }
        let tile = Array(try #require(FileManager.default.contents(atPath: folder + "/tile/0/001.p/44")))
        let leaves = try chain.ledger.entries(from: 256, count: 44).map { MerkleTree.leafHash($0).bytes }
        #expect(tile == Array(leaves.joined()))
    }
}
