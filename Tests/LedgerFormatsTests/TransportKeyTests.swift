import Crypto
import Foundation
import LedgerFormats
import TestSupport
import Testing

@Suite struct TransportKeyTests {
    static let signer = TestSigner(name: "tamga.example/log")
    static let key = Array(repeating: UInt8(7), count: 32)
    /// 2026-12-04T03:00:00Z and a day later.
    static let from: Int64 = 1_796_353_200
    static let until: Int64 = from + 86_400

    static func statement() throws -> TransportKeyStatement {
        try TransportKeyStatement(origin: signer.name, publicKey: key, validFrom: from, validUntil: until)
    }

    @Test func textIsTheDocumentedOne() throws {
        let statement = try Self.statement()
        #expect(
            statement.text == """
                tamga transport key v1
                tamga.example/log
                crypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=
                valid 2026-12-04T03:00:00Z 2026-12-05T03:00:00Z

                """)
        #expect(try TransportKeyStatement(text: statement.text) == statement)
        #expect(statement.isValid(at: Self.from) && statement.isValid(at: Self.until - 1))
        #expect(!statement.isValid(at: Self.from - 1) && !statement.isValid(at: Self.until))
    }

    @Test func aSignedStatementVerifiesOnlyWithTheLogKeyAndUnaltered() throws {
        let note = try Self.statement().signed(by: Self.signer)
        let verifier = try Self.signer.verifier
        #expect(try TransportKeyStatement(note: SignedNote(parsing: Array(note.formatted.utf8)), verifier: verifier) == Self.statement())

        // A man in the middle's own key, signed by a key of the log's name: not the pinned key.
        let impostor = TestSigner(name: Self.signer.name)
        let forged = try TransportKeyStatement(
            origin: Self.signer.name, publicKey: Array(repeating: 9, count: 32), validFrom: Self.from, validUntil: Self.until
        ).signed(by: impostor)
        #expect(formatsError({ try TransportKeyStatement(note: forged, verifier: verifier) })?.code == .invalidSignature)

        // The genuine signature over an altered key or validity.
        for altered in [
            note.text.replacingOccurrences(of: "BwcHBwcH", with: "CQkJCQkJ"),
            note.text.replacingOccurrences(of: "2026-12-05T03", with: "2027-12-05T03"),
        ] {
            #expect(altered != note.text)
            let tampered = try SignedNote(text: altered, signatures: note.signatures)
            #expect(formatsError({ try TransportKeyStatement(note: tampered, verifier: verifier) })?.code == .invalidSignature)
        }

        // A statement of another log, signed by that log's key, is not this log's.
        let other = TestSigner(name: "other.example/log")
        let theirs = try TransportKeyStatement(
            origin: other.name, publicKey: Self.key, validFrom: Self.from, validUntil: Self.until
        ).signed(by: other)
        let misnamed = try SignedNote(signing: theirs.text, with: [Self.signer])
        #expect(formatsError({ try TransportKeyStatement(note: misnamed, verifier: verifier) })?.code == .verificationFailed)
        #expect(try TransportKeyStatement(note: theirs, verifier: other.verifier).origin == other.name)
    }

    /// The first line keeps every checkpoint reader from taking the statement for a checkpoint
    /// of the log, although the log key signed it: ours and golang.org/x/mod's both refuse it,
    /// while x/mod verifies it as a signed note.
    @Test func noCheckpointVerifierAcceptsIt() throws {
        let note = try Self.statement().signed(by: Self.signer)
        let verifier = try Self.signer.verifier
        #expect(formatsError({ try Checkpoint(note: note, verifier: verifier) }) != nil)
        let asCheckpoint = try GoVerifier.check("checkpoint", key: verifier.verifierKey, text: note.formatted)
        #expect(asCheckpoint.status == 1, "goverify checkpoint exited \(asCheckpoint.status): \(asCheckpoint.stdout)")
        let asNote = try GoVerifier.check("note", key: verifier.verifierKey, text: note.formatted)
        #expect(asNote.status == 0, "\(asNote.stderr)")
        #expect(asNote.stdout == note.text)
        // And a checkpoint is no statement.
        let checkpoint = try Checkpoint(origin: Self.signer.name, size: 0, rootHash: Array(SHA256.hash(data: [UInt8]())))
        #expect(formatsError({ try TransportKeyStatement(note: checkpoint.signed(by: Self.signer), verifier: verifier) }) != nil)
    }

    @Test(arguments: [
        ("no header", "tamga.example/log\ncrypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-04T03:00:00Z 2026-12-05T03:00:00Z\n"),
        ("other version", "tamga transport key v2\ntamga.example/log\ncrypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-04T03:00:00Z 2026-12-05T03:00:00Z\n"),
        ("extra line", "tamga transport key v1\ntamga.example/log\ncrypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-04T03:00:00Z 2026-12-05T03:00:00Z\nmore\n"),
        ("short key", "tamga transport key v1\ntamga.example/log\ncrypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==\nvalid 2026-12-04T03:00:00Z 2026-12-05T03:00:00Z\n"),
        ("other algorithm", "tamga transport key v1\ntamga.example/log\nx25519 BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-04T03:00:00Z 2026-12-05T03:00:00Z\n"),
        ("two spaces", "tamga transport key v1\ntamga.example/log\ncrypto_box_seal  BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-04T03:00:00Z 2026-12-05T03:00:00Z\n"),
        ("milliseconds", "tamga transport key v1\ntamga.example/log\ncrypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-04T03:00:00.000Z 2026-12-05T03:00:00Z\n"),
        ("ends before it starts", "tamga transport key v1\ntamga.example/log\ncrypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-05T03:00:00Z 2026-12-04T03:00:00Z\n"),
        ("empty period", "tamga transport key v1\ntamga.example/log\ncrypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-04T03:00:00Z 2026-12-04T03:00:00Z\n"),
        ("origin with a space", "tamga transport key v1\ntamga example\ncrypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-04T03:00:00Z 2026-12-05T03:00:00Z\n"),
        ("no final newline", "tamga transport key v1\ntamga.example/log\ncrypto_box_seal BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nvalid 2026-12-04T03:00:00Z 2026-12-05T03:00:00Z"),
    ])
    func malformedStatementsAreRefused(label: String, text: String) {
        #expect(formatsError({ try TransportKeyStatement(text: text) })?.code == .malformed, "\(label)")
    }

    @Test func unwritableStatementsAreRefused() {
        for (origin, key, from, until) in [
            ("", Self.key, Self.from, Self.until), ("a b", Self.key, Self.from, Self.until),
            ("o", Array(Self.key.prefix(31)), Self.from, Self.until), ("o", Self.key, Self.until, Self.from),
            ("o", Self.key, Self.from, Int64.max),
        ] {
            #expect(
                formatsError({ try TransportKeyStatement(origin: origin, publicKey: key, validFrom: from, validUntil: until) })?
                    .code == .invalidArgument)
        }
    }
}
