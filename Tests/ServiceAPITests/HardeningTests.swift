import Crypto
import Foundation
import Hummingbird
import Ledger
import LedgerFormats
import NIOCore
import PublicLog
import ServiceAPI
import SignCore
import TestSupport
import Testing

/// Issue 15, point 8, over HTTP: the smaller holes.
@Suite struct HardeningTests {
    static let owner = "900101300123"
    static let password = "correct horse battery staple 42"

    /// The biometric service's score counts: below the minimum (700 by default) the factor is refused.
    @Test func aLowBiometricScoreIsRefusedByDefault() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            func authorize(score: Int64) async throws -> Reply {
                let hash = randomHashes(1)[0]
                var factors = try await f.factors(
                    owner: Self.owner, password: Self.password, for: .authorize(keyID: key.id, hashes: [hash]))
                let challenge = try decode64(factors["challenge"] as? String)
                let assertion = try SignCoreClient.biometricAssertion(
                    owner: Self.owner, challenge: Array(challenge), time: f.clock.now(), score: score,
                    serviceKey: f.biometricKey)
                factors["biometric"] = [
                    "payload": Data(assertion.payload).base64EncodedString(),
                    "signature": Data(assertion.signature).base64EncodedString(),
                ]
                return try await f.post(
                    "/csc/v2/credentials/authorize",
                    [
                        "credentialID": key.id, "numSignatures": 1, "hashes": [Data(hash).base64EncodedString()],
                        "hashAlgorithmOID": Fixture.sha256OID, "authData": Fixture.authData(factors),
                    ])
            }
            try f.expectRefusal(try await authorize(score: 0), .badRequest, "invalid_biometric")
            try f.expectRefusal(try await authorize(score: 699), .badRequest, "invalid_biometric")
            try await f.expectCounted(purpose: "sign", reason: "biometric-score", key: key.id, count: 2)
            #expect(try await authorize(score: 700).status == .ok)
        }
    }

    /// Wrong operator tokens are counted as the node's, and after five a network waits, even
    /// with the right token: the token cannot be guessed online.
    @Test func operatorTokenGuessesAreLimitedAndCounted() async throws {
        try await Fixture.run { f in
            for attempt in 0..<5 {
                let wrong = try await f.send(.get, "/operator/v1/status", bearer: "guess-\(attempt)")
                try f.expectRefusal(wrong, .unauthorized, "invalid_token")
            }
            let right = try await f.send(.get, "/operator/v1/status", bearer: Fixture.operatorToken)
            try f.expectRefusal(right, .tooManyRequests, "too_many_requests")
            #expect(right.headers[.retryAfter] != nil)
            try await f.expectCounted(purpose: "operator", reason: "operator-token", key: nil, count: 5)
            f.clock.advance(60_000)
            #expect(try await f.send(.get, "/operator/v1/status", bearer: Fixture.operatorToken).status == .ok)
        }
    }

    /// A right TOTP code sent twice is refused the second time, but a replay does not count
    /// towards the lock (five would have locked the key before).
    @Test func aReusedTOTPCodeDoesNotCountTowardsTheLock() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            let enrolled = try await f.post(
                "/owner/v1/keys/\(key.id)/totp",
                ["factors": try await f.factors(owner: Self.owner, password: Self.password, for: .enrolTOTP(keyID: key.id))])
            let uri = try #require(enrolled.string("otpauthURI"))
            // Written from locked memory as it is, not through a JSON encoder: still exactly this JSON.
            #expect(enrolled.text == "{\"otpauthURI\":\"\(uri)\"}")
            #expect(enrolled.headers[.contentType] == "application/json")
            f.clock.advance(30_000)
            let code = try SignCoreClient.totpCode(otpauthURI: uri, time: f.clock.now())
            #expect(try await f.authorize(key.id, owner: Self.owner, password: Self.password, hashes: randomHashes(1), otp: code).status == .ok)
            for _ in 0..<6 {
                let replay = try await f.authorize(key.id, owner: Self.owner, password: Self.password, hashes: randomHashes(1), otp: code)
                try f.expectRefusal(replay, .badRequest, "invalid_otp", journal: .authFail, owner: Self.owner, reason: "totp-reused")
            }
            #expect(try f.core.key(key.id).state == .active)
            #expect(try f.core.key(key.id).failedAttempts == 0)
            f.clock.advance(30_000)
            let next = try SignCoreClient.totpCode(otpauthURI: uri, time: f.clock.now())
            #expect(try await f.authorize(key.id, owner: Self.owner, password: Self.password, hashes: randomHashes(1), otp: next).status == .ok)
        }
    }

    /// When the journal fails, the client learns that the service is unavailable, not which
    /// file or store failed (that goes to the node's log).
    @Test func errorsNameNoServerPath() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            f.ledger.shutdown()
            let reply = try await f.authorize(key.id, owner: Self.owner, password: Self.password, hashes: randomHashes(1))
            try f.expectRefusal(reply, .serviceUnavailable, "temporarily_unavailable")
            let description = reply.string("error_description") ?? ""
            #expect(!description.contains("/") && !description.contains("store") && !description.contains(f.folder.path))
            #expect(f.logs.all.contains { $0.contains("temporarily_unavailable") && $0.contains("reason=") })
        }
    }

    /// The buffers a secret leaves in (libsodium's guarded heap) behave as NIO's own: they
    /// grow, copy on write and keep their bytes until freed.
    @Test func guardedBuffersWorkLikeOrdinaryOnes() {
        var buffer = ByteBufferAllocator.guarded.buffer(capacity: 16)
        buffer.writeString("otpauth://totp/")
        let copy = buffer
        buffer.writeBytes(Array(repeating: UInt8(ascii: "A"), count: 100_000))  // grows: reallocate
        #expect(buffer.readableBytes == 100_015 && buffer.getString(at: 0, length: 15) == "otpauth://totp/")
        #expect(buffer.getBytes(at: 100_014, length: 1) == [UInt8(ascii: "A")])
        #expect(copy.readableBytes == 15 && copy.getString(at: 0, length: 15) == "otpauth://totp/")
    }
}
