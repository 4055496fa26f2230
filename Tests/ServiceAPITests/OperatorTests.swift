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
import SwiftASN1
import TestSupport
import Testing
import X509

@Suite struct OperatorTests {
    static let owner = "900101300123"
    static let password = "correct horse battery staple 42"

    @Test func compromisePublishesNoticeAndBlocksTheKey() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            let hashes = randomHashes(1)
            let sad = try #require(
                try await f.authorize(key.id, owner: Self.owner, password: Self.password, hashes: hashes).string("SAD"))
            let measures = "HSM access revoked; certificate revocation requested"

            let noToken = try await f.post("/operator/v1/keys/\(key.id)/compromise", ["measures": measures])
            try f.expectRefusal(noToken, .unauthorized, "invalid_token")
            let wrong = try await f.post(
                "/operator/v1/keys/\(key.id)/compromise", ["measures": measures], bearer: Fixture.operatorToken + "x")
            try f.expectRefusal(wrong, .unauthorized, "invalid_token")
            #expect(try f.lastEntry().event != .keyCompromise)

            let reply = try await f.post(
                "/operator/v1/keys/\(key.id)/compromise", ["measures": measures], bearer: Fixture.operatorToken)
            #expect(reply.status == .ok, "\(reply.text)")
            let recordName = try #require(reply.string("recordName"))
            let fingerprint = hexString(SHA256.hash(data: key.publicKey))
            #expect(reply.string("keyFingerprint") == fingerprint)
            let notice = try #require(try f.ledger.record(recordName))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(notice)) as? [String: Any])
            #expect(object["measures"] as? String == measures)
            #expect(object["keyFingerprint"] as? String == fingerprint)
            let entry = try f.lastEntry()
            #expect(entry.event == .keyCompromise)
            #expect(entry.record[field: "operator"] == .string("ca-operator"))

            let sign = try await f.signHash(key.id, sad: sad, hashes: hashes)
            try f.expectRefusal(sign, .forbidden, "access_denied")
            try await f.expectCounted(purpose: "sign", reason: "key-compromised", key: key.id)
            let later = try await f.authorize(key.id, owner: Self.owner, password: Self.password, hashes: randomHashes(1))
            try f.expectRefusal(later, .forbidden, "access_denied", journal: .authFail, owner: Self.owner, reason: "key-compromised")

            let unknown = try await f.post(
                "/operator/v1/keys/\(String(repeating: "0", count: 32))/compromise", ["measures": measures],
                bearer: Fixture.operatorToken)
            try f.expectRefusal(unknown, .notFound, "invalid_request")

            let status = try await f.send(.get, "/operator/v1/status", bearer: Fixture.operatorToken)
            #expect(status.status == .ok)
            #expect(status.json["treeSize"] as? Int == Int(f.ledger.head.treeSize))
            #expect(status.json["sequencing"] as? Bool == true)
        }
    }

    @Test func attachesCertificate() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            let issuer = Certificate.PrivateKey(Curve25519.Signing.PrivateKey())
            let name = try DistinguishedName { CommonName("Tamga test CA") }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(Curve25519.Signing.PublicKey(rawRepresentation: key.publicKey)),
                notValidBefore: Date(timeIntervalSince1970: 1_795_000_000),
                notValidAfter: Date(timeIntervalSince1970: 1_826_690_400), issuer: name,
                subject: try DistinguishedName { CommonName("IIN\(Self.owner)") }, signatureAlgorithm: .ed25519,
                extensions: Certificate.Extensions(), issuerPrivateKey: issuer)
            let pem = Array(try certificate.serializeAsPEM().pemString.utf8)
            let reply = try await f.send(
                .post, "/operator/v1/keys/\(key.id)/certificate", raw: pem, bearer: Fixture.operatorToken,
                contentType: "application/x-pem-file")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.string("certificateNotAfter") == "2027-11-20T06:00:00.000Z")
            #expect(try f.lastEntry().event == .certAttach)

            // The certificate carries the owner's IIN: only the owner's session gets it.
            let anonymous = try await f.post("/csc/v2/credentials/info", ["credentialID": key.id])
            #expect(anonymous.status == .ok && anonymous.json["cert"] == nil, "\(anonymous.text)")
            let stranger = try await f.createKey(owner: "850505400456", password: Self.password)
            let strangers = try await f.post(
                "/owner/v1/cabinet/session",
                [
                    "keyID": stranger.id,
                    "factors": try await f.factors(
                        owner: "850505400456", password: Self.password, for: .openCabinet(keyID: stranger.id)),
                ])
            let theirToken: String = try #require(strangers.string("token"))
            let theirs = try await f.post("/csc/v2/credentials/info", ["credentialID": key.id], bearer: theirToken)
            #expect(theirs.status == .ok && theirs.json["cert"] == nil)
            let session = try await f.post(
                "/owner/v1/cabinet/session",
                [
                    "keyID": key.id,
                    "factors": try await f.factors(owner: Self.owner, password: Self.password, for: .openCabinet(keyID: key.id)),
                ])
            let token: String = try #require(session.string("token"))
            let info = try await f.post("/csc/v2/credentials/info", ["credentialID": key.id], bearer: token)
            let cert = try #require(info.json["cert"] as? [String: Any])
            #expect(cert["status"] as? String == "valid")
            let der = try decode64((cert["certificates"] as? [String])?.first)
            #expect(try Certificate(derEncoded: Array(der)) == certificate)

            let junk = try await f.send(
                .post, "/operator/v1/keys/\(key.id)/certificate", raw: Array("not a certificate".utf8),
                bearer: Fixture.operatorToken, contentType: "application/pkix-cert")
            try f.expectRefusal(junk, .badRequest, "invalid_request")
        }
    }

    @Test func operatorRoutesDisabledWithoutToken() async throws {
        try await Fixture.run(configure: { $0.operatorTokenSHA256 = nil }) { f in
            let reply = try await f.send(.get, "/operator/v1/status", bearer: Fixture.operatorToken)
            try f.expectRefusal(reply, .notFound, "not_found")
            #expect(reply.string("error_description")?.contains("disabled") == true)
        }
    }

    @Test func devBiometricOnlyWhenConfigured() async throws {
        try await Fixture.run { f in
            try f.expectRefusal(try await f.post("/dev/v1/biometric", [:]), .notFound, "not_found")
        }
        let devKey = try Ed25519.PrivateKey()
        try await Fixture.run(configure: { $0.devBiometricKey = devKey }) { f in
            let challenge = Data(Sodium.randomBytes(32)).base64EncodedString()
            let reply = try await f.post("/dev/v1/biometric", ["owner": Self.owner, "challenge": challenge])
            #expect(reply.status == .ok, "\(reply.text)")
            let payload = try decode64(reply.string("payload"))
            let signature = try decode64(reply.string("signature"))
            #expect(Ed25519.verify(signature: Array(signature), message: Array(payload), publicKey: devKey.publicKey))
            #expect(String(decoding: payload, as: UTF8.self).contains(challenge))
        }
    }
}
