import Crypto
import Foundation
import Ledger
import LedgerFormats
import SignCore
import Sodium
import TestSupport
import Testing

/// The transport key is published signed by the log key with a validity period and replaced
/// before it ends; a sealed password is bound to the operation it was sealed for.
@Suite struct TransportTests {
    let owner = "900101300123"
    let password = "correct horse battery"

    /// The genesis key of the harness's chain: what an app pins.
    static func pinnedVerifier(_ h: Harness) throws -> NoteVerifier {
        let genesis = try Genesis(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: h.folder.genesis))))
        return try NoteVerifier(verifierKey: genesis.verifierKey)
    }

    @Test func theStatementIsSignedByTheGenesisKeyAndValidForItsLifetime() async throws {
        try await Harness.with { h in
            let (statement, note) = try h.core.transportKey()
            #expect(try TransportKeyStatement(note: note, verifier: Self.pinnedVerifier(h)) == statement)
            #expect(statement.origin == Harness.origin)
            #expect(statement.validFrom == h.clock.now() / 1000 && statement.validUntil == statement.validFrom + 86_400)
            // The same key until half its lifetime has passed.
            h.clock.advance(43_199_000)
            #expect(try h.core.transportKey().statement == statement)
        }
    }

    @Test func keysAreReplacedAtHalfTheirLifeAndTheOldOneOpensUntilItsEnd() async throws {
        try await Harness.with(configure: { $0.transportKeyLifetime = 3600 }) { h in
            let key = try await h.createKey(owner: owner, password: password)
            let first = try h.core.transportKey().statement
            func authorize(sealedTo transportKey: [UInt8]) async throws {
                let hashes = randomHashes(1)
                var factors = try h.factors(owner: owner, password: password, for: .authorize(keyID: key.id, hashes: hashes))
                factors.sealedPassword = try SignCoreClient.sealPassword(
                    Array(password.utf8), challenge: factors.challenge, for: .authorize(keyID: key.id, hashes: hashes),
                    transportKey: transportKey)
                _ = try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: factors)
            }

            h.clock.advance(1_800_000)
            let second = try h.core.transportKey().statement
            #expect(second.publicKey != first.publicKey)
            #expect(second.validFrom == first.validFrom + 1800 && second.validUntil == second.validFrom + 3600)
            #expect(try TransportKeyStatement(note: h.core.transportKey().note, verifier: Self.pinnedVerifier(h)) == second)
            try await authorize(sealedTo: first.publicKey)
            try await authorize(sealedTo: second.publicKey)

            // The first key has ended: what is sealed to it no longer opens.
            h.clock.advance(1_800_000)
            await expectRefusal(.invalidRequest) { try await authorize(sealedTo: first.publicKey) }
            try expectJournaled(h, .authFail, owner: owner, reason: "password-box", key: key.id)
            try await authorize(sealedTo: second.publicKey)
            #expect(try h.core.transportKey().statement.publicKey != second.publicKey, "made at half of the second's life")

            // After a long pause every old key has ended and a fresh one is published.
            h.clock.advance(7_200_000)
            let fresh = try h.core.transportKey().statement
            #expect(fresh.isValid(at: h.clock.now() / 1000) && fresh.validFrom == h.clock.now() / 1000)
            await expectRefusal(.invalidRequest) { try await authorize(sealedTo: second.publicKey) }
            #expect(try h.core.key(key.id).failedAttempts == 0)
        }
    }

    /// Factors captured on the way (the challenge not yet used) cannot be spent on another
    /// operation: each attempt is refused, journaled, not counted towards the lock, and the
    /// challenge is gone.
    @Test func factorsSealedForOneOperationAreRefusedForAnother() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let other = try await h.core.createKey(
                owner: owner, factors: h.factors(owner: owner, password: password, for: .createKey))
            let hashes = randomHashes(2)

            // Other hashes, or a subset, or the same hashes in another order.
            for signed in [randomHashes(2), [hashes[0]], [hashes[1], hashes[0]]] {
                let factors = try h.factors(owner: owner, password: password, for: .authorize(keyID: key.id, hashes: hashes))
                await expectRefusal(.invalidRequest) {
                    try await h.core.authorize(keyID: key.id, owner: owner, hashes: signed, factors: factors)
                }
                try expectJournaled(h, .authFail, owner: owner, reason: "operation", key: key.id)
                // Single use: the same bundle is no good even for what it was sealed for.
                await expectRefusal(.invalidChallenge) {
                    try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: factors)
                }
            }
            // Another of the owner's keys.
            await expectRefusal(.invalidRequest) {
                try await h.core.authorize(
                    keyID: other.id, owner: owner, hashes: hashes,
                    factors: h.factors(owner: owner, password: password, for: .authorize(keyID: key.id, hashes: hashes)))
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "operation", key: other.id)
            // A signature's factors spent on a destroy, a TOTP enrolment or the cabinet.
            await expectRefusal(.invalidRequest) {
                try await h.core.destroyKey(
                    keyID: key.id, owner: owner,
                    factors: h.factors(owner: owner, password: password, for: .authorize(keyID: key.id, hashes: hashes)))
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "operation", key: key.id)
            await expectRefusal(.invalidRequest) {
                try await h.core.enrolTOTP(
                    keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .destroy(keyID: key.id)))
            }
            await expectRefusal(.invalidRequest) {
                try await h.core.openCabinet(
                    keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .createKey))
            }
            // A key creation's factors are for a creation only.
            await expectRefusal(.invalidRequest) {
                try await h.core.createKey(
                    owner: owner, factors: h.factors(owner: owner, password: password, for: .openCabinet(keyID: key.id)))
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "operation")

            #expect(try h.core.key(key.id).state == .active && h.core.key(key.id).failedAttempts == 0)
            #expect(try h.core.keys(owner: owner).count == 2)
            // Sealed for what it is used for, it works.
            let activation = try await h.authorize(key, password: password, hashes: hashes)
            #expect(try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: hashes).count == 2)
        }
    }

    /// The digest is the documented text's SHA-256 (docs/service-api.md), so any app can make it.
    @Test func theOperationDigestIsTheDocumentedText() {
        let hash = Array(repeating: UInt8(1), count: 32)
        let text = "tamga factors v1\nsign\n0123456789abcdef0123456789abcdef\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
        #expect(
            SignCore.Operation.authorize(keyID: "0123456789abcdef0123456789abcdef", hashes: [hash]).digest
                == Array(SHA256.hash(data: Array(text.utf8))))
        #expect(SignCore.Operation.createKey.digest == Array(SHA256.hash(data: Array("tamga factors v1\nkey.create\n\n".utf8))))
        #expect(SignCore.Operation.destroy(keyID: "k").digest == Array(SHA256.hash(data: Array("tamga factors v1\ndestroy\nk\n".utf8))))
    }
}
