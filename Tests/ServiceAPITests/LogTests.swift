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

@Suite struct LogTests {
    /// Runs every secret-bearing route, then looks for each secret, in every encoding it
    /// travelled in, in every log line.
    @Test func noSecretInAnyLogLine() async throws {
        try await Fixture.run { f in
            let owner = "900101300123"
            let password = "correct horse battery staple 42"
            let key = try await f.createKey(owner: owner, password: password)
            var secrets: [String] = [password, Fixture.operatorToken]

            let factors = try await f.factors(owner: owner, password: password, for: .enrolTOTP(keyID: key.id))
            secrets.append(factors["password"] as? String ?? "")
            let enrolled = try await f.post("/owner/v1/keys/\(key.id)/totp", ["factors": factors])
            let uri = try #require(enrolled.string("otpauthURI"))
            secrets.append(uri)
            let secret = try #require(URLComponents(string: uri)?.queryItems?.first { $0.name == "secret" }?.value)
            secrets.append(secret)

            f.clock.advance(30_000)
            let code = try SignCoreClient.totpCode(otpauthURI: uri, time: f.clock.now())
            let hashes = randomHashes(1)
            let authorized = try await f.authorize(key.id, owner: owner, password: password, hashes: hashes, otp: code)
            let sad = try #require(authorized.string("SAD"))
            secrets.append(sad)
            #expect(try await f.signHash(key.id, sad: sad, hashes: hashes).status == .ok)
            // A refused SAD and a wrong password are logged as refusals, without the values.
            _ = try await f.signHash(key.id, sad: sad, hashes: randomHashes(1))
            f.clock.advance(30_000)
            let wrongPassword = "wrong password 12345"
            secrets.append(wrongPassword)
            _ = try await f.authorize(
                key.id, owner: owner, password: wrongPassword, hashes: randomHashes(1),
                otp: try SignCoreClient.totpCode(otpauthURI: uri, time: f.clock.now()))

            f.clock.advance(30_000)
            let session = try await f.post(
                "/owner/v1/cabinet/session",
                [
                    "keyID": key.id,
                    "factors": try await f.factors(
                        owner: owner, password: password, for: .openCabinet(keyID: key.id),
                        otp: try SignCoreClient.totpCode(otpauthURI: uri, time: f.clock.now())),
                ])
            let token = try #require(session.string("token"))
            secrets.append(token)
            #expect(try await f.send(.get, "/owner/v1/cabinet/signatures", bearer: token).status == .ok)
            #expect(try await f.send(.get, "/operator/v1/status", bearer: Fixture.operatorToken).status == .ok)
            _ = try await f.send(.get, "/operator/v1/status", bearer: "wrong-operator-token-value")
            secrets.append("wrong-operator-token-value")

            let lines = f.logs.all
            #expect(lines.count >= 10)
            #expect(lines.contains { $0.contains("path=/csc/v2/signatures/signHash") && $0.contains("key=\(key.id)") })
            #expect(lines.contains { $0.contains("status=400") && $0.contains("error=invalid_password") })
            for secret in secrets where !secret.isEmpty {
                let forms = [secret, Data(secret.utf8).base64EncodedString()]
                for form in forms {
                    #expect(!lines.contains { $0.contains(form) }, "a secret appears in the log")
                }
            }
        }
    }
}
