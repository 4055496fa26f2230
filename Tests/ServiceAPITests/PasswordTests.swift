import Foundation
import Hummingbird
import LedgerFormats
import SignCore
import TestSupport
import Testing

/// Issue 15, point 5, over HTTP: a new key's password is not one an offline guesser tries first.
@Suite struct PasswordTests {
    static let owner = "900101300123"

    @Test(arguments: [
        ("12345678", "most common"), ("PassWord", "most common"), ("qwertyuiop", "most common"),
        ("my-\(owner)-key", "owner's identifier"), ("seven77", "shorter than 8"),
    ])
    func weakPasswordsAreRefusedAtCreation(password: String, reason: String) async throws {
        try await Fixture.run { f in
            try await f.consent(Self.owner)
            let reply = try await f.post(
                "/owner/v1/keys", ["owner": Self.owner, "factors": try await f.factors(owner: Self.owner, password: password, for: .createKey)])
            try f.expectRefusal(reply, .badRequest, "invalid_request", journal: .authFail, owner: Self.owner, reason: "weak-password")
            #expect(reply.string("error_description")?.contains(reason) == true, "\(reply.text)")
            #expect(try f.core.keys(owner: Self.owner).isEmpty)
        }
    }

    @Test func aPasswordNotOnTheListIsAccepted() async throws {
        try await Fixture.run { f in
            _ = try await f.createKey(owner: Self.owner, password: "Tamga harbour 1917 lantern")
            #expect(try f.core.keys(owner: Self.owner).count == 1)
        }
    }
}
