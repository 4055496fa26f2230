import Crypto
import Foundation
import LedgerFormats
import Testing

/// RFC 6962 section 2.1 written out literally (MTH, PATH) and RFC 9162 section 2.1.3.2's
/// verification: a test oracle, slow and obviously right, independent of MerkleLog.
enum ReferenceMerkle {
    static func leafHash(_ entry: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: [0x00] + entry)) }

    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: [0x01] + left + right)) }

    static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    static func root(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        switch leaves.count {
        case 0: return Array(SHA256.hash(data: [UInt8]()))
        case 1: return leafHash(leaves[leaves.startIndex])
        default:
            let k = split(leaves.count)
            return nodeHash(root(leaves.prefix(k)), root(leaves.dropFirst(k)))
        }
    }

    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard leaves.count > 1 else { return [] }
        let k = split(leaves.count)
        if m < k {
            return path(m, leaves.prefix(k)) + [root(leaves.dropFirst(k))]
        }
        return path(m - k, leaves.dropFirst(k)) + [root(leaves.prefix(k))]
    }

    static func verifyInclusion(leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index < size else { return false }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }
}

/// A small signed log for receipt tests: entries, a signed checkpoint and receipts.
struct TestLog {
    let signer = TestSigner(name: "tamga.example/log")
    let entries: [[UInt8]]

    init(count: Int) {
        entries = (0..<count).map { Array("{\"seq\":\($0),\"v\":1}".utf8) }
    }

    func note() throws -> SignedNote {
        let checkpoint = try Checkpoint(origin: signer.name, size: UInt64(entries.count), rootHash: ReferenceMerkle.root(entries[...]))
        return try checkpoint.signed(by: signer)
    }

    func receipt(_ index: Int) throws -> Receipt {
        try Receipt(entry: entries[index], index: UInt64(index), proof: ReferenceMerkle.path(index, entries[...]), note: note())
    }
}

/// The inclusion check a caller (the auditor) plugs into `Receipt.verify`.
func referenceInclusion(_ receipt: Receipt, _ checkpoint: Checkpoint) -> Bool {
    ReferenceMerkle.verifyInclusion(
        leafHash: ReferenceMerkle.leafHash(receipt.entry), index: receipt.index, size: checkpoint.size,
        proof: receipt.proof, root: checkpoint.rootHash
    )
}

@Suite struct ReceiptTests {
    @Test func referenceMerkleMatchesRFC6962KnownRoot() {
        // RFC 6962 test tree (transparency-dev testonly): the 8 leaves and root of the vectors.
        let leaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
            .map { hex in stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16) ?? 0 } }
        #expect(base64Std(ReferenceMerkle.root(leaves[...])) == "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")
    }

    @Test func writeParseVerifyRoundTrip() throws {
        let log = TestLog(count: 11)
        for index in 0..<11 {
            let receipt = try log.receipt(index)
            let text = receipt.formatted
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines[0] == "c2sp.org/tlog-proof@v1")
            #expect(lines[1] == "extra \(base64Std(log.entries[index]))")
            #expect(lines[2] == "index \(index)")
            #expect(text.hasSuffix("\n\n" + (try log.note().formatted)))
            let parsed = try Receipt(parsing: Array(text.utf8))
            #expect(parsed == receipt)
            let checkpoint = try parsed.verify(using: log.signer.verifier, inclusion: referenceInclusion)
            #expect(checkpoint.size == 11)
        }
    }

    @Test func singleEntryLogHasAnEmptyProof() throws {
        let log = TestLog(count: 1)
        let receipt = try log.receipt(0)
        #expect(receipt.proof.isEmpty)
        let parsed = try Receipt(parsing: Array(receipt.formatted.utf8))
        #expect(try parsed.verify(using: log.signer.verifier, inclusion: referenceInclusion).size == 1)
    }

    @Test func cosignedCheckpointSurvives() throws {
        let log = TestLog(count: 5)
        let receipt = try log.receipt(3)
        let cosigned = try Receipt(entry: receipt.entry, index: 3, proof: receipt.proof, note: receipt.note.adding(signatureBy: TestSigner(name: "witness")))
        let parsed = try Receipt(parsing: Array(cosigned.formatted.utf8))
        #expect(parsed.note.signatures.count == 2)
        #expect(try parsed.verify(using: log.signer.verifier, inclusion: referenceInclusion).size == 5)
    }

    @Test func verificationFailures() throws {
        let log = TestLog(count: 6)
        let receipt = try log.receipt(2)
        let otherKey = try TestSigner(name: log.signer.name).verifier
        #expect(formatsError { try receipt.verify(using: otherKey, inclusion: referenceInclusion) }?.code == .invalidSignature)

        let otherEntry = try Receipt(entry: log.entries[3], index: 2, proof: receipt.proof, note: receipt.note)
        #expect(formatsError { try otherEntry.verify(using: log.signer.verifier, inclusion: referenceInclusion) }?.code == .verificationFailed)

        let otherIndex = try Receipt(entry: receipt.entry, index: 3, proof: receipt.proof, note: receipt.note)
        #expect(formatsError { try otherIndex.verify(using: log.signer.verifier, inclusion: referenceInclusion) }?.code == .verificationFailed)

        var flipped = receipt.proof
        flipped[0][0] ^= 1
        let badProof = try Receipt(entry: receipt.entry, index: 2, proof: flipped, note: receipt.note)
        #expect(formatsError { try badProof.verify(using: log.signer.verifier, inclusion: referenceInclusion) }?.code == .verificationFailed)

        struct Boom: Error {}
        #expect(throws: Boom.self) { try receipt.verify(using: log.signer.verifier) { _, _ in throw Boom() } }
    }

    @Test func rejectsUnwritableValues() throws {
        let log = TestLog(count: 4)
        let note = try log.note()
        let proof = ReferenceMerkle.path(1, log.entries[...])
        #expect(formatsError { try Receipt(entry: [], index: 1, proof: proof, note: note) }?.code == .invalidArgument)
        #expect(formatsError { try Receipt(entry: Array(repeating: 1, count: 65_536), index: 1, proof: proof, note: note) }?.code == .invalidArgument)
        #expect(formatsError { try Receipt(entry: [1], index: 4, proof: proof, note: note) }?.code == .invalidArgument)
        #expect(formatsError { try Receipt(entry: [1], index: 1, proof: [[1, 2]], note: note) }?.code == .invalidArgument)
        #expect(formatsError { try Receipt(entry: [1], index: 1, proof: Array(repeating: proof[0], count: 65), note: note) }?.code == .invalidArgument)
        let notACheckpoint = try SignedNote(signing: "just text\n", with: [log.signer])
        #expect(formatsError { try Receipt(entry: [1], index: 0, proof: [], note: notACheckpoint) }?.code == .invalidArgument)
    }

    // MARK: - Strict parsing

    @Test(arguments: [
        ("other version", { @Sendable (t: String) in t.replacingOccurrences(of: "tlog-proof@v1", with: "tlog-proof@v2") }),
        ("no extra line", { @Sendable (t: String) in LineEdit.drop(t, 1) }),
        ("empty extra", { @Sendable (t: String) in LineEdit.replace(t, 1, "extra ") }),
        ("extra without padding", { @Sendable (t: String) in LineEdit.replace(t, 1, "extra YWJjZA") }),
        ("extra with non-zero padding bits", { @Sendable (t: String) in LineEdit.replace(t, 1, "extra YWJjZB==") }),
        ("extra not base64", { @Sendable (t: String) in LineEdit.replace(t, 1, "extra {\"seq\":2}") }),
        ("index with leading zero", { @Sendable (t: String) in LineEdit.replace(t, 2, "index 02") }),
        ("index missing", { @Sendable (t: String) in LineEdit.drop(t, 2) }),
        ("index and extra swapped", { @Sendable (t: String) in LineEdit.swap(t, 1, 2) }),
        ("index outside the tree", { @Sendable (t: String) in LineEdit.replace(t, 2, "index 6") }),
        ("short proof hash", { @Sendable (t: String) in LineEdit.replace(t, 3, "AAAA") }),
        ("proof hash with a space", { @Sendable (t: String) in LineEdit.replace(t, 3, " " + LineEdit.lines(t)[3]) }),
        ("no blank line", { @Sendable (t: String) in t.replacingOccurrences(of: "\n\ntamga.example/log\n", with: "\ntamga.example/log\n") }),
        ("two blank lines", { @Sendable (t: String) in t.replacingOccurrences(of: "\n\ntamga.example/log\n", with: "\n\n\ntamga.example/log\n") }),
        ("checkpoint without signature", { @Sendable (t: String) in String(t.prefix { $0 != "\u{2014}" }) }),
        ("garbage after the note", { @Sendable (t: String) in t + "garbage\n" }),
        ("carriage returns", { @Sendable (t: String) in t.replacingOccurrences(of: "\n", with: "\r\n") }),
        ("checkpoint size not canonical", { @Sendable (t: String) in t.replacingOccurrences(of: "\n6\n", with: "\n06\n") }),
    ] as [(String, @Sendable (String) -> String)])
    func rejectsMalformed(_ label: String, _ edit: @Sendable (String) -> String) throws {
        let valid = try TestLog(count: 6).receipt(2).formatted
        let text = edit(valid)
        #expect(text != valid, "\(label): the edit changed nothing")
        let error = formatsError { try Receipt(parsing: Array(text.utf8)) }
        #expect(error?.code == .malformed, "\(label): \(String(describing: error))")
    }
}
