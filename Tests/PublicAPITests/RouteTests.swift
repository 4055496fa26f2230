import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

@Suite struct RouteTests {
    @Test func checkpointGenesisAndBlocks() async throws {
        let chain = try await TestChain.make(dayCounts: [5, 9, 0], openCount: 4)
        try await chain.serve { client in
            let checkpoint = try await client.fetch("/checkpoint")
            #expect(checkpoint.status == .ok)
            #expect(checkpoint.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(checkpoint.headers[.cacheControl] == "public, max-age=1")
            #expect(checkpoint.text == chain.ledger.head.checkpoint.formatted)
            let parsed = try Checkpoint(note: SignedNote(parsing: checkpoint.body), verifier: chain.ledger.verifier)
            #expect(parsed.size == 18)
            #expect(parsed.rootHash == MerkleTree.rootHash(leafHashes: chain.leafHashes).bytes)

            let genesis = try await client.fetch("/genesis")
            #expect(genesis.status == .ok)
            #expect(genesis.body == chain.ledger.genesis.canonicalBytes)
            #expect(genesis.headers[.contentType] == "application/json")
            #expect(genesis.headers[.cacheControl] == "public, max-age=31536000, immutable")

            for height in 0..<UInt64(3) {
                let block = try await client.fetch("/blocks/\(height)")
                #expect(block.status == .ok)
                #expect(block.body == (try chain.ledger.blockNote(height)))
                let parsed = try Block(note: SignedNote(parsing: block.body), verifier: chain.ledger.verifier)
                #expect(parsed.height == height)
            }
            let latest = try await client.fetch("/blocks/latest")
            #expect(latest.status == .ok)
            #expect(latest.body == (try chain.ledger.blockNote(2)))
            #expect(
                try Block(text: SignedNote(parsing: latest.body).text).dayCount == 0, "block 2 closes the empty day")

            let missing = try await client.fetch("/blocks/99")
            #expect(missing.status == .notFound)
            #expect(isOneLineReason(missing))
            #expect(missing.text.contains("latest is block 2"))
            for bad in ["abc", "-1", "01", "1.0", "99999999999999999999"] {
                let response = try await client.fetch("/blocks/\(bad)")
                #expect(response.status == .badRequest, "/blocks/\(bad)")
                #expect(isOneLineReason(response))
            }
        }
    }

    @Test func latestBlockBeforeTheFirstIsNotFound() async throws {
        let chain = try await TestChain.make(dayCounts: [], openCount: 3)
        try await chain.serve { client in
            let latest = try await client.fetch("/blocks/latest")
            #expect(latest.status == .notFound)
            #expect(isOneLineReason(latest))
            #expect(latest.text.contains("no block is sealed yet"))
            #expect(try await client.fetch("/blocks/0").status == .notFound)
            let list = try await client.fetch("/blocks")
            #expect(list.status == .ok)
            #expect(list.text == "[]")
        }
    }

    @Test func blocksListHasTheDesignShape() async throws {
        let chain = try await TestChain.make(dayCounts: [3, 0, 6, 2], openCount: 1)
        try await chain.serve { client in
            let all = try await client.fetch("/blocks")
            #expect(all.status == .ok)
            #expect(all.headers[.contentType] == "application/json")
            let array = try #require(try all.json() as? [[String: Any]])
            #expect(array.count == 4)
            let keys: Set<String> = [
                "height", "date", "start", "end", "treeSize", "rootHash", "dayFirst", "dayCount", "dayRoot", "hash",
            ]
            for (height, object) in array.enumerated() {
                #expect(Set(object.keys) == keys)
                let block = try chain.block(UInt64(height))
                #expect(object["height"] as? Int == height)
                #expect(object["date"] as? String == block.date)
                #expect(
                    object["start"] as? String
                        == (try Timestamp(millisecondsSinceEpoch: block.start * 1000).rfc3339Seconds))
                #expect(
                    object["end"] as? String == (try Timestamp(millisecondsSinceEpoch: block.end * 1000).rfc3339Seconds)
                )
                #expect(object["treeSize"] as? Int == Int(block.treeSize))
                #expect(object["rootHash"] as? String == Data(block.rootHash).base64EncodedString())
                #expect(object["dayFirst"] as? Int == Int(block.dayFirst))
                #expect(object["dayCount"] as? Int == Int(block.dayCount))
                #expect(object["dayRoot"] as? String == Data(block.dayRoot).base64EncodedString())
                #expect(object["hash"] as? String == Data(block.hash).base64EncodedString())
            }
            #expect(array.map { $0["dayCount"] as? Int } == [3, 0, 6, 2])
            #expect(array[0]["start"] as? String == "2026-11-19T19:00:00Z", "Almaty midnight of 2026-11-20 in UTC")

            let page = try #require(try await client.fetch("/blocks?from=1&limit=2").json() as? [[String: Any]])
            #expect(page.map { $0["height"] as? Int } == [1, 2])
            #expect(try await client.fetch("/blocks?from=3&limit=1000").json() as? [[String: Any]] != nil)
            #expect(try await client.fetch("/blocks?from=4").text == "[]")
            #expect(try await client.fetch("/blocks?from=9999999").text == "[]")
            for bad in ["limit=0", "limit=1001", "from=x", "from=-1", "limit=1&limit=2", "from=01"] {
                let response = try await client.fetch("/blocks?\(bad)")
                #expect(response.status == .badRequest, "/blocks?\(bad)")
                #expect(isOneLineReason(response))
            }
        }
    }

    @Test func methodsOtherThanGetAndHeadAre405AndUnknownPaths404() async throws {
        let chain = try await TestChain.make(dayCounts: [2], openCount: 1)
        try await chain.serve { client in
            let routes = [
                "/checkpoint", "/tile/0/000.p/3", "/genesis", "/blocks", "/blocks/0", "/blocks/latest",
                "/proof/inclusion?index=0", "/proof/consistency?from=1&to=2", "/compromises", "/health", "/metrics",
            ]
            for route in routes {
                #expect(try await client.fetch(route).status == .ok, "GET \(route)")
                for method: HTTPRequest.Method in [.post, .put, .delete, .patch, .options, .trace] {
                    let response = try await client.fetch(route, method: method)
                    #expect(response.status == .methodNotAllowed, "\(method) \(route)")
                    #expect(response.headers[.allow] == "GET, HEAD")
                    #expect(isOneLineReason(response))
                }
            }
            // Also on a route whose object is missing or whose parameters are bad.
            #expect(try await client.fetch("/blocks/99", method: .post).status == .methodNotAllowed)
            #expect(try await client.fetch("/tile/0/999", method: .delete).status == .methodNotAllowed)
            for method in ["PROPFIND", "M-SEARCH", "MKCOL"] {
                let method = try #require(HTTPRequest.Method(method))
                #expect(try await client.fetch("/checkpoint", method: method).status == .methodNotAllowed, "\(method)")
            }

            for path in ["/", "/nope", "/checkpoints", "/proof", "/proof/other", "/blocks/1/2", "/index.html"] {
                let response = try await client.fetch(path)
                #expect(response.status == .notFound, "GET \(path)")
                #expect(isOneLineReason(response))
                #expect(try await client.fetch(path, method: .post).status == .notFound, "POST \(path)")
            }
        }
    }

    @Test func headAnswersLikeGetWithoutBody() async throws {
        let chain = try await TestChain.make(dayCounts: [2], openCount: 1)
        try await chain.serve { client in
            for route in ["/checkpoint", "/genesis", "/blocks/0", "/tile/0/000.p/3", "/blocks?from=0"] {
                let get = try await client.fetch(route)
                let head = try await client.fetch(route, method: .head)
                #expect(head.status == .ok)
                #expect(head.body.isEmpty)
                #expect(head.headers[.contentLength] == String(get.body.count), "HEAD \(route)")
                #expect(head.headers[.contentType] == get.headers[.contentType])
            }
            let missing = try await client.fetch("/blocks/7", method: .head)
            #expect(missing.status == .notFound)
            #expect(missing.body.isEmpty)
        }
    }

    @Test func compromiseNoticesArePublishedAsStored() async throws {
        let first =
            #"{"keyFingerprint":"\#(String(repeating: "a", count: 60))aa11","measures":"certificate revoked","time":"2026-11-20T09:00:00.000Z"}"#
        let second =
            #"{"keyFingerprint":"\#(String(repeating: "b", count: 60))bb22","measures":"key destroyed, owner notified","#
            + #""time":"2026-11-20T11:30:00.000Z"}"#
        // Not a notice: an extra field must not leak, and non-canonical JSON is not a stored notice.
        let extra =
            #"{"keyFingerprint":"\#(String(repeating: "c", count: 64))","measures":"m","owner":"OWNER-leak","time":"2026-11-20T12:00:00.000Z"}"#
        let spaced = #"{"keyFingerprint": "\#(String(repeating: "d", count: 64))", "measures": "m", "time": "2026-11-20T12:00:00.000Z"}"#
        // A fingerprint that is not a SHA-256 in lowercase hex is not a notice either.
        let named = #"{"keyFingerprint":"OWNER-900101300123","measures":"m","time":"2026-11-20T12:00:00.000Z"}"#
        let chain = try await TestChain.make(
            dayCounts: [2], openCount: 1,
            notices: [
                ("2026-11-20-a", first), ("2026-11-20-b", second), ("2026-11-20-c", extra), ("2026-11-20-d", spaced),
                ("2026-11-20-e", named),
            ])
        try await chain.serve { client in
            let response = try await client.fetch("/compromises")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.text == "[\(first),\(second)]")
            let array = try #require(try response.json() as? [[String: String]])
            #expect(
                array.map { $0["keyFingerprint"] }
                    == [String(repeating: "a", count: 60) + "aa11", String(repeating: "b", count: 60) + "bb22"])
        }
    }

    @Test func healthFollowsSequencing() async throws {
        let chain = try await TestChain.make(dayCounts: [2], openCount: 1)
        try await chain.serve { client in
            let healthy = try await client.fetch("/health")
            #expect(healthy.status == .ok)
            #expect(healthy.headers[.contentType] == "application/json")
            let object = try #require(try healthy.json() as? [String: Any])
            #expect(object["sequencing"] as? Bool == true)
            #expect(object["treeSize"] as? Int == 3)
            #expect(object["blockCount"] as? Int == 1)

            chain.ledger.shutdown()
            let stopped = try await client.fetch("/health")
            #expect(stopped.status == .serviceUnavailable)
            #expect(try #require(try stopped.json() as? [String: Any])["sequencing"] as? Bool == false)
            // The rest stays readable after the writer stopped.
            #expect(try await client.fetch("/checkpoint").status == .ok)
        }
    }

    @Test func metricsCountRequestsAndReportTheLedger() async throws {
        let chain = try await TestChain.make(dayCounts: [4, 3], openCount: 2)
        try await chain.serve { client in
            for _ in 0..<3 { _ = try await client.fetch("/checkpoint") }
            _ = try await client.fetch("/blocks/42")
            _ = try await client.fetch("/nope")
            _ = try await client.fetch("/checkpoint", method: .post)
            let metrics = try await client.fetch("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let lines = Set(metrics.text.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"tamga_public_http_requests_total{route="/checkpoint",code="200"} 3"#))
            #expect(lines.contains(#"tamga_public_http_requests_total{route="/checkpoint",code="405"} 1"#))
            #expect(lines.contains(#"tamga_public_http_requests_total{route="/blocks/{height}",code="404"} 1"#))
            #expect(lines.contains(#"tamga_public_http_requests_total{route="unmatched",code="404"} 1"#))
            #expect(lines.contains(#"tamga_public_http_request_duration_seconds_count{route="/checkpoint"} 4"#))
            #expect(lines.contains("tamga_tree_size 9"))
            #expect(lines.contains("tamga_blocks 2"))
            #expect(lines.contains("tamga_last_block_height 1"))
            #expect(lines.contains(#"tamga_last_block_info{date="2026-11-21"} 1"#))
            #expect(lines.contains("tamga_last_block_end_timestamp_seconds \(try chain.block(1).end)"))
            #expect(lines.contains("tamga_sequencing 1"))
            // The clock stands one minute into the open day plus what appends took: the age is
            // the clock's distance from the last append's time, which the ledger took from it.
            #expect(lines.contains("tamga_checkpoint_age_seconds 0.000"))
            chain.clock.set(chain.clock.now() + 90_500)
            let later = try await client.fetch("/metrics").text
            #expect(later.contains("\ntamga_checkpoint_age_seconds 90.500\n"))
        }
    }
}
