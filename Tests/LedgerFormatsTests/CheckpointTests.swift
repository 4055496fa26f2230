import Crypto
import Foundation
import LedgerFormats
import Testing

@Suite struct CheckpointTests {
    static let root = Array(SHA256.hash(data: Array("root".utf8)))
    static let emptyRoot = Array(SHA256.hash(data: [UInt8]()))

    /// The example in c2sp.org/tlog-checkpoint.
    @Test func c2spExample() throws {
        let text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let checkpoint = try Checkpoint(text: text)
        #expect(checkpoint.origin == "example.com/behind-the-sofa")
        #expect(checkpoint.size == 20_852_163)
        #expect(base64Std(checkpoint.rootHash) == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
        #expect(checkpoint.extensions.isEmpty)
        #expect(checkpoint.text == text)
    }

    @Test func formatAndParseRoundTrip() throws {
        let checkpoint = try Checkpoint(origin: "tamga.example/log", size: 42, rootHash: Self.root, extensions: ["a b", "c"])
        #expect(checkpoint.text == "tamga.example/log\n42\n\(base64Std(Self.root))\na b\nc\n")
        #expect(try Checkpoint(text: checkpoint.text) == checkpoint)
        let empty = try Checkpoint(origin: "o", size: 0, rootHash: Self.emptyRoot)
        #expect(try Checkpoint(text: empty.text) == empty)
        let largest = try Checkpoint(origin: "o", size: .max, rootHash: Self.root)
        #expect(try Checkpoint(text: largest.text).size == .max)
    }

    @Test(arguments: [
        ("two lines", "o\n1\n"),
        ("no final newline", "o\n1\nROOT="),
        ("empty origin", "\n1\nROOT\n"),
        ("leading zero", "o\n01\nROOT\n"),
        ("plus sign", "o\n+1\nROOT\n"),
        ("negative", "o\n-1\nROOT\n"),
        ("space before size", "o\n 1\nROOT\n"),
        ("space after size", "o\n1 \nROOT\n"),
        ("hex size", "o\n0x1\nROOT\n"),
        ("empty size", "o\n\nROOT\n"),
        ("size overflows 64 bits", "o\n18446744073709551616\nROOT\n"),
        ("31-byte root", "o\n1\n\(base64Std(Array(CheckpointTests.root.prefix(31))))\n"),
        ("33-byte root", "o\n1\n\(base64Std(CheckpointTests.root + [0]))\n"),
        ("root without padding", "o\n1\n\(base64Std(CheckpointTests.root).dropLast())\n"),
        ("url-safe base64 root", "o\n1\n\(base64Std(CheckpointTests.root).replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-"))\n"),
        ("empty extension line", "o\n1\nROOT\n\next\n"),
        ("control character", "o\t\n1\nROOT\n"),
        ("empty tree with another root", "o\n0\nROOT\n"),
    ])
    func rejectsMalformed(_ label: String, _ template: String) {
        let text = template.replacingOccurrences(of: "ROOT", with: base64Std(Self.root))
        let error = formatsError { try Checkpoint(text: text) }
        #expect(error?.code == .malformed, "\(label): \(String(describing: error))")
    }

    @Test func theRootUsedAboveHasURLUnsafeCharacters() {
        // Guards the "url-safe base64 root" case from silently testing nothing.
        #expect(base64Std(Self.root).contains { $0 == "/" || $0 == "+" })
    }

    @Test func rejectsUnwritableValues() {
        #expect(formatsError { try Checkpoint(origin: "", size: 1, rootHash: Self.root) }?.code == .invalidArgument)
        #expect(formatsError { try Checkpoint(origin: "a\nb", size: 1, rootHash: Self.root) }?.code == .invalidArgument)
        #expect(formatsError { try Checkpoint(origin: "o", size: 1, rootHash: [1, 2]) }?.code == .invalidArgument)
        #expect(formatsError { try Checkpoint(origin: "o", size: 0, rootHash: Self.root) }?.code == .invalidArgument)
        #expect(formatsError { try Checkpoint(origin: "o", size: 1, rootHash: Self.root, extensions: [""]) }?.code == .invalidArgument)
        #expect(formatsError { try Checkpoint(origin: "o", size: 1, rootHash: Self.root, extensions: ["a\nb"]) }?.code == .invalidArgument)
    }

    @Test func signedCheckpointVerifies() throws {
        let signer = TestSigner(name: "tamga.example/log")
        let checkpoint = try Checkpoint(origin: signer.name, size: 7, rootHash: Self.root)
        let note = try checkpoint.signed(by: signer)
        #expect(note.text == checkpoint.text)
        let parsed = try SignedNote(parsing: Array(note.formatted.utf8))
        #expect(try Checkpoint(note: parsed, verifier: signer.verifier) == checkpoint)
        // A witness cosignature changes nothing for the log key's verification.
        let cosigned = try parsed.adding(signatureBy: TestSigner(name: "witness.example"))
        #expect(try Checkpoint(note: cosigned, verifier: signer.verifier) == checkpoint)
    }

    @Test func checkpointOfAnotherLogIsRejected() throws {
        let signer = TestSigner(name: "tamga.example/log")
        let checkpoint = try Checkpoint(origin: "other.example/log", size: 7, rootHash: Self.root)
        #expect(formatsError { try checkpoint.signed(by: signer) }?.code == .invalidArgument)
        let note = try SignedNote(signing: checkpoint.text, with: [signer])
        #expect(formatsError { try Checkpoint(note: note, verifier: signer.verifier) }?.code == .verificationFailed)
    }

    @Test func checkpointSignedByAnotherKeyIsRejected() throws {
        let signer = TestSigner(name: "tamga.example/log")
        let impostor = TestSigner(name: "tamga.example/log")
        let note = try Checkpoint(origin: signer.name, size: 7, rootHash: Self.root).signed(by: impostor)
        #expect(formatsError { try Checkpoint(note: note, verifier: signer.verifier) }?.code == .invalidSignature)
    }
}
