import Foundation
import Hummingbird
import Ledger
import LedgerFormats
import PublicLog
import SignCore
import TestSupport
import Testing

/// Issue 15, point 4: a destroyed key is physically gone from the store's files, and the
/// operator can erase a key its owner cannot destroy.
@Suite struct DestroyTests {
    static let owner = "900101300123"
    static let password = "correct horse battery staple 42"

    /// The key's wrapped seed as it lies in the store: the base64 in its record's JSON.
    static func wrappedSeed(_ f: Fixture, _ keyID: String) throws -> [UInt8] {
        let record = try #require(try f.ledger.record("signcore/key/\(keyID)"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(record)) as? [String: Any])
        let wrapping = try #require(object["wrapping"] as? [String: Any])
        return Array(try #require(wrapping["wrappedSeed"] as? String).utf8)
    }

    /// The files of the store that hold `needle`.
    static func files(in folder: String, holding needle: [UInt8]) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { name in
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
            return bytes.count >= needle.count
                && (0...(bytes.count - needle.count)).contains { start in bytes[start..<start + needle.count].elementsEqual(needle) }
        }
    }

    @Test func aDestroyedKeysWrappedSeedIsInNoStoreFile() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            // Used once, so the record (with the seed) is written more than once.
            _ = try await f.authorize(key.id, owner: Self.owner, password: Self.password, hashes: randomHashes(1))
            let seed = try Self.wrappedSeed(f, key.id)
            #expect(try !Self.files(in: f.folder.store, holding: seed).isEmpty, "the scan finds the seed while the key lives")

            let reply = try await f.post(
                "/owner/v1/keys/\(key.id)/destroy",
                ["factors": try await f.factors(owner: Self.owner, password: Self.password, for: .destroy(keyID: key.id))])
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(try Self.files(in: f.folder.store, holding: seed) == [], "the seed is gone from every store file")
            #expect(try f.lastEntry().event == .keyDestroy)
        }
    }

    /// A locked key cannot be destroyed by its owner (the password is refused for good): the
    /// operator erases it, with a reason, and its seed leaves the store too.
    @Test func theOperatorErasesALockedKey() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            for _ in 0..<5 {
                _ = try await f.authorize(key.id, owner: Self.owner, password: "not the password", hashes: randomHashes(1))
            }
            #expect(try f.core.key(key.id).state == .locked)
            let seed = try Self.wrappedSeed(f, key.id)
            let byOwner = try await f.post(
                "/owner/v1/keys/\(key.id)/destroy",
                ["factors": try await f.factors(owner: Self.owner, password: Self.password, for: .destroy(keyID: key.id))])
            try f.expectRefusal(byOwner, .forbidden, "access_denied")

            let noToken = try await f.post("/operator/v1/keys/\(key.id)/erase", ["reason": "locked"])
            try f.expectRefusal(noToken, .unauthorized, "invalid_token")
            let noReason = try await f.post("/operator/v1/keys/\(key.id)/erase", ["reason": ""], bearer: Fixture.operatorToken)
            try f.expectRefusal(noReason, .badRequest, "invalid_request")
            #expect(try f.core.key(key.id).state == .locked)

            let erased = try await f.post(
                "/operator/v1/keys/\(key.id)/erase", ["reason": "locked; the owner asked the CA to remove it"],
                bearer: Fixture.operatorToken)
            #expect(erased.status == .ok, "\(erased.text)")
            #expect(erased.string("state") == "destroyed")
            let entry = try f.lastEntry()
            #expect(entry.event == .keyDestroy && entry.owner == Self.owner)
            #expect(entry.record[field: "operator"] == "ca-operator")
            #expect(entry.record[field: "reason"] == "locked; the owner asked the CA to remove it")
            #expect(try Self.files(in: f.folder.store, holding: seed) == [])

            let again = try await f.post("/operator/v1/keys/\(key.id)/erase", ["reason": "again"], bearer: Fixture.operatorToken)
            try f.expectRefusal(again, .badRequest, "invalid_request")
        }
    }
}
