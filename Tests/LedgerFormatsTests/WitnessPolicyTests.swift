import Crypto
import Foundation
import LedgerFormats
import Testing

/// C2SP tlog-cosignature v1.0.1 lines and tlog-policy files.
@Suite struct WitnessPolicyTests {
    struct Cosigner: NoteSigner {
        let name: String
        let key = Curve25519.Signing.PrivateKey()
        var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }
        var keyID: UInt32 { CosignatureVerifier.keyID(name: name, publicKey: publicKey) }
        var verifier: CosignatureVerifier {
            get throws { try CosignatureVerifier(name: name, publicKey: publicKey) }
        }
        func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message)) }
    }

    static let log = TestSigner(name: "example.com/log")

    func note(_ size: Int = 3) throws -> SignedNote {
        try Checkpoint(origin: "example.com/log", size: UInt64(size), rootHash: Array(repeating: 9, count: 32))
            .signed(by: Self.log)
    }

    func cosign(_ note: SignedNote, by cosigners: [Cosigner], time: UInt64 = 1_795_154_400) throws -> SignedNote {
        var note = note
        for cosigner in cosigners { note = try note.adding(try Cosignature.sign(text: note.text, time: time, with: cosigner)) }
        return note
    }

    @Test func cosignaturesVerifyAndCarryTheirTime() throws {
        let witness = Cosigner(name: "witness.example/w1")
        let note = try cosign(try note(), by: [witness], time: 1_795_154_400)
        let verifier = try witness.verifier
        #expect(verifier.cosignatureTime(on: note) == 1_795_154_400)
        // The key ID uses type 0x04: the same key as a log key has another ID.
        #expect(verifier.keyID != NoteVerifier.keyID(name: witness.name, publicKey: witness.publicKey))
        let line = try #require(note.signatures.last)
        #expect(line.signature.count == 72 && line.signature.prefix(8) == [0, 0, 0, 0, 0x6a, 0xff, 0xe1, 0xe0])
        // The vkey round-trips; a type-0x01 vkey is not a cosigner's.
        #expect(try CosignatureVerifier(verifierKey: verifier.verifierKey) == verifier)
        #expect(throws: LedgerFormatsError.self) { try CosignatureVerifier(verifierKey: try Self.log.verifier.verifierKey) }
        // Another text, another time or another key: no valid cosignature.
        let other = try SignedNote(text: try self.note(4).text, signatures: note.signatures)
        #expect(verifier.cosignatureTime(on: other) == nil)
        var forged = Array(line.signature)
        forged[7] ^= 1
        let retimed = try SignedNote(text: note.text, signatures: [note.signatures[0], try NoteSignature(name: line.name, keyID: line.keyID, signature: forged)])
        #expect(verifier.cosignatureTime(on: retimed) == nil)
        #expect(try Cosigner(name: witness.name).verifier.cosignatureTime(on: note) == nil)
        // The log's own signature still verifies beside the cosignature (unknown lines ignored).
        _ = try Checkpoint(note: note, verifier: try Self.log.verifier)
    }

    @Test func thePolicyExampleOfTheSpecParsesAndDecides() throws {
        let x = (1...3).map { Cosigner(name: "x\($0).example") }
        let y = (1...3).map { Cosigner(name: "y\($0).example") }
        let text = """
            # two levels of groups, as in tlog-policy's example
            log \(try Self.log.verifier.verifierKey) https://example.com/log

            witness X1 \(try x[0].verifier.verifierKey) https://x1.example/
            witness X2 \(try x[1].verifier.verifierKey)
            witness X3 \(try x[2].verifier.verifierKey)
            group X-witnesses 2 X1 X2 X3
            \twitness Y1 \(try y[0].verifier.verifierKey)
            witness Y2 \(try y[1].verifier.verifierKey)
            witness Y3 \(try y[2].verifier.verifierKey)
            group Y-witnesses any Y1 Y2 Y3
            group X-and-Y all X-witnesses Y-witnesses
            quorum X-and-Y

            """
        let policy = try WitnessPolicy(parsing: Array(text.utf8))
        #expect(policy.logs.map(\.url) == ["https://example.com/log"])
        #expect(policy.witnesses.map(\.name) == ["X1", "X2", "X3", "Y1", "Y2", "Y3"])
        // The submission prefix without its trailing slash: `<prefix>/add-checkpoint` is the URL.
        #expect(policy.witnesses[0].url == "https://x1.example" && policy.witnesses[1].url == nil)
        let cases: [([Cosigner], Bool)] = [
            ([x[0], x[1], y[2]], true), ([x[0], y[0], y[1]], false), ([x[0], x[1], x[2]], false), ([], false),
            ([x[2], x[0], y[1]], true),
        ]
        for (cosigners, met) in cases {
            let note = try cosign(try note(), by: cosigners)
            let found = policy.cosigners(of: note)
            #expect(Set(found.keys) == Set(cosigners.map { "\($0.name.prefix(1).uppercased())\($0.name.dropFirst().prefix(1))" }))
            #expect(policy.isSatisfied(by: found.keys) == met, "\(cosigners.map(\.name))")
        }
        #expect(!policy.requiresNoWitness)
        #expect(try WitnessPolicy(parsing: Array("quorum none\n".utf8)).isSatisfied(by: [String]()))
    }

    @Test(arguments: [
        ("", "no quorum line"),
        ("quorum W\n", "not defined"),
        ("witness none KEY\nquorum none\n", "none"),
        ("witness W KEY\nwitness W KEY2\nquorum W\n", "twice"),
        ("witness W KEY\ngroup G 2 W\nquorum G\n", "threshold"),
        ("witness W KEY\ngroup G 0 W\nquorum G\n", "threshold"),
        ("witness W KEY\ngroup G 01 W\nquorum G\n", "threshold"),
        ("witness W KEY\ngroup G any W W\nquorum G\n", "twice"),
        ("witness W KEY\ngroup G any\nquorum W\n", "expected"),
        ("witness W KEY\ngroup G any none\nquorum G\n", "none"),
        ("witness W KEY\nquorum W\nquorum W\n", "exactly one"),
        ("witness W KEY\nquorum W\nlog\n", "expected"),
        ("witness W KEY\nthreshold 2\nquorum W\n", "unknown keyword"),
        ("witness W KEY\u{1}\nquorum W\n", "control character"),
        ("witness W LOGKEY\nquorum W\n", "type"),
        ("log LOGKEY\nlog LOGKEY\nquorum none\n", "twice"),
        ("witness W KEY\nwitness V KEY\nquorum W\n", "already listed"),
        ("witness W KEY ftp://w.example\nquorum W\n", "https://"),
        ("witness W KEY https://\nquorum W\n", "https://"),
        ("log LOGKEY w.example/log\nquorum none\n", "https://"),
    ])
    func malformedPoliciesAreRefused(_ template: String, _ reason: String) throws {
        let witness = Cosigner(name: "w.example")
        let other = Cosigner(name: "w2.example")
        let text = template.replacingOccurrences(of: "KEY2", with: try other.verifier.verifierKey)
            .replacingOccurrences(of: "LOGKEY", with: try Self.log.verifier.verifierKey)
            .replacingOccurrences(of: "KEY", with: try witness.verifier.verifierKey)
        let error = formatsError { try WitnessPolicy(parsing: Array(text.utf8)) }
        #expect(error?.message.contains(reason) == true, "\(template.debugDescription): \(String(describing: error))")
    }
}
