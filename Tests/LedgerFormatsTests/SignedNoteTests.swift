import Crypto
import Foundation
import LedgerFormats
import Testing

/// An Ed25519 note signer backed by swift-crypto, standing in for the node's libsodium key.
struct TestSigner: NoteSigner {
    let name: String
    let key: Curve25519.Signing.PrivateKey

    init(name: String, key: Curve25519.Signing.PrivateKey = .init()) {
        self.name = name
        self.key = key
    }

    var verifier: NoteVerifier {
        get throws { try NoteVerifier(name: name, publicKey: Array(key.publicKey.rawRepresentation)) }
    }

    var keyID: UInt32 { NoteVerifier.keyID(name: name, publicKey: Array(key.publicKey.rawRepresentation)) }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: message))
    }
}

/// Sends whatever the test says instead of a signature.
struct FixedSigner: NoteSigner {
    struct Failure: Error {}
    let name: String
    let keyID: UInt32
    let output: [UInt8]?

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let output else { throw Failure() }
        return output
    }
}

/// Runs `body` and returns the LedgerFormatsError it threw, recording an issue otherwise.
func formatsError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> LedgerFormatsError? {
    do {
        let value = try body()
        Issue.record("expected a LedgerFormatsError, got \(value)", sourceLocation: sourceLocation)
    } catch let error as LedgerFormatsError {
        return error
    } catch {
        Issue.record("expected a LedgerFormatsError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

func base64Std(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

@Suite struct SignedNoteTests {
    // Published in golang.org/x/mod/sumdb/note (note.go package doc, note_test.go).
    static let xmodVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let xmodSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let xmodText = "If you think cryptography is the answer to your problem,\n"
        + "then you don't know what your problem is.\n"
    static let xmodSignature = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static let xmodCosignature = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
    static var xmodNote: String { xmodText + "\n" + xmodSignature }

    @Test func xmodVerifierKeyVector() throws {
        let verifier = try NoteVerifier(verifierKey: Self.xmodVerifierKey)
        #expect(verifier.name == "PeterNeumann")
        #expect(verifier.keyID == 0xc74f_20a3)
        #expect(verifier.verifierKey == Self.xmodVerifierKey)
        #expect(NoteVerifier.keyID(name: "PeterNeumann", publicKey: verifier.publicKey) == 0xc74f_20a3)
    }

    @Test func xmodNoteVector() throws {
        let verifier = try NoteVerifier(verifierKey: Self.xmodVerifierKey)
        let note = try SignedNote(parsing: Array(Self.xmodNote.utf8))
        #expect(note.text == Self.xmodText)
        #expect(note.formatted == Self.xmodNote)
        let verified = try note.verify(using: [verifier])
        #expect(verified.map(\.name) == ["PeterNeumann"])
        #expect(verified.first?.keyID == 0xc74f_20a3)
    }

    @Test func xmodCosignedVectorKeepsUnknownSignature() throws {
        let bytes = Self.xmodText + "\n" + Self.xmodSignature + Self.xmodCosignature
        let note = try SignedNote(parsing: Array(bytes.utf8))
        #expect(note.signatures.map(\.name) == ["PeterNeumann", "EnochRoot"])
        #expect(note.formatted == bytes)
        let verified = try note.verify(using: [NoteVerifier(verifierKey: Self.xmodVerifierKey)])
        #expect(verified.map(\.name) == ["PeterNeumann"])
    }

    /// The x/mod signer key holds the Ed25519 seed: our key ID and verifier key string from it
    /// must be x/mod's, and our signature must verify under the published verifier key.
    @Test func xmodSignerKeyDerivesThePublishedVerifierKey() throws {
        let encoded = try #require(Self.xmodSignerKey.split(separator: "+", maxSplits: 4).last)
        let seed = try #require(Data(base64Encoded: String(encoded)))
        #expect(seed.first == 0x01)
        let signer = TestSigner(name: "PeterNeumann", key: try .init(rawRepresentation: seed.dropFirst()))
        #expect(try signer.verifier.verifierKey == Self.xmodVerifierKey)
        #expect(signer.keyID == 0xc74f_20a3)
        let note = try SignedNote(signing: Self.xmodText, with: [signer])
        _ = try note.verify(using: [NoteVerifier(verifierKey: Self.xmodVerifierKey)])
        #if os(Linux)
        // BoringSSL's Ed25519 is deterministic (RFC 8032), so we reproduce x/mod's bytes exactly.
        #expect(note.formatted == Self.xmodNote)
        #endif
    }

    @Test func signAndVerifyRoundTrip() throws {
        let signer = TestSigner(name: "tamga.example/log")
        let text = "tamga.example/log\n3\nsome text with an empty line below\n\nand ünïcödé\n"
        let note = try SignedNote(signing: text, with: [signer])
        let parsed = try SignedNote(parsing: Array(note.formatted.utf8))
        #expect(parsed == note)
        #expect(parsed.text == text)
        #expect(try parsed.verify(using: [signer.verifier]).count == 1)
        #expect(note.signatures.first?.signature.count == 64)
        #expect(note.signatures.first?.keyID == signer.keyID)
    }

    @Test func cosignaturesAreAddedAndCountedOnlyForTrustedKeys() throws {
        let log = TestSigner(name: "tamga.example/log")
        let witness = TestSigner(name: "witness.example")
        let signed = try SignedNote(signing: "hello\n", with: [log])
        let cosigned = try signed.adding(signatureBy: witness)
        #expect(cosigned.text == signed.text)
        #expect(cosigned.signatures.first == signed.signatures.first)
        #expect(cosigned.formatted.hasPrefix(signed.formatted))
        let reparsed = try SignedNote(parsing: Array(cosigned.formatted.utf8))
        #expect(try reparsed.verify(using: [log.verifier]).map(\.name) == ["tamga.example/log"])
        #expect(try reparsed.verify(using: [witness.verifier]).map(\.name) == ["witness.example"])
        #expect(try reparsed.verify(using: [log.verifier, witness.verifier]).count == 2)

        let again = formatsError { try cosigned.adding(signatureBy: witness) }
        #expect(again?.code == .invalidArgument)
        let line = try #require(cosigned.signatures.last)
        #expect(formatsError { try cosigned.adding(line) }?.code == .invalidArgument)
    }

    @Test func signingManyKeysAtOnce() throws {
        let signers = (0..<3).map { TestSigner(name: "key\($0)") }
        let note = try SignedNote(signing: "x\n", with: signers)
        #expect(note.signatures.map(\.name) == ["key0", "key1", "key2"])
        for signer in signers {
            #expect(try note.verify(using: [signer.verifier]).map(\.name) == [signer.name])
        }
    }

    @Test func signerFailuresAreReported() throws {
        let empty = FixedSigner(name: "log", keyID: 1, output: [])
        #expect(formatsError { try SignedNote(signing: "a\n", with: [empty]) }?.code == .invalidArgument)
        let badName = FixedSigner(name: "bad name", keyID: 1, output: [1, 2, 3])
        #expect(formatsError { try SignedNote(signing: "a\n", with: [badName]) }?.code == .invalidArgument)
        let failing = FixedSigner(name: "log", keyID: 1, output: nil)
        #expect(throws: FixedSigner.Failure.self) { try SignedNote(signing: "a\n", with: [failing]) }
        #expect(formatsError { try SignedNote(signing: "a\n", with: []) }?.code == .invalidArgument)
        #expect(formatsError { try SignedNote(signing: "no newline", with: [TestSigner(name: "log")]) }?.code == .invalidArgument)
        #expect(formatsError { try SignedNote(signing: "tab\there\n", with: [TestSigner(name: "log")]) }?.code == .invalidArgument)
    }

    @Test func assemblingFromPartsIsChecked() throws {
        let signature = try NoteSignature(name: "log", keyID: 7, signature: [1, 2, 3])
        #expect(try SignedNote(text: "a\n", signatures: [signature]).formatted == "a\n\n\u{2014} log AAAABwECAw==\n")
        #expect(formatsError { try SignedNote(text: "a\n", signatures: []) }?.code == .invalidArgument)
        #expect(formatsError { try SignedNote(text: "a", signatures: [signature]) }?.code == .invalidArgument)
        #expect(formatsError { try SignedNote(text: "a\n", signatures: [signature, signature]) }?.code == .invalidArgument)
        #expect(formatsError { try NoteSignature(name: "a+b", keyID: 7, signature: [1]) }?.code == .invalidArgument)
        #expect(formatsError { try NoteSignature(name: "log", keyID: 7, signature: []) }?.code == .invalidArgument)
    }

    // MARK: - Strict parsing

    static let validSignatureLine = xmodSignature

    @Test(arguments: [
        ("control character in text", "If you\tthink\n\n" + validSignatureLine),
        ("carriage return", "text\r\n\n" + validSignatureLine),
        ("NUL", "te\u{0}xt\n\n" + validSignatureLine),
        ("missing final newline", String(xmodNote.dropLast())),
        ("no blank line", xmodText + validSignatureLine),
        ("no signatures", xmodText + "\n"),
        ("nothing", ""),
        ("bad base64 character", xmodText + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG!SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        ("base64 without padding", xmodText + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n"),
        ("non-canonical base64 padding bits", xmodText + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=\n"),
        ("truncated base64", xmodText + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJn\n"),
        ("signature of only a key ID", xmodText + "\n\u{2014} PeterNeumann x08gow==\n"),
        ("empty signature", xmodText + "\n\u{2014} PeterNeumann \n"),
        ("duplicate signature", xmodNote + validSignatureLine),
        ("same key signing twice", xmodNote + "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAA=\n"),
        ("hyphen instead of em dash", xmodText + "\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        ("no space after em dash", xmodText + "\n\u{2014}PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        ("two spaces before signature", xmodText + "\n\u{2014} PeterNeumann  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        ("plus in key name", xmodText + "\n\u{2014} Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        ("no-break space in key name", xmodText + "\n\u{2014} Peter\u{A0}Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        ("text after the signatures", xmodNote + "trailing\n"),
    ])
    func rejectsMalformed(_ label: String, _ note: String) {
        let error = formatsError { try SignedNote(parsing: Array(note.utf8)) }
        #expect(error?.code == .malformed, "\(label): \(String(describing: error))")
    }

    @Test func rejectsInvalidUTF8() {
        var bytes = Array(Self.xmodNote.utf8)
        bytes[3] = 0xFF
        #expect(formatsError { try SignedNote(parsing: bytes) }?.code == .malformed)
    }

    @Test func signatureCountLimit() throws {
        let line = { (i: Int) in "\u{2014} k\(i) \(base64Std([0, 0, 0, 1, 9]))\n" }
        let atLimit = "t\n\n" + (0..<SignedNote.maxSignatures).map(line).joined()
        #expect(try SignedNote(parsing: Array(atLimit.utf8)).signatures.count == SignedNote.maxSignatures)
        let over = atLimit + line(SignedNote.maxSignatures)
        #expect(formatsError { try SignedNote(parsing: Array(over.utf8)) }?.code == .malformed)
    }

    // MARK: - Verification failures

    @Test func signatureByUnknownKeyOnlyIsRejected() throws {
        let note = try SignedNote(parsing: Array(Self.xmodNote.utf8))
        let other = try TestSigner(name: "PeterNeumann").verifier
        let error = formatsError { try note.verify(using: [other]) }
        #expect(error?.code == .invalidSignature)
        #expect(error?.message.contains("no signature by a trusted key") == true)
        #expect(formatsError { try note.verify(using: []) }?.code == .invalidSignature)
    }

    @Test func wrongSignatureIsRejected() throws {
        let signer = TestSigner(name: "log")
        let note = try SignedNote(signing: "genuine\n", with: [signer])
        let signature = try #require(note.signatures.first)

        var flipped = signature.signature
        flipped[10] ^= 0x01
        let tampered = try SignedNote(text: note.text, signatures: [NoteSignature(name: "log", keyID: signer.keyID, signature: flipped)])
        #expect(formatsError { try tampered.verify(using: [signer.verifier]) }?.code == .invalidSignature)

        let otherText = try SignedNote(text: "forged\n", signatures: note.signatures)
        #expect(formatsError { try otherText.verify(using: [signer.verifier]) }?.code == .invalidSignature)

        // A bad signature by a trusted key fails the note even beside a good one.
        let witness = TestSigner(name: "witness")
        let mixed = try tampered.adding(signatureBy: witness)
        #expect(formatsError { try mixed.verify(using: [signer.verifier, witness.verifier]) }?.code == .invalidSignature)
    }

    @Test func truncatedSignatureIsRejected() throws {
        let signer = TestSigner(name: "log")
        let note = try SignedNote(signing: "genuine\n", with: [signer])
        let signature = try #require(note.signatures.first)
        for length in [1, 32, 63] {
            let cut = try NoteSignature(name: "log", keyID: signer.keyID, signature: Array(signature.signature.prefix(length)))
            let parsed = try SignedNote(parsing: Array(SignedNote(text: note.text, signatures: [cut]).formatted.utf8))
            #expect(formatsError { try parsed.verify(using: [signer.verifier]) }?.code == .invalidSignature)
        }
    }

    @Test func sameNameOtherKeyIDIsIgnored() throws {
        let signer = TestSigner(name: "log")
        let note = try SignedNote(signing: "t\n", with: [signer])
        let impostor = try NoteSignature(name: "log", keyID: signer.keyID &+ 1, signature: Array(repeating: 0, count: 64))
        let withImpostor = try note.adding(impostor)
        #expect(try withImpostor.verify(using: [signer.verifier]).count == 1)
    }

    // MARK: - Verifier keys

    @Test func verifierKeyRoundTrip() throws {
        let signer = TestSigner(name: "tamga.example/log")
        let verifier = try signer.verifier
        let parsed = try NoteVerifier(verifierKey: verifier.verifierKey)
        #expect(parsed == verifier)
        #expect(parsed.keyID == signer.keyID)
        #expect(verifier.verifierKey.hasPrefix("tamga.example/log+"))
        let expectedID = Array(SHA256.hash(data: Array("tamga.example/log\n".utf8) + [0x01] + verifier.publicKey).prefix(4))
        #expect(withUnsafeBytes(of: verifier.keyID.bigEndian, Array.init) == expectedID)
    }

    /// As x/mod's TestNewVerifier: every proper substring and every single-byte change fails.
    @Test func verifierKeyManglingsAreRejected() {
        let key = Array(Self.xmodVerifierKey.utf8)
        for i in 0...key.count {
            for j in (i + 1)..<(key.count + 1) where !(i == 0 && j == key.count) {
                let part = String(decoding: key[i..<j], as: UTF8.self)
                #expect((try? NoteVerifier(verifierKey: part)) == nil, "\(part)")
            }
        }
        for i in key.indices {
            var changed = key
            changed[i] &+= 1
            let text = String(decoding: changed, as: UTF8.self)
            #expect((try? NoteVerifier(verifierKey: text)) == nil, "\(text)")
        }
    }

    @Test(arguments: [
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "uppercase key ID"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "wrong key ID"),
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "long key (x/mod vector)"),
        ("PeterNeumann+c74f20a3", "no key"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "empty name"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "space in name"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n", "trailing newline"),
    ])
    func verifierKeyRejections(_ key: String, _ label: String) {
        #expect(formatsError { try NoteVerifier(verifierKey: key) }?.code == .malformed, "\(label)")
    }

    @Test func unknownAlgorithmIsUnsupported() {
        // x/mod's vector: type byte 0x65 with the key ID adjusted to match.
        let error = formatsError { try NoteVerifier(verifierKey: "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") }
        #expect(error?.code == .unsupported)
    }

    @Test func verifierFromRawKeyIsChecked() {
        #expect(formatsError { try NoteVerifier(name: "log", publicKey: [1, 2, 3]) }?.code == .invalidArgument)
        #expect(formatsError { try NoteVerifier(name: "a+b", publicKey: Array(repeating: 1, count: 32)) }?.code == .invalidArgument)
        #expect(formatsError { try NoteVerifier(name: "", publicKey: Array(repeating: 1, count: 32)) }?.code == .invalidArgument)
    }
}
