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

@Suite struct FlowTests {
    static let owner = "900101300123"
    static let password = "correct horse battery staple 42"

    /// consent → create → authorize → signHash → signDoc → cabinet → receipt → destroy → refused.
    @Test func wholeOwnerFlow() async throws {
        try await Fixture.run { f in
            let owner = Self.owner
            let key = try await f.createKey(owner: owner, password: Self.password)

            // CSC discovery.
            let info = try await f.post("/csc/v2/info", [:])
            #expect(info.string("specs") == "2.0.0.2")
            // Listing an owner's keys needs that owner's session: which keys exist is personal data.
            let anonymous = try await f.post("/csc/v2/credentials/list", ["userID": owner])
            try f.expectRefusal(anonymous, .unauthorized, "invalid_token")
            let listSession = try #require(try await f.openSession(key.id, owner: owner, password: Self.password).string("token"))
            let list = try await f.post("/csc/v2/credentials/list", ["credInfo": true], bearer: listSession)
            #expect(list.json["credentialIDs"] as? [String] == [key.id])
            #expect((list.json["credentialInfos"] as? [[String: Any]])?.first?["credentialID"] as? String == key.id)
            let otherUser = try await f.post("/csc/v2/credentials/list", ["userID": "someone-else"], bearer: listSession)
            try f.expectRefusal(otherUser, .badRequest, "invalid_request")
            let credential = try await f.post("/csc/v2/credentials/info", ["credentialID": key.id])
            #expect((credential.json["key"] as? [String: Any])?["status"] as? String == "enabled")
            #expect(!credential.text.contains(owner), "credentials/info must not name the owner")

            // Two hashes, one SAD, signed one at a time.
            let hashes = randomHashes(2)
            let authorized = try await f.authorize(key.id, owner: owner, password: Self.password, hashes: hashes)
            #expect(authorized.status == .ok, "\(authorized.text)")
            let sad = try #require(authorized.string("SAD"))
            #expect((authorized.json["expiresIn"] as? Int ?? 0) > 0)
            var signedHashes: [[UInt8]] = []
            for hash in hashes {
                let signed = try await f.signHash(key.id, sad: sad, hashes: [hash])
                #expect(signed.status == .ok, "\(signed.text)")
                let signatures = try #require(signed.json["signatures"] as? [String])
                let signature = try decode64(signatures.first)
                #expect(Ed25519.verify(signature: Array(signature), message: hash, publicKey: key.publicKey))
                #expect(!Ed25519.verify(signature: Array(signature), message: randomHashes(1)[0], publicKey: key.publicKey))
                signedHashes.append(hash)
            }

            // signDoc: the SAD lists SHA-256 of the document.
            let document = Array("a contract, page 1 of 1".utf8)
            let digest = Array(SHA256.hash(data: document))
            let docSAD = try #require(
                try await f.authorize(key.id, owner: owner, password: Self.password, hashes: [digest]).string("SAD"))
            let signedDoc = try await f.post(
                "/csc/v2/signatures/signDoc",
                [
                    "credentialID": key.id, "SAD": docSAD,
                    "documents": [["document": Data(document).base64EncodedString(), "signAlgo": Fixture.ed25519OID]],
                ])
            #expect(signedDoc.status == .ok, "\(signedDoc.text)")
            let objects = try #require(signedDoc.json["SignatureObject"] as? [String])
            let docSignature = try decode64(objects.first)
            #expect(Ed25519.verify(signature: Array(docSignature), message: digest, publicKey: key.publicKey))
            signedHashes.append(digest)

            // The cabinet: a session from the factors, then everything signed, newest first.
            let session = try await f.openSession(key.id, owner: owner, password: Self.password)
            #expect(session.status == .created, "\(session.text)")
            let token = try #require(session.string("token"))
            #expect(try f.lastEntry().event == .cabinetOpen)
            let keys = try await f.send(.get, "/owner/v1/cabinet/keys", bearer: token)
            #expect((keys.json["keys"] as? [[String: Any]])?.first?["keyID"] as? String == key.id)

            let all = try await f.send(.get, "/owner/v1/cabinet/signatures", bearer: token)
            #expect(all.status == .ok)
            let rows = try #require(all.json["signatures"] as? [[String: Any]])
            #expect(rows.compactMap { $0["documentHash"] as? String } == signedHashes.reversed().map(hexString))
            let seqs = rows.compactMap { $0["seq"] as? Int }
            #expect(seqs == seqs.sorted(by: >) && seqs.count == 3)
            #expect(all.json["next"] is NSNull)

            // Paging: one per page, following `next` to the end.
            var path: String? = "/owner/v1/cabinet/signatures?limit=1"
            var paged: [String] = []
            while let next = path, paged.count < 10 {
                let page = try await f.send(.get, next, bearer: token)
                #expect(page.status == .ok, "\(page.text)")
                let pageRows = try #require(page.json["signatures"] as? [[String: Any]])
                #expect(pageRows.count <= 1)
                paged += pageRows.compactMap { $0["documentHash"] as? String }
                path = page.json["next"] as? String
            }
            #expect(paged == signedHashes.reversed().map(hexString))

            // The receipt of the newest key.use: a tlog-proof of exactly that entry.
            let receiptPath = try #require(rows.first?["receipt"] as? String)
            let receiptReply = try await f.send(.get, receiptPath, bearer: token)
            #expect(receiptReply.status == .ok)
            let receipt = try Receipt(parsing: receiptReply.body)
            let entry = try Entry(parsing: receipt.entry)
            #expect(entry.event == .keyUse)
            #expect(receipt.index == UInt64(seqs[0]))
            #expect(entry.record[field: "doc"] == .string(hexString(digest)))
            #expect(receiptReply.text == (try f.ledger.receipt(seq: UInt64(seqs[0])).formatted))

            // Destroy, then every use is refused.
            let destroyed = try await f.post(
                "/owner/v1/keys/\(key.id)/destroy",
                ["factors": try await f.factors(owner: owner, password: Self.password, for: .destroy(keyID: key.id))])
            #expect(destroyed.status == .ok, "\(destroyed.text)")
            #expect(destroyed.string("state") == "destroyed")
            #expect(try f.lastEntry().event == .keyDestroy)
            let afterDestroy = try await f.authorize(key.id, owner: owner, password: Self.password, hashes: randomHashes(1))
            try f.expectRefusal(
                afterDestroy, .badRequest, "invalid_request", journal: .authFail, owner: owner, reason: "key-destroyed")
            let signAfter = try await f.signHash(key.id, sad: sad, hashes: randomHashes(1))
            try f.expectRefusal(signAfter, .badRequest, "invalid_request")
            try await f.expectCounted(purpose: "sign", reason: "key-destroyed", key: key.id)
        }
    }

    @Test func totpEnrolmentThenOTPRequired() async throws {
        try await Fixture.run { f in
            let owner = Self.owner
            let key = try await f.createKey(owner: owner, password: Self.password)
            let enrolled = try await f.post(
                "/owner/v1/keys/\(key.id)/totp",
                ["factors": try await f.factors(owner: owner, password: Self.password, for: .enrolTOTP(keyID: key.id))])
            #expect(enrolled.status == .ok, "\(enrolled.text)")
            let uri = try #require(enrolled.string("otpauthURI"))
            #expect(uri.hasPrefix("otpauth://totp/"))
            let credential = try await f.post("/csc/v2/credentials/info", ["credentialID": key.id])
            let objects = (credential.json["auth"] as? [String: Any])?["objects"] as? [[String: Any]]
            #expect(objects?.contains { $0["type"] as? String == "OTP" } == true)

            let without = try await f.authorize(key.id, owner: owner, password: Self.password, hashes: randomHashes(1))
            try f.expectRefusal(without, .badRequest, "invalid_otp", journal: .authFail, owner: owner, reason: "totp-missing")

            f.clock.advance(30_000)
            let right = try SignCoreClient.totpCode(otpauthURI: uri, time: f.clock.now())
            let wrongCode = String(format: "%06d", ((Int(right) ?? 0) + 1) % 1_000_000)
            let wrong = try await f.authorize(
                key.id, owner: owner, password: Self.password, hashes: randomHashes(1), otp: wrongCode)
            try f.expectRefusal(wrong, .badRequest, "invalid_otp", journal: .authFail, owner: owner, reason: "totp")

            let code = try SignCoreClient.totpCode(otpauthURI: uri, time: f.clock.now())
            let with = try await f.authorize(
                key.id, owner: owner, password: Self.password, hashes: randomHashes(1), otp: code)
            #expect(with.status == .ok, "\(with.text)")
            #expect(with.string("SAD") != nil)
            #expect(try f.lastEntry().record[field: "factors"] == .string("password+biometric+totp"))
        }
    }
}
