import Crypto
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import SignCore
import Sodium
import TestSupport
import Testing

@Suite struct RefusalTests {
    let owner = "900101300123"
    let stranger = "850505400777"
    let password = "correct horse battery staple 42"

    // MARK: consent and creation

    @Test func createWithoutConsentIsRefused() async throws {
        try await Harness.with { h in
            await expectRefusal(.consentRequired) {
                try await h.createKey(owner: owner, password: password, consent: false)
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "no-consent")
            #expect(try h.lastEntry().record[field: "purpose"] == "key.create")
            #expect(try h.core.keys(owner: owner).isEmpty)
            #expect(try h.entries().allSatisfy { $0.event != .keyCreate })
            // Consent belongs to its owner only.
            try await h.consent(owner: stranger)
            await expectRefusal(.consentRequired) {
                try await h.createKey(owner: owner, password: password, consent: false)
            }
        }
    }

    @Test func createNeedsBiometricAndAStrongEnoughPassword() async throws {
        try await Harness.with { h in
            try await h.consent(owner: owner)
            var factors = try h.factors(owner: owner, password: password, for: .createKey)
            factors.biometric = try SignCoreClient.biometricAssertion(
                owner: stranger, challenge: factors.challenge, time: h.clock.now(), serviceKey: h.biometricKey)
            await expectRefusal(.invalidBiometric) { try await h.core.createKey(owner: owner, factors: factors) }
            try await expectCounted(h, purpose: "key.create", reason: "biometric-owner", key: nil)
            await expectRefusal(.invalidRequest) {
                try await h.core.createKey(owner: owner, factors: h.factors(owner: owner, password: "short", for: .createKey))
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "weak-password")
            #expect(try h.core.keys(owner: owner).isEmpty)
        }
    }

    // MARK: SAD

    /// A journal that takes nothing: the signatures are never returned (no signature without
    /// its `key.use`), and the refusal says to retry.
    @Test func aFailingJournalReturnsNoSignature() async throws {
        try await Harness.with(journals: [.memory]) { h in
            let key = try await h.createKey(owner: owner, password: password)
            let hashes = randomHashes(3)
            let activation = try await h.authorize(key, password: password, hashes: hashes)
            let before = try h.size
            try #require(h.memory).failAppends()
            await expectRefusal(.unavailable) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: hashes)
            }
            #expect(try h.size == before, "nothing was journaled")
        }
    }

    @Test func signWithoutSADIsRefused() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            await expectRefusal(.invalidSAD) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: nil, hashes: randomHashes(1))
            }
            try await expectCounted(h, purpose: "sign", reason: "no-sad", key: key.id)
            await expectRefusal(.invalidSAD) {
                try await h.core.sign(
                    keyID: key.id, owner: owner, sad: String(repeating: "A", count: 43), hashes: randomHashes(1))
            }
            try await expectCounted(h, purpose: "sign", reason: "sad-unknown", key: key.id)
            #expect(try h.entries().allSatisfy { $0.event != .keyUse })
        }
    }

    /// An expired SAD's unwrapped key leaves memory when the SAD expires, with no request to
    /// trigger a sweep (the harness's clock does not move: only the timer can zero it).
    @Test func anExpiredSADsKeyIsZeroedWithoutWaitingForARequest() async throws {
        try await Harness.with(journals: [.memory], configure: { $0.activationLifetime = 100 }) { h in
            let key = try await h.createKey(owner: owner, password: password)
            _ = try await h.authorize(key, password: password, hashes: randomHashes(2))
            #expect(h.core.activationsHoldingKeys == 1)
            // 100 ms, then the timer's task runs when the pool gets to it (a busy test run).
            let start = ContinuousClock.now
            while h.core.activationsHoldingKeys > 0, ContinuousClock.now - start < .seconds(20) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(h.core.activationsHoldingKeys == 0)
        }
    }

    @Test func expiredSADIsRefused() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let hashes = randomHashes(2)
            let activation = try await h.authorize(key, password: password, hashes: hashes)
            h.clock.advance(299_000)
            _ = try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: [hashes[0]])
            h.clock.advance(1_001)
            await expectRefusal(.invalidSAD) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: [hashes[1]])
            }
            try await expectCounted(h, purpose: "sign", reason: "sad-expired", key: key.id)
        }
    }

    @Test func replayedSADIsRefused() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let hashes = randomHashes(2)
            let activation = try await h.authorize(key, password: password, hashes: hashes)
            _ = try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: [hashes[0]])
            await expectRefusal(.invalidSAD) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: [hashes[0]])
            }
            try await expectCounted(h, purpose: "sign", reason: "sad-replayed", key: key.id)
            // A refused request spends nothing: the other hash still signs, once.
            _ = try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: [hashes[1]])
            await expectRefusal(.invalidSAD) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: hashes)
            }
            try await expectCounted(h, purpose: "sign", reason: "sad-replayed", key: key.id)
            #expect(try h.entries().filter { $0.event == .keyUse }.count == 2)
        }
    }

    @Test func sadForAnotherKeyOwnerOrHashIsRefused() async throws {
        try await Harness.with { h in
            let first = try await h.createKey(owner: owner, password: password)
            let second = try await h.core.createKey(
                owner: owner, factors: h.factors(owner: owner, password: password, for: .createKey))
            let theirs = try await h.createKey(owner: stranger, password: "stranger's password")
            let hashes = randomHashes(1)
            let activation = try await h.authorize(first, password: password, hashes: hashes)

            await expectRefusal(.invalidSAD) {
                try await h.core.sign(keyID: second.id, owner: owner, sad: activation.sad, hashes: hashes)
            }
            try await expectCounted(h, purpose: "sign", reason: "sad-other-key", key: second.id)

            // Another owner with this SAD: not their key, or their key but not their SAD.
            await expectRefusal(.notFound) {
                try await h.core.sign(keyID: first.id, owner: stranger, sad: activation.sad, hashes: hashes)
            }
            try await expectCounted(h, purpose: "sign", reason: "other-owner", key: first.id)
            await expectRefusal(.invalidSAD) {
                try await h.core.sign(keyID: theirs.id, owner: stranger, sad: activation.sad, hashes: hashes)
            }
            try await expectCounted(h, purpose: "sign", reason: "sad-other-key", key: theirs.id)

            await expectRefusal(.invalidSAD) {
                try await h.core.sign(keyID: first.id, owner: owner, sad: activation.sad, hashes: randomHashes(1))
            }
            try await expectCounted(h, purpose: "sign", reason: "hash-not-authorized", key: first.id)
            await expectRefusal(.invalidSAD) {
                try await h.core.sign(
                    keyID: first.id, owner: owner, sad: activation.sad, hashes: hashes + randomHashes(1))
            }
            try await expectCounted(h, purpose: "sign", reason: "hash-not-authorized", key: first.id)

            // None of that spent the hash.
            let signature = try await h.core.sign(keyID: first.id, owner: owner, sad: activation.sad, hashes: hashes)
            #expect(Ed25519.verify(signature: signature[0], message: hashes[0], publicKey: first.publicKey))
        }
    }

    @Test func malformedRequestsAreRefusedBeforeAnythingHappens() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let size = try h.size
            await expectRefusal(.invalidRequest) {
                try await h.core.sign(keyID: "not-a-key", owner: owner, sad: nil, hashes: randomHashes(1))
            }
            await expectRefusal(.invalidRequest) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: nil, hashes: [[1, 2, 3]])
            }
            await expectRefusal(.invalidRequest) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: nil, hashes: [])
            }
            let hash = randomHashes(1)[0]
            await expectRefusal(.invalidRequest) {
                try await h.core.authorize(
                    keyID: key.id, owner: owner, hashes: [hash, hash],
                    factors: h.factors(owner: owner, password: password, for: .authorize(keyID: key.id, hashes: [hash, hash])))
            }
            await expectRefusal(.invalidRequest) {
                try await h.core.sign(keyID: key.id, owner: "", sad: nil, hashes: [hash])
            }
            await expectRefusal(.invalidRequest) { try h.core.challenge(owner: "bad\nowner") }
            #expect(try h.size == size)
        }
    }

    // MARK: factors

    @Test func wrongPasswordIsCountedAndASuccessResetsTheCount() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let error = await expectRefusal(.invalidPassword) {
                try await h.authorize(key, password: "not the password", hashes: randomHashes(1))
            }
            #expect(error.map { !$0.message.contains("not the password") } == true)
            try expectJournaled(h, .authFail, owner: owner, reason: "password", key: key.id)
            #expect(try h.lastEntry().record[field: "failures"] == 1)
            #expect(try h.core.key(key.id).failedAttempts == 1)
            _ = try await h.authorize(key, password: password, hashes: randomHashes(1))
            #expect(try h.lastEntry().event == .authOK)
            #expect(try h.lastEntry().record[field: "factors"] == "password+biometric")
            #expect(try h.core.key(key.id).failedAttempts == 0)
        }
    }

    @Test func fiveFailedPasswordsLockTheKeyForGood() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let earlier = randomHashes(1)
            let activation = try await h.authorize(key, password: password, hashes: earlier)
            for attempt in 1...4 {
                await expectRefusal(.invalidPassword) {
                    try await h.authorize(key, password: "guess \(attempt)", hashes: randomHashes(1))
                }
            }
            await expectRefusal(.locked) { try await h.authorize(key, password: "guess 5", hashes: randomHashes(1)) }
            let tail = try h.entries().suffix(2)
            #expect(tail.first?.event == .authFail && tail.first?.record[field: "failures"] == 5)
            #expect(tail.last?.event == .keyLock && tail.last?.record[field: "key"] == .string(key.id))
            #expect(try h.core.key(key.id).state == .locked)

            // The right password no longer helps, and a SAD issued before the lock is void.
            await expectRefusal(.locked) { try await h.authorize(key, password: password, hashes: randomHashes(1)) }
            try expectJournaled(h, .authFail, owner: owner, reason: "key-locked", key: key.id)
            await expectRefusal(.locked) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: earlier)
            }
            try await expectCounted(h, purpose: "sign", reason: "key-locked", key: key.id)
            await expectRefusal(.locked) {
                try await h.core.destroyKey(
                    keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .destroy(keyID: key.id)))
            }
        }
    }

    enum BiometricFault: String, CaseIterable {
        case otherServiceKey, otherOwner, otherChallenge, stale, ahead, noMatch, lowScore, tampered
    }

    @Test(arguments: BiometricFault.allCases)
    func badBiometricAssertionsAreRefusedAndNotCounted(fault: BiometricFault) async throws {
        try await Harness.with(configure: { $0.minimumBiometricScore = 800 }) { h in
            let key = try await h.createKey(owner: owner, password: password)
            let hashes = randomHashes(1)
            var factors = try h.factors(owner: owner, password: password, for: .authorize(keyID: key.id, hashes: hashes))
            let now = h.clock.now()
            func assertion(
                owner: String? = nil, challenge: [UInt8]? = nil, time: Int64? = nil, score: Int64 = 900,
                result: String = "match", signer: Ed25519.PrivateKey? = nil
            ) throws -> BiometricAssertion {
                try SignCoreClient.biometricAssertion(
                    owner: owner ?? self.owner, challenge: challenge ?? factors.challenge, time: time ?? now,
                    score: score,
                    result: result, serviceKey: signer ?? h.biometricKey)
            }
            let expectedReason: String
            switch fault {
            case .otherServiceKey:
                factors.biometric = try assertion(signer: Ed25519.PrivateKey())
                expectedReason = "biometric-signature"
            case .otherOwner:
                factors.biometric = try assertion(owner: stranger)
                expectedReason = "biometric-owner"
            case .otherChallenge:
                factors.biometric = try assertion(challenge: Sodium.randomBytes(32))
                expectedReason = "biometric-challenge"
            case .stale:
                factors.biometric = try assertion(time: now - 120_001)
                expectedReason = "biometric-stale"
            case .ahead:
                factors.biometric = try assertion(time: now + 60_000)
                expectedReason = "biometric-stale"
            case .noMatch:
                factors.biometric = try assertion(result: "no-match")
                expectedReason = "biometric-no-match"
            case .lowScore:
                factors.biometric = try assertion(score: 799)
                expectedReason = "biometric-score"
            case .tampered:
                let good = try assertion()
                var payload = good.payload
                payload[payload.count - 3] ^= 1  // a digit of the time
                factors.biometric = BiometricAssertion(payload: payload, signature: good.signature)
                expectedReason = "biometric-signature"
            }
            await expectRefusal(.invalidBiometric) {
                try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: factors)
            }
            try await expectCounted(h, purpose: "sign", reason: expectedReason, key: key.id)
            #expect(try h.core.key(key.id).failedAttempts == 0)
        }
    }

    @Test func aGoodAssertionAtTheEdgesIsAccepted() async throws {
        try await Harness.with(configure: { $0.minimumBiometricScore = 800 }) { h in
            let key = try await h.createKey(owner: owner, password: password)
            let hashes = randomHashes(1)
            var factors = try h.factors(owner: owner, password: password, for: .authorize(keyID: key.id, hashes: hashes))
            factors.biometric = try SignCoreClient.biometricAssertion(
                owner: owner, challenge: factors.challenge, time: h.clock.now() - 120_000, score: 800,
                serviceKey: h.biometricKey)
            _ = try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: factors)
        }
    }

    @Test func challengesAreSingleUseShortLivedAndPerOwner() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let hashes = randomHashes(1)
            let operation = SignCore.Operation.authorize(keyID: key.id, hashes: hashes)

            // Reused: the second request with the same challenge (and assertion) is refused.
            let factors = try h.factors(owner: owner, password: password, for: operation)
            _ = try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: factors)
            await expectRefusal(.invalidChallenge) {
                try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: factors)
            }
            try await expectCounted(h, purpose: "sign", reason: "challenge", key: key.id)

            // Expired after 120 s (the assertion is re-made fresh, so only the challenge is old).
            var old = try h.factors(owner: owner, password: password, for: operation)
            h.clock.advance(120_001)
            old.biometric = try SignCoreClient.biometricAssertion(
                owner: owner, challenge: old.challenge, time: h.clock.now(), serviceKey: h.biometricKey)
            await expectRefusal(.invalidChallenge) {
                try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: old)
            }
            try await expectCounted(h, purpose: "sign", reason: "challenge", key: key.id)

            // Issued to another owner.
            var foreign = try h.factors(owner: owner, password: password, for: operation)
            let theirs = try h.core.challenge(owner: stranger).bytes
            foreign.challenge = theirs
            foreign.sealedPassword = try SignCoreClient.sealPassword(
                Array(password.utf8), challenge: theirs, for: operation,
                transportKey: h.core.transportKey().statement.publicKey)
            foreign.biometric = try SignCoreClient.biometricAssertion(
                owner: owner, challenge: theirs, time: h.clock.now(), serviceKey: h.biometricKey)
            await expectRefusal(.invalidChallenge) {
                try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: foreign)
            }

            // A password sealed with another challenge than the request's.
            var mixed = try h.factors(owner: owner, password: password, for: operation)
            let other = try h.core.challenge(owner: owner).bytes
            mixed.sealedPassword = try SignCoreClient.sealPassword(
                Array(password.utf8), challenge: other, for: operation,
                transportKey: h.core.transportKey().statement.publicKey)
            await expectRefusal(.invalidChallenge) {
                try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: mixed)
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "challenge", key: key.id)

            // Sealed to another transport key (e.g. the one before a restart).
            var stale = try h.factors(owner: owner, password: password, for: operation)
            stale.sealedPassword = try SignCoreClient.sealPassword(
                Array(password.utf8), challenge: stale.challenge, for: operation,
                transportKey: SealedBox.KeyPair().publicKey)
            await expectRefusal(.invalidRequest) {
                try await h.core.authorize(keyID: key.id, owner: owner, hashes: hashes, factors: stale)
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "password-box", key: key.id)
            #expect(try h.core.key(key.id).failedAttempts == 0)
        }
    }

    @Test func unknownAndForeignKeysAreNotFound() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let missing = String(repeating: "0", count: 32)
            let hashes = randomHashes(1)
            try await h.consent(owner: stranger)
            await expectRefusal(.notFound) {
                try await h.core.authorize(
                    keyID: missing, owner: owner, hashes: hashes,
                    factors: h.factors(owner: owner, password: password, for: .authorize(keyID: missing, hashes: hashes)))
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "unknown-key", key: missing)
            await expectRefusal(.notFound) {
                try await h.core.authorize(
                    keyID: key.id, owner: stranger, hashes: hashes,
                    factors: h.factors(owner: stranger, password: password, for: .authorize(keyID: key.id, hashes: hashes)))
            }
            try expectJournaled(h, .authFail, owner: stranger, reason: "other-owner", key: key.id)
            await expectRefusal(.notFound) { try h.core.key(missing) }
        }
    }

    // MARK: destroy and compromise

    @Test func destroyNeedsTheFactors() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            await expectRefusal(.invalidPassword) {
                try await h.core.destroyKey(
                    keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: "wrong password", for: .destroy(keyID: key.id)))
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "password", key: key.id)
            #expect(try h.lastEntry().record[field: "purpose"] == "destroy")
            var noBiometric = try h.factors(owner: owner, password: password, for: .destroy(keyID: key.id))
            noBiometric.biometric = BiometricAssertion(
                payload: noBiometric.biometric.payload, signature: Array(repeating: 0, count: 64))
            await expectRefusal(.invalidBiometric) {
                try await h.core.destroyKey(keyID: key.id, owner: owner, factors: noBiometric)
            }
            await expectRefusal(.notFound) {
                try await h.core.destroyKey(
                    keyID: key.id, owner: stranger, factors: h.factors(owner: stranger, password: password, for: .destroy(keyID: key.id)))
            }
            #expect(try h.core.key(key.id).state == .active)
            #expect(try h.entries().allSatisfy { $0.event != .keyDestroy })
            try await h.core.destroyKey(
                keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .destroy(keyID: key.id)))
            #expect(try h.core.key(key.id).state == .destroyed)
        }
    }

    @Test func compromiseBlocksAtOnceAndPublishesANotice() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let hashes = randomHashes(1)
            let activation = try await h.authorize(key, password: password, hashes: hashes)
            let notice = try await h.core.markCompromised(
                keyID: key.id, operator: "operator-1", measures: "key blocked; certificate revoked")

            let entry = try h.lastEntry()
            #expect(entry.event == .keyCompromise && entry.owner == owner)
            #expect(
                entry.record[field: "key"] == .string(key.id)
                    && entry.record[field: "fingerprint"] == .string(key.fingerprint))
            #expect(entry.record[field: "operator"] == "operator-1")

            // The notice: named by padded time and fingerprint, canonical JSON, no owner in it.
            let now = String(h.clock.now())
            #expect(
                notice.recordName == "compromise/" + String(repeating: "0", count: 15 - now.count) + now + "-"
                    + key.fingerprint)
            let stored = try #require(try h.journal.record(notice.recordName))
            #expect(stored == notice.canonicalBytes && JSONValue.isCanonical(stored))
            #expect(try h.journal.records(prefix: "compromise/").map(\.name) == [notice.recordName])
            guard case .object(let members) = try JSONValue(parsing: stored) else {
                Issue.record("the notice is not an object")
                return
            }
            #expect(
                members == [
                    "keyFingerprint": .string(key.fingerprint), "measures": .string("key blocked; certificate revoked"),
                    "time": .string(try Timestamp(millisecondsSinceEpoch: h.clock.now()).rfc3339Milliseconds),
                ])
            #expect(!String(decoding: stored, as: UTF8.self).contains(owner))

            // Blocked: the open SAD, a new authorization, a second notice.
            await expectRefusal(.forbidden) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: hashes)
            }
            try await expectCounted(h, purpose: "sign", reason: "key-compromised", key: key.id)
            await expectRefusal(.forbidden) { try await h.authorize(key, password: password, hashes: randomHashes(1)) }
            try expectJournaled(h, .authFail, owner: owner, reason: "key-compromised", key: key.id)
            await expectRefusal(.invalidRequest) {
                try await h.core.markCompromised(keyID: key.id, operator: "operator-1", measures: "again")
            }
            #expect(try h.core.key(key.id).state == .compromised)
        }
    }
}
