import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import Testing

/// docs/formats.md: nothing public carries an owner identifier or any entry content. Every public
/// response of a ledger full of distinct owners, keys and documents is searched for them.
@Suite struct PrivacyTests {
    @Test func noPublicResponseCarriesPersonalData() async throws {
        let notice =
            #"{"keyFingerprint":"SHA256:0f0f","measures":"certificate revoked","time":"2026-11-20T09:00:00.000Z"}"#
        let chain = try await TestChain.make(dayCounts: [300, 420, 0], openCount: 70, notices: [("n1", notice)])
        let salts = Set(try chain.entries.map { Data(try Entry(parsing: $0).salt).base64EncodedString() })
        #expect(salts.count == chain.entries.count)
        #expect(chain.secrets.count > 2000)
        // What the search relies on: every identifier carries one of these markers.
        let markers = ["OWNER-", "KEY-", "d0c0ffee", "\"owner\"", "\"salt\"", "\"doc\"", "\"seq\""]
        for secret in chain.secrets {
            #expect(markers.contains { secret.hasPrefix($0) }, "\(secret)")
        }
        // And the search works: an entry does contain them.
        let sample = try #require(chain.entries.first { String(decoding: $0, as: UTF8.self).contains("d0c0ffee") })
        #expect(Self.leaks(in: sample, markers: markers, salts: salts).count >= 3)

        try await chain.serve { client in
            var responses: [(String, Fetched)] = []
            func get(_ uri: String) async throws {
                let response = try await client.fetch(uri)
                responses.append((uri, response))
            }
            let size = chain.ledger.head.treeSize
            let blockCount = chain.ledger.head.blockCount
            #expect(size == 791 && blockCount == 3)
            for uri in ["/checkpoint", "/genesis", "/blocks", "/blocks/latest", "/compromises", "/health", "/metrics"] {
                try await get(uri)
            }
            for height in 0..<blockCount { try await get("/blocks/\(height)") }
            for tile in try Tile.tiles(to: size) { try await get("/" + tile.path) }
            for index in 0..<size {
                try await get("/proof/inclusion?index=\(index)")
            }
            for leaf in chain.leafHashes.prefix(50) { try await get("/proof/inclusion?hash=\(base64URL(leaf))") }
            for from in stride(from: UInt64(1), to: size, by: 37) { try await get("/proof/consistency?from=\(from)") }
            // Error answers too.
            for uri in ["/blocks/7", "/proof/inclusion?index=99999", "/tile/entries/000", "/tile/0/009"] {
                try await get(uri)
            }
            try await get("/metrics")

            #expect(responses.count == 883)
            for (uri, response) in responses {
                #expect(response.status.code < 500, "\(uri)")
                let leaks = Self.leaks(in: response.body, markers: markers, salts: salts)
                #expect(leaks.isEmpty, "\(uri) carries personal data: \(leaks.prefix(3))")
            }
        }
    }

    /// The markers and entry salts found in `body`.
    static func leaks(in body: [UInt8], markers: [String], salts: Set<String>) -> [String] {
        var found = markers.filter { contains(body, Array($0.utf8)) }
        // A salt is 24 base64 characters ending in "==": look at every "==".
        var i = 22
        while i + 1 < body.count {
            if body[i] == UInt8(ascii: "="), body[i + 1] == UInt8(ascii: "=") {
                let candidate = String(decoding: body[(i - 22)..<(i + 2)], as: UTF8.self)
                if salts.contains(candidate) { found.append("salt \(candidate)") }
            }
            i += 1
        }
        return found
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var i = 0
        while i + needle.count <= haystack.count {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
