import Foundation
import Hummingbird
import HummingbirdTesting
import Ledger
import LedgerFormats
import NIOCore
import PublicLog
@testable import ServiceAPI
import SignCore
import TestSupport
import Testing

/// Issue 15, points 1 and 2, attacked over HTTP: whoever knows a credential cannot fill the
/// journal in its owner's name, nor consent for anyone.
@Suite struct FloodTests {
    static let owner = "900101300123"
    static let password = "correct horse battery staple 42"

    /// Hundreds of refused signatures in a minute, by someone who knows only the credential:
    /// not one entry in the owner's name, one count per reason when the minute is over, and the
    /// owner's own signature goes through in between.
    @Test func refusedSignaturesAreCountedNotJournaledOneByOne() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            let size = f.ledger.head.treeSize
            for _ in 0..<200 {
                let reply = try await f.signHash(key.id, sad: String(repeating: "A", count: 43), hashes: randomHashes(1))
                #expect(reply.status == .badRequest)
            }
            for _ in 0..<50 {
                #expect(try await f.signHash(key.id, sad: "short", hashes: randomHashes(1)).status == .badRequest)
            }
            #expect(f.ledger.head.treeSize == size, "a refusal before any biometric journals nothing at once")

            // The owner signs in the middle of the flood.
            let hashes = randomHashes(1)
            let sad = try #require(
                try await f.authorize(key.id, owner: Self.owner, password: Self.password, hashes: hashes).string("SAD"))
            #expect(try await f.signHash(key.id, sad: sad, hashes: hashes).status == .ok)
            let afterOwner = f.ledger.head.treeSize
            #expect(afterOwner == size + 2, "auth.ok and key.use")

            try await f.core.flushRefusals(all: true)
            let counts = try f.ledger.entries(from: afterOwner, count: Int(f.ledger.head.treeSize - afterOwner))
                .map { try Entry(parsing: $0) }
            #expect(counts.count == 1, "one entry per key, purpose, reason and minute")
            let count = try #require(counts.first)
            #expect(count.event == .requestRefused)
            #expect(count.owner == "operator", "the node's entry, not the owner's")
            #expect(count.record[field: "key"] == .string(key.id))
            #expect(count.record[field: "reason"] == "sad-unknown")
            #expect(count.record[field: "count"] == 250)
            #expect(count.record[field: "minute"] == .string(try Timestamp(millisecondsSinceEpoch: f.clock.now() - f.clock.now() % 60_000).rfc3339Milliseconds))
        }
    }

    /// A refusal in a new minute journals the counts of the minutes before it, without waiting
    /// for the node's timer; different reasons and keys are counted apart.
    @Test func aNewMinuteJournalsTheLastMinutesCounts() async throws {
        try await Fixture.run { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            let unknown = String(repeating: "0", count: 32)
            f.clock.set(f.clock.now() - f.clock.now() % 60_000 + 1_000)
            let size = f.ledger.head.treeSize
            for _ in 0..<3 { _ = try await f.signHash(key.id, sad: String(repeating: "A", count: 43), hashes: randomHashes(1)) }
            _ = try await f.authorize(key.id, owner: "850505400456", password: Self.password, hashes: randomHashes(1))
            _ = try await f.post(
                "/owner/v1/keys", ["owner": Self.owner, "factors": try await f.factors(owner: "850505400456", password: Self.password, for: .createKey)])
            _ = try await f.post("/csc/v2/credentials/info", ["credentialID": unknown])
            #expect(f.ledger.head.treeSize == size)
            f.clock.advance(60_000)
            _ = try await f.signHash(key.id, sad: String(repeating: "A", count: 43), hashes: randomHashes(1))
            let entries = try f.ledger.entries(from: size, count: Int(f.ledger.head.treeSize - size)).map { try Entry(parsing: $0) }
            let seen = entries.map { [$0.record[field: "purpose"], $0.record[field: "reason"], $0.record[field: "count"]] }
            #expect(entries.allSatisfy { $0.event == .requestRefused && $0.owner == "operator" })
            #expect(Set(seen) == [["sign", "sad-unknown", 3], ["sign", "challenge", 1], ["key.create", "challenge", 1]])
            // The refusal of the new minute waits for its own minute to end.
            let flushed = f.ledger.head.treeSize
            try await f.core.flushRefusals(all: false)
            #expect(f.ledger.head.treeSize == flushed)
            try await f.expectCounted(purpose: "sign", reason: "sad-unknown", key: key.id)
        }
    }

    /// Consent is the owner's: without a challenge and that owner's biometric assertion it is
    /// refused, and nothing is journaled in the owner's name.
    @Test func consentNeedsTheOwnersLiveBiometric() async throws {
        try await Fixture.run { f in
            let terms = Fixture.terms.map { String(format: "%02x", $0) }.joined()
            let size = f.ledger.head.treeSize
            let bare = try await f.post("/owner/v1/consent", ["owner": Self.owner, "termsHash": terms])
            try f.expectRefusal(bare, .badRequest, "invalid_request")
            #expect(bare.string("error_description")?.contains("challenge") == true)

            var strangers = try await f.consentBody("850505400456")
            strangers["owner"] = Self.owner
            let forged = try await f.post("/owner/v1/consent", strangers)
            try f.expectRefusal(forged, .badRequest, "invalid_request")
            #expect(f.ledger.head.treeSize == size, "nothing journaled")
            try await f.expectCounted(purpose: "consent", reason: "challenge", key: nil)

            var wrongAssertion = try await f.consentBody(Self.owner)
            let other = try await f.consentBody("850505400456")
            wrongAssertion["biometric"] = other["biometric"]
            let mismatched = try await f.post("/owner/v1/consent", wrongAssertion)
            try f.expectRefusal(mismatched, .badRequest, "invalid_biometric")
            try await f.expectCounted(purpose: "consent", reason: "biometric-owner", key: nil)
            let entries = try f.ledger.entries(from: 0, count: Int(f.ledger.head.treeSize)).map { try Entry(parsing: $0) }
            #expect(entries.allSatisfy { $0.owner != Self.owner })

            try await f.consent(Self.owner)
            #expect(try f.lastEntry().event == .consent)
            #expect(try f.lastEntry().owner == Self.owner)
        }
    }

    /// The limit on every route is per network: two addresses of one /24 share a bucket (here
    /// 127.0.0.2 and 127.0.0.3, over real connections from those addresses), and with a /32
    /// each address has its own.
    @Test(arguments: [24, 32])
    func everyRouteIsLimitedPerNetwork(prefix: Int) async throws {
        try await Fixture.run(configure: {
            $0.requestLimit = RateLimit(perMinute: 1, burst: 4)
            $0.addressPrefixV4 = prefix
        }) { f in
            let port = try #require(f.client.port)
            // curl waits for the node, whose handlers need the cooperative pool: run it off it.
            func status(from address: String) async throws -> Int {
                let run = try await offPool {
                    try runProcess(
                        "/usr/bin/curl",
                        ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", address, "-X", "POST",
                         "http://127.0.0.1:\(port)/csc/v2/info"])
                }
                return Int(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            }
            var first: [Int] = []
            for _ in 0..<4 { first.append(try await status(from: "127.0.0.2")) }
            #expect(first == [200, 200, 200, 200])
            #expect(try await status(from: "127.0.0.2") == 429)
            #expect(try await status(from: "127.0.0.3") == (prefix == 24 ? 429 : 200))
        }
    }

    @Test func addressPrefixes() throws {
        func prefix(_ text: String, v4: Int = 24, v6: Int = 64) throws -> String {
            RateLimiter.prefix(try SocketAddress(ipAddress: text, port: 1), v4: v4, v6: v6)
        }
        #expect(try prefix("198.51.100.77") == "198.51.100.0/24")
        #expect(try prefix("198.51.100.77", v4: 32) == "198.51.100.77/32")
        #expect(try prefix("198.51.100.77", v4: 20) == "198.51.96.0/20")
        #expect(try prefix("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2:0:0:0:0/64")
        #expect(try prefix("2001:db8:1:2:aaaa:bbbb:cccc:dddd", v6: 48) == "2001:db8:1:0:0:0:0:0/48")
        #expect(try prefix("::ffff:198.51.100.77") == "198.51.100.0/24", "an IPv4-mapped address is IPv4")
        #expect(RateLimiter.prefix(nil, v4: 24, v6: 64) == "unknown")
    }

    /// One credential's requests are limited whichever networks they come from; the refusals
    /// are counted as the node's, with the credential.
    @Test func aCredentialIsLimitedAndItsRefusalsCounted() async throws {
        try await Fixture.run(configure: { $0.credentialLimit = RateLimit(perMinute: 1, burst: 3) }) { f in
            let key = try await f.createKey(owner: Self.owner, password: Self.password)
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<6 {
                statuses.append(try await f.post("/csc/v2/credentials/info", ["credentialID": key.id]).status)
            }
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests, .tooManyRequests, .tooManyRequests])
            try await f.expectCounted(purpose: "info", reason: "rate-limited-credential", key: key.id, count: 3)
        }
    }
}
