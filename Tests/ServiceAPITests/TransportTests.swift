import Foundation
import Hummingbird
import Ledger
import LedgerFormats
import SignCore
import TestSupport
import Testing

/// Issue 15, point 6: the transport key is served with a statement signed by the log key, and
/// factors captured on their way to one operation are refused for any other.
@Suite struct TransportTests {
    static let owner = "900101300123"
    static let password = "correct horse battery staple 42"

    @Test func theTransportKeyComesWithAStatementTheGenesisKeyVerifies() async throws {
        try await Fixture.run { f in
            let reply = try await f.send(.get, "/owner/v1/transport-key")
            #expect(reply.status == .ok)
            let note = try SignedNote(parsing: Array(try #require(reply.string("statement")).utf8))
            let genesis = try Genesis(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: f.folder.genesis))))
            let pinned = try NoteVerifier(verifierKey: genesis.verifierKey)
            let statement = try TransportKeyStatement(note: note, verifier: pinned)
            #expect(reply.string("algorithm") == "crypto_box_seal")
            #expect(try decode64(reply.string("transportKey")) == Data(statement.publicKey))
            #expect(reply.string("validFrom") == note.text.split(separator: "\n")[3].split(separator: " ")[1].description)
            #expect(reply.string("validUntil") == note.text.split(separator: "\n")[3].split(separator: " ")[2].description)
            #expect(statement.validUntil - statement.validFrom == 86_400)
            // Signed by the log key, yet no checkpoint.
            #expect(throws: LedgerFormatsError.self) { try Checkpoint(note: note, verifier: pinned) }
        }
    }

    /// A man in the middle who holds an owner's factors for a signature (their single-use
    /// challenge not yet spent) tries them on other requests over HTTP: every one is refused,
    /// journaled as `auth.fail` with reason `operation`, and the key stays as it was.
    @Test func capturedFactorsCannotBeRedirected() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            let hashes = randomHashes(1)
            func captured() async throws -> [String: Any] {
                try await f.factors(owner: Self.owner, password: Self.password, for: .authorize(keyID: key.id, hashes: hashes))
            }

            let destroy = try await f.post("/owner/v1/keys/\(key.id)/destroy", ["factors": try await captured()])
            try f.expectRefusal(destroy, .badRequest, "invalid_request", journal: .authFail, owner: Self.owner, reason: "operation")
            let totp = try await f.post("/owner/v1/keys/\(key.id)/totp", ["factors": try await captured()])
            try f.expectRefusal(totp, .badRequest, "invalid_request", journal: .authFail, owner: Self.owner, reason: "operation")
            let cabinet = try await f.post("/owner/v1/cabinet/session", ["keyID": key.id, "factors": try await captured()])
            try f.expectRefusal(cabinet, .badRequest, "invalid_request", journal: .authFail, owner: Self.owner, reason: "operation")
            let otherHashes = try await f.post(
                "/csc/v2/credentials/authorize",
                [
                    "credentialID": key.id, "numSignatures": 1, "hashes": [Data(randomHashes(1)[0]).base64EncodedString()],
                    "hashAlgorithmOID": Fixture.sha256OID, "authData": Fixture.authData(try await captured()),
                ])
            try f.expectRefusal(otherHashes, .badRequest, "invalid_request", journal: .authFail, owner: Self.owner, reason: "operation")
            #expect(otherHashes.string("error_description")?.contains("sealed for another operation") == true)

            #expect(try f.core.key(key.id).state == .active && f.core.key(key.id).failedAttempts == 0)
            let sad = try #require(
                try await f.authorize(key.id, owner: Self.owner, password: Self.password, hashes: hashes).string("SAD"))
            #expect(try await f.signHash(key.id, sad: sad, hashes: hashes).status == .ok)
        }
    }
}
