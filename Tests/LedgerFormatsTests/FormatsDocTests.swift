import Codecs
import Crypto
import Foundation
import LedgerFormats
import TestSupport
import Testing

/// docs/formats.md's worked example is computed by an independent Python script; this checks
/// that this code reads every value in it the same way, so the document stays true.
@Suite struct FormatsDocTests {
    /// The fenced code blocks of docs/formats.md, in order.
    static func codeBlocks() throws -> [String] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("docs/formats.md"), encoding: .utf8)
        let parts = text.components(separatedBy: "```")
        return stride(from: 1, to: parts.count, by: 2).map { part in
            // Drop the info string (the rest of the opening line).
            String(parts[part].drop { $0 != "\n" }.dropFirst())
        }
    }

    @Test func workedExampleVerifies() throws {
        let blocks = try Self.codeBlocks()
        let values = try #require(blocks.first { $0.hasPrefix("{\"origin\":\"example.tamga.kz/test\"") })
        let lines = values.split(separator: "\n").map(String.init)
        let genesis = try Genesis(parsing: Array(lines[0].utf8))
        #expect(hex(genesis.hash) == lines[1])
        let verifier = try NoteVerifier(verifierKey: genesis.verifierKey)
        #expect(String(verifier.keyID, radix: 16) == "315fcb09")
        let entries = try lines[2...3].map { try Entry(parsing: Array($0.utf8)) }
        #expect(entries.map(\.event) == [.keyCreate, .keyUse])
        let leaves = lines[2...3].map { Array(SHA256.hash(data: [0] + Array($0.utf8))) }
        #expect(lines[4] == "leaf 0: " + Base64.encode(leaves[0]) && lines[5] == "leaf 1: " + Base64.encode(leaves[1]))
        let root = Array(SHA256.hash(data: [1] + leaves[0] + leaves[1]))
        #expect(lines[6] == "root:   " + Base64.encode(root))

        let receiptText = try #require(blocks.first { $0.hasPrefix("c2sp.org/tlog-proof@v1\nextra eyJ") })
        let receipt = try Receipt(parsing: Array(receiptText.utf8))
        #expect(receipt.entry == Array(lines[3].utf8) && receipt.index == 1 && receipt.proof == [leaves[0]])
        try receipt.note.verify(using: verifier)
        #expect(receipt.checkpoint.rootHash == root)

        let blockText = try #require(blocks.first { $0.contains("\nblock 0\n") })
        let block = try Block(note: SignedNote(parsing: Array(blockText.utf8)), verifier: verifier)
        #expect(block.previousHash == genesis.hash && block.dayRoot == root && block.dayCount == 2)
        let calendar = try DayCalendar(genesis: genesis)
        let day = try calendar.day(atHeight: 0)
        #expect(block.start * 1000 == day.start.millisecondsSinceEpoch && block.end * 1000 == day.end.millisecondsSinceEpoch)
        let text = try String(contentsOf: packageRoot.appendingPathComponent("docs/formats.md"), encoding: .utf8)
        #expect(text.contains("`\(Base64.encode(block.hash))`"), "the block hash the document states")
    }
}
