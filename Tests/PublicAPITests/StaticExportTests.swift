import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import PublicAPI
import TestSupport
import Testing

@Suite struct StaticExportTests {
    static func read(_ root: String, _ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: root + "/" + path).map { Array($0) }
    }

    static func modified(_ root: String, _ path: String) throws -> Date? {
        try FileManager.default.attributesOfItem(atPath: root + "/" + path)[.modificationDate] as? Date
    }

    /// The paths the export must hold for the ledger's current state.
    static func expectedPaths(_ ledger: Ledger) throws -> [String] {
        let head = ledger.head
        var paths = ["checkpoint", "latest-checkpoint", "genesis", "compromises"] + (try Tile.tiles(to: head.treeSize)).map(\.path)
        paths += (0..<head.blockCount).map { "blocks/\($0)" }
        if head.blockCount > 0 { paths.append("blocks/latest") }
        return paths
    }

    @Test func exportHoldsTheBytesHTTPServesAndIsIdempotent() async throws {
        let notice = #"{"keyFingerprint":"SHA256:77","measures":"revoked","time":"2026-11-20T09:00:00.000Z"}"#
        let chain = try await TestChain.make(dayCounts: [300, 420], openCount: 70, notices: [("n", notice)])
        let folder = try temporaryFolder("export")
        let root = folder + "/site"
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let first = try StaticExport.write(log: chain.ledger, to: root)
        let paths = try Self.expectedPaths(chain.ledger)
        #expect(first.treeSize == 791)
        #expect(first.blockCount == 2)
        #expect(first.written == paths.count)
        #expect(first.kept == 0)

        try await chain.serve { client in
            for path in paths {
                let served = try await client.fetch("/" + path)
                #expect(served.status == .ok, "\(path)")
                #expect(Self.read(root, path) == served.body, "\(path) holds what GET /\(path) serves")
            }

            // Nothing changed: nothing is rewritten.
            let again = try StaticExport.write(log: chain.ledger, to: root)
            #expect(again.written == 0)
            #expect(again.kept == paths.count)

            // The log grows: full tiles stay as they were, the new ones and the head are written.
            let fullTile = "tile/0/000"
            let before = try Self.modified(root, fullTile)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<300 {
                    let record = try EventRecord(event: .authOK, owner: "OWNER-grow-\(i)")
                    group.addTask { _ = try await chain.ledger.append(record) }
                }
                try await group.waitForAll()
            }
            let grown = try StaticExport.write(log: chain.ledger, to: root)
            #expect(grown.treeSize == 1091)
            #expect(try Self.modified(root, fullTile) == before)
            // New: tile/0/003 (full now), tile/0/004.p/67, tile/1/000.p/4, checkpoint,
            // latest-checkpoint.
            #expect(grown.written == 5)
            for path in try Self.expectedPaths(chain.ledger) {
                let served = try await client.fetch("/" + path)
                #expect(Self.read(root, path) == served.body, "\(path) after growth")
            }
            // An old partial tile stays: it is still a correct prefix of its level.
            #expect(Self.read(root, "tile/0/003.p/23") != nil)

            // A damaged full tile (wrong length) is written again.
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: root + "/" + fullTile))
            let repaired = try StaticExport.write(log: chain.ledger, to: root)
            #expect(repaired.written == 1)
            #expect(Self.read(root, fullTile) == (try await client.fetch("/" + fullTile)).body)
        }
    }

    @Test func exportBeforeTheFirstBlockHasNoLatestBlock() async throws {
        let chain = try await TestChain.make(dayCounts: [], openCount: 3)
        let folder = try temporaryFolder("export")
        let root = folder + "/site"
        defer {
            chain.ledger.shutdown()
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: chain.folder)
        }
        let summary = try StaticExport.write(log: chain.ledger, to: root)
        #expect(summary.blockCount == 0)
        #expect(Self.read(root, "blocks/latest") == nil)
        #expect(
            Self.read(root, "checkpoint").map { String(decoding: $0, as: UTF8.self) }
                == chain.ledger.head.checkpoint.formatted)
        #expect(Self.read(root, "compromises") == Array("[]".utf8))
        #expect(Self.read(root, "tile/0/000.p/3") == chain.leafHashes.flatMap(\.bytes))
    }

    @Test func exportToAnUnwritablePlaceFailsWithAReason() async throws {
        let chain = try await TestChain.make(dayCounts: [], openCount: 1)
        let folder = try temporaryFolder("export")
        defer {
            chain.ledger.shutdown()
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: chain.folder)
        }
        let file = folder + "/plain-file"
        try Data([0]).write(to: URL(fileURLWithPath: file))
        #expect {
            try StaticExport.write(log: chain.ledger, to: file + "/site")
        } throws: { error in
            let error = error as? PublicAPIError
            return error?.code == .export && error?.message.contains(file) == true
        }
    }
}
