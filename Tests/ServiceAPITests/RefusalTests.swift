import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import ServiceAPI
import SignCore
import Sodium
import TestSupport
import Testing

/// Every refusal: the CSC error and status, and the journal entry SignCore writes for it.
@Suite struct RefusalTests {
    static let owner = "900101300123"
    static let stranger = "850505400456"
    static let password = "correct horse battery staple 42"

    func authorizeBody(_ keyID: String, _ factors: [String: Any], hashes: [[UInt8]]) -> [String: Any] {
        [
            "credentialID": keyID, "numSignatures": hashes.count, "hashes": hashes.map { Data($0).base64EncodedString() },
            "hashAlgorithmOID": Fixture.sha256OID, "authData": Fixture.authData(factors),
        ]
    }

    @Test func factorRefusals() async throws {
        try await Fixture.run { f in
            let owner = Self.owner
            let key = try await f.createKey(owner: owner, password: Self.password)

            let wrongPassword = try await f.authorize(key.id, owner: owner, password: "not the password", hashes: randomHashes(1))
            try f.expectRefusal(wrongPassword, .badRequest, "invalid_password", journal: .authFail, owner: owner, reason: "password")

            let hashes = randomHashes(1)
            let operation = SignCore.Operation.authorize(keyID: key.id, hashes: hashes)
            var factors = try await f.factors(owner: owner, password: Self.password, for: operation)
            let challenge = Array(try #require(Data(base64Encoded: factors["challenge"] as? String ?? "")))
            let forged = try SignCoreClient.biometricAssertion(
                owner: owner, challenge: challenge, time: f.clock.now(), serviceKey: try Ed25519.PrivateKey())
            factors["biometric"] = [
                "payload": Data(forged.payload).base64EncodedString(),
                "signature": Data(forged.signature).base64EncodedString(),
            ]
            let wrongBiometric = try await f.post(
                "/csc/v2/credentials/authorize", authorizeBody(key.id, factors, hashes: hashes))
            try f.expectRefusal(wrongBiometric, .badRequest, "invalid_biometric")
            try await f.expectCounted(purpose: "sign", reason: "biometric-signature", key: key.id)

            let stale = try await f.factors(owner: owner, password: Self.password, for: operation)
            f.clock.advance(121_000)
            let staleReply = try await f.post(
                "/csc/v2/credentials/authorize", authorizeBody(key.id, stale, hashes: hashes))
            try f.expectRefusal(staleReply, .badRequest, "invalid_request")
            try await f.expectCounted(purpose: "sign", reason: "challenge", key: key.id)

            let once = try await f.factors(owner: owner, password: Self.password, for: operation)
            let first = try await f.post("/csc/v2/credentials/authorize", authorizeBody(key.id, once, hashes: hashes))
            #expect(first.status == .ok, "\(first.text)")
            let replayed = try await f.post(
                "/csc/v2/credentials/authorize", authorizeBody(key.id, once, hashes: hashes))
            try f.expectRefusal(replayed, .badRequest, "invalid_request")
            try await f.expectCounted(purpose: "sign", reason: "challenge", key: key.id)
            #expect(replayed.string("error_description")?.hasPrefix("Invalid challenge") == true)

            // A stranger's biometric for the owner's key: the factors are not the key owner's.
            let strangers = try await f.factors(owner: Self.stranger, password: Self.password, for: operation)
            let strangerReply = try await f.post(
                "/csc/v2/credentials/authorize", authorizeBody(key.id, strangers, hashes: hashes))
            try f.expectRefusal(strangerReply, .badRequest, "invalid_request")
            try await f.expectCounted(purpose: "sign", reason: "challenge", key: key.id)
        }
    }

    @Test func consentIsRequired() async throws {
        try await Fixture.run { f in
            let reply = try await f.post(
                "/owner/v1/keys",
                ["owner": Self.owner, "factors": try await f.factors(owner: Self.owner, password: Self.password, for: .createKey)])
            try f.expectRefusal(reply, .forbidden, "consent_required", journal: .authFail, owner: Self.owner, reason: "no-consent")
        }
    }

    @Test func sadRefusals() async throws {
        try await Fixture.run { f in
            let owner = Self.owner
            let key = try await f.createKey(owner: owner, password: Self.password)
            let bogus = try await f.signHash(key.id, sad: String(repeating: "A", count: 43), hashes: randomHashes(1))
            try f.expectRefusal(bogus, .badRequest, "invalid_request")
            try await f.expectCounted(purpose: "sign", reason: "sad-unknown", key: key.id)
            #expect(bogus.string("error_description")?.hasPrefix("Invalid SAD") == true)

            let hashes = randomHashes(1)
            let sad = try #require(
                try await f.authorize(key.id, owner: owner, password: Self.password, hashes: hashes).string("SAD"))
            let otherHash = try await f.signHash(key.id, sad: sad, hashes: randomHashes(1))
            try f.expectRefusal(otherHash, .badRequest, "invalid_request")
            try await f.expectCounted(purpose: "sign", reason: "hash-not-authorized", key: key.id)
            #expect(try await f.signHash(key.id, sad: sad, hashes: hashes).status == .ok)
            let again = try await f.signHash(key.id, sad: sad, hashes: hashes)
            try f.expectRefusal(again, .badRequest, "invalid_request")
            try await f.expectCounted(purpose: "sign", reason: "sad-replayed", key: key.id)

            let unknown = try await f.signHash(String(repeating: "0", count: 32), sad: sad, hashes: hashes)
            try f.expectRefusal(unknown, .badRequest, "invalid_request")
            #expect(unknown.string("error_description")?.hasPrefix("Invalid parameter credentialID") == true)
        }
    }

    @Test func fiveWrongPasswordsLock() async throws {
        try await Fixture.run { f in
            let owner = Self.owner
            let key = try await f.createKey(owner: owner, password: Self.password)
            for attempt in 1...4 {
                let reply = try await f.authorize(key.id, owner: owner, password: "wrong \(attempt)", hashes: randomHashes(1))
                try f.expectRefusal(reply, .badRequest, "invalid_password", journal: .authFail, owner: owner, reason: "password")
            }
            let fifth = try await f.authorize(key.id, owner: owner, password: "wrong 5", hashes: randomHashes(1))
            try f.expectRefusal(fifth, .forbidden, "access_denied", journal: .keyLock, owner: owner)
            let right = try await f.authorize(key.id, owner: owner, password: Self.password, hashes: randomHashes(1))
            try f.expectRefusal(right, .forbidden, "access_denied", journal: .authFail, owner: owner, reason: "key-locked")
            let info = try await f.post("/csc/v2/credentials/info", ["credentialID": key.id])
            #expect((info.json["key"] as? [String: Any])?["status"] as? String == "disabled")
        }
    }

    @Test func sessionsAndReceipts() async throws {
        try await Fixture.run { f in
            let owner = Self.owner
            let key = try await f.createKey(owner: owner, password: Self.password)
            let strangerKey = try await f.createKey(owner: Self.stranger, password: Self.password)
            let ownersSeq = try #require(try f.entries().last { $0.owner == owner }?.seq)

            let missing = try await f.send(.get, "/owner/v1/cabinet/signatures")
            try f.expectRefusal(missing, .unauthorized, "invalid_token")
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            let made = try await f.send(.get, "/owner/v1/cabinet/keys", bearer: "made-up")
            try f.expectRefusal(made, .unauthorized, "invalid_token")

            let wrongSession = try await f.openSession(key.id, owner: owner, password: "not the password")
            try f.expectRefusal(wrongSession, .badRequest, "invalid_password", journal: .authFail, owner: owner, reason: "password")

            let session = try await f.openSession(strangerKey.id, owner: Self.stranger, password: Self.password)
            let token = try #require(session.string("token"))
            let others = try await f.send(.get, "/owner/v1/receipts/\(ownersSeq)", bearer: token)
            try f.expectRefusal(others, .notFound, "invalid_request")
            let own = try #require(try f.entries().last { $0.owner == Self.stranger }?.seq)
            #expect(try await f.send(.get, "/owner/v1/receipts/\(own)", bearer: token).status == .ok)
            let beyond = try await f.send(.get, "/owner/v1/receipts/999999", bearer: token)
            try f.expectRefusal(beyond, .notFound, "invalid_request")
            let badLimit = try await f.send(.get, "/owner/v1/cabinet/signatures?limit=0", bearer: token)
            try f.expectRefusal(badLimit, .badRequest, "invalid_request")

            f.clock.advance(600_001)
            let expired = try await f.send(.get, "/owner/v1/receipts/\(own)", bearer: token)
            try f.expectRefusal(expired, .unauthorized, "invalid_token")
        }
    }

    @Test func malformedRequests() async throws {
        try await Fixture.run { f in
            let owner = Self.owner
            let key = try await f.createKey(owner: owner, password: Self.password)
            let size = f.ledger.head.treeSize

            let garbage = try await f.send(.post, "/csc/v2/credentials/authorize", raw: Array("{not json".utf8))
            try f.expectRefusal(garbage, .badRequest, "invalid_request")
            let missing = try await f.post("/csc/v2/credentials/authorize", ["credentialID": key.id])
            try f.expectRefusal(missing, .badRequest, "invalid_request")
            #expect(missing.string("error_description")?.contains("numSignatures") == true)
            let wrongType = try await f.post("/csc/v2/credentials/info", ["credentialID": 7])
            try f.expectRefusal(wrongType, .badRequest, "invalid_request")
            #expect(wrongType.string("error_description")?.contains("credentialID") == true)

            let sha1 = try await f.authorize(
                key.id, owner: owner, password: Self.password, hashes: randomHashes(1), hashAlgorithmOID: "1.3.14.3.2.26")
            try f.expectRefusal(sha1, .badRequest, "invalid_request")
            #expect(sha1.string("error_description")?.contains("hashAlgorithmOID") == true)
            let count = try await f.authorize(
                key.id, owner: owner, password: Self.password, hashes: randomHashes(2), numSignatures: 1)
            try f.expectRefusal(count, .badRequest, "invalid_request")
            #expect(count.string("error_description")?.contains("numSignatures") == true)
            let shortHash = try await f.signHash(key.id, sad: "x", hashes: [[1, 2, 3]])
            try f.expectRefusal(shortHash, .badRequest, "invalid_request")
            #expect(shortHash.string("error_description")?.contains("hashes[0]") == true)
            // Refused before SignCore: nothing journaled.
            #expect(f.ledger.head.treeSize == size)

            try f.expectRefusal(try await f.send(.get, "/csc/v2/nothing"), .notFound, "not_found")
            let wrongMethod = try await f.send(.get, "/csc/v2/info")
            try f.expectRefusal(wrongMethod, .methodNotAllowed, "invalid_request")
            #expect(wrongMethod.headers[.allow] == "POST")
            let huge = try await f.send(.post, "/owner/v1/consent", raw: [UInt8](repeating: 0x20, count: (1 << 20) + 10))
            #expect(huge.status == .contentTooLarge)
            #expect(huge.error == "invalid_request")
        }
    }
}
