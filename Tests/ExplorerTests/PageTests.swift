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

@Suite struct PageTests {
    static let firstKey = String(repeating: "1f", count: 32)
    static let secondKey = String(repeating: "2e", count: 32)

    @Test func homeListsTheSealedBlocksAndTheCheckpoint() async throws {
        let chain = try await TestChain.make(dayCounts: [7, 12, 0, 5])
        let head = chain.ledger.head
        #expect(head.blockCount == 4)
        let blocks = try (0..<head.blockCount).map { try chain.block($0) }
        try await chain.withClient { client in
            let page = try await client.fetch("/")
            #expect(page.status == .ok)
            #expect(page.text.contains("<title>Latest blocks · Tamga explorer</title>"))
            for block in blocks {
                let row = try #require(rowText(height: block.height, in: page.text), "row of block \(block.height)")
                #expect(row.contains("<td>\(block.date)</td>"))
                #expect(row.contains("<td class=\"num\">\(block.dayCount)</td>"), "events that day")
                #expect(row.contains("<td class=\"num\">\(block.treeSize)</td>"))
                #expect(row.contains("href=\"/explorer/blocks/\(block.height)\""))
                #expect(row.contains("title=\"\(HTML.escapeForTest(Data(block.dayRoot).base64EncodedString()))\""))
            }
            #expect(rowText(height: head.blockCount, in: page.text) == nil, "the open day has no row")
            #expect(element("tree-size", in: page.text) == "\(head.treeSize)")
            #expect(element("root-hash", in: page.text) == head.rootHash.base64)
            // Newest first.
            let first = try #require(page.text.range(of: "data-height=\"3\""))
            let last = try #require(page.text.range(of: "data-height=\"0\""))
            #expect(first.lowerBound < last.lowerBound)
            #expect(page.text.contains("<form id=\"search\""))
            #expect(page.text.contains("id=\"no-notices\""))
        }
    }

    @Test func blockPageShowsEveryField() async throws {
        let chain = try await TestChain.make(dayCounts: [4, 9, 2])
        let block = try chain.block(1)
        let previous = try chain.block(0)
        let note = String(decoding: try #require(try chain.ledger.blockNote(1)), as: UTF8.self)
        try await chain.withClient { client in
            let page = try await client.fetch("/explorer/blocks/1")
            #expect(page.status == .ok)
            #expect(element("block-date", in: page.text) == block.date)
            #expect(element("block-hash", in: page.text) == Data(block.hash).base64EncodedString())
            #expect(element("note", in: page.text) == HTML.escapeForTest(note), "the signed note, verbatim")
            let hashes = codes(inside: "block", of: page.text)
            // In page order (the block hash, with its own id, is read above).
            #expect(
                hashes == [block.dayRoot, block.rootHash, block.previousHash].map { Data($0).base64EncodedString() })
            #expect(block.previousHash == previous.hash)
            #expect(page.text.contains("<dt>Events that day</dt><dd>9</dd>"))
            #expect(page.text.contains("<dt>Tree size</dt><dd>\(block.treeSize)</dd>"))
            #expect(page.text.contains("<dt>Leaf indexes</dt><dd>4 to 12</dd>"))
            #expect(
                page.text.contains("2026-11-20T19:00:00Z</time> to <time>2026-11-21T19:00:00Z"), "Almaty day in UTC")
            #expect(page.text.contains("id=\"prev\" href=\"/explorer/blocks/0\""))
            #expect(page.text.contains("id=\"next\" href=\"/explorer/blocks/2\""))

            let first = try await client.fetch("/explorer/blocks/0")
            #expect(!first.text.contains("id=\"prev\""))
            #expect(first.text.contains("href=\"/genesis\""), "block 0's prev is the genesis hash")
            #expect(first.text.contains(Data(chain.ledger.genesis.hash).base64EncodedString()))
            let latest = try await client.fetch("/explorer/blocks/2")
            #expect(latest.status == .ok)
            #expect(!latest.text.contains("id=\"next\""), "no link to a block not sealed")
        }
    }

    @Test func blockNotSealedOrMalformedIs404() async throws {
        let chain = try await TestChain.make(dayCounts: [2, 1])
        try await chain.withClient { client in
            let open = try await client.fetch("/explorer/blocks/2")
            #expect(open.status == .notFound)
            #expect(open.headers[.contentType] == "text/html; charset=utf-8")
            #expect(open.text.contains("Block 2 is not sealed yet: the latest block is 1."))
            #expect(open.text.contains("It will close 2026-11-22, at 2026-11-22T19:00:00Z."))
            for bad in ["01", "abc", "-1", "1.0", "18446744073709551616", "%3Cscript%3E"] {
                let page = try await client.fetch("/explorer/blocks/\(bad)")
                #expect(page.status == .notFound, "\(bad)")
                #expect(!page.text.contains("<script>"), "\(bad)")
            }
        }
        let empty = try await TestChain.make(dayCounts: [], openCount: 2)
        try await empty.withClient { client in
            let page = try await client.fetch("/explorer/blocks/0")
            #expect(page.status == .notFound)
            #expect(page.text.contains("no block is sealed yet"))
            let home = try await client.fetch("/")
            #expect(home.status == .ok)
            #expect(!home.text.contains("data-height="))
            #expect(home.text.contains("No block is sealed yet"))
        }
    }

    @Test func blockListPages() async throws {
        let chain = try await TestChain.make(dayCounts: Array(repeating: 0, count: 55) + [1], openCount: 0)
        #expect(chain.ledger.head.blockCount == 56)
        try await chain.withClient { client in
            let latest = try await client.fetch("/explorer/blocks")
            #expect(latest.status == .ok)
            #expect(rowText(height: 55, in: latest.text) != nil)
            #expect(rowText(height: 6, in: latest.text) != nil)
            #expect(rowText(height: 5, in: latest.text) == nil, "50 per page")
            #expect(latest.text.contains("href=\"/explorer/blocks?before=6\""))
            let older = try await client.fetch("/explorer/blocks?before=6")
            #expect((0...5).allSatisfy { rowText(height: $0, in: older.text) != nil })
            #expect(rowText(height: 6, in: older.text) == nil)
            #expect(older.text.contains("href=\"/explorer/blocks?before=56\""), "link to newer")
            let home = try await client.fetch("/")
            #expect(
                rowText(height: 36, in: home.text) != nil && rowText(height: 35, in: home.text) == nil, "home shows 20")
            for bad in ["57", "x", "-1"] {
                #expect(try await client.fetch("/explorer/blocks?before=\(bad)").status == .badRequest, "\(bad)")
            }
        }
    }

    @Test func searchByLeafHashWithoutJavaScript() async throws {
        let chain = try await TestChain.make(dayCounts: [5, 6], openCount: 4)
        let head = chain.ledger.head
        try await chain.withClient { client in
            for (index, appended) in chain.appended.enumerated() where [0, 4, 5, 10, 11, 14].contains(index) {
                for query in [
                    appended.leafHash.base64, base64URL(appended.leafHash),
                    appended.leafHash.base64.replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(
                        of: "/", with: "%2F"
                    ).replacingOccurrences(of: "=", with: "%3D"),
                ] {
                    let page = try await client.fetch("/explorer/search?q=\(query)")
                    #expect(page.status == .ok, "\(query)")
                    #expect(element("leaf-index", in: page.text) == "\(index)")
                    #expect(page.text.contains("data-leaf=\"\(base64URL(appended.leafHash))\""), "the JS check panel")
                }
                // The page's proof is the ledger's, and it leads to the checkpoint root.
                let page = try await client.fetch("/explorer/search?q=\(base64URL(appended.leafHash))")
                let proof = try codes(inside: "proof", of: page.text).map { try #require(Hash(base64: $0)) }
                #expect(proof == (try chain.ledger.inclusionProof(index: UInt64(index), size: head.treeSize)).proof)
                try MerkleTree.verifyInclusion(
                    index: UInt64(index), size: head.treeSize, leafHash: appended.leafHash, proof: proof,
                    root: head.rootHash)
                if index < 5 {
                    #expect(page.text.contains("<a href=\"/explorer/blocks/0\">block 0</a> (2026-11-20)"))
                } else if index < 11 {
                    #expect(page.text.contains("<a href=\"/explorer/blocks/1\">block 1</a> (2026-11-21)"))
                } else {
                    #expect(page.text.contains("not yet: the open day, 2026-11-22, closes with block 2"))
                }
            }

            var unknown = chain.appended[0].leafHash.bytes
            unknown[0] ^= 1
            let missing = try await client.fetch("/explorer/search?q=\(base64URL(try #require(Hash(unknown))))")
            #expect(missing.status == .notFound)
            #expect(missing.text.contains("No entry of this log has the leaf hash"))
            #expect(!missing.text.contains("leaf-index"))

            // A hash of the wrong length, non-canonical base64, or junk is not a hash.
            // The 43rd character of a 32-byte hash carries 4 bits; with a low bit set it is
            // another spelling of the same bytes, which lenient decoders accept.
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            let canonical = base64URL(chain.appended[0].leafHash)
            let almost = String(canonical.dropLast())
            let lastCharacter = try #require(canonical.last)
            let last = try #require(alphabet.firstIndex(of: lastCharacter))
            #expect(last % 4 == 0)
            let nonCanonical = almost + String(alphabet[last | 1])
            for bad in [almost, almost + "AA", nonCanonical, "zzzz", "%3Cb%3Ebold%3C%2Fb%3E"] {
                let page = try await client.fetch("/explorer/search?q=\(bad)")
                #expect(page.status == .badRequest, "\(bad)")
                #expect(page.text.contains("Nothing was found"))
                #expect(!page.text.contains("<b>bold"))
            }
        }
    }

    @Test func searchByHeightAndDateRedirects() async throws {
        let chain = try await TestChain.make(dayCounts: [1, 1, 1])
        try await chain.withClient { client in
            let height = try await client.fetch("/explorer/search?q=1")
            #expect(height.status == .seeOther)
            #expect(height.headers[.location] == "/explorer/blocks/1")
            let date = try await client.fetch("/explorer/search?q=2026-11-22")
            #expect(date.status == .seeOther)
            #expect(date.headers[.location] == "/explorer/blocks/2")
            let future = try await client.fetch("/explorer/search?q=2026-11-23")
            #expect(future.status == .notFound)
            #expect(future.text.contains("Block 3 is not sealed yet"))
            let past = try await client.fetch("/explorer/search?q=2026-11-19")
            #expect(past.status == .notFound)
            #expect(past.text.contains("The chain starts on 2026-11-20"))
            let empty = try await client.fetch("/explorer/search?q=")
            #expect(empty.status == .ok)
            #expect(empty.text.contains("id=\"receipt-check\""))
        }
    }

    @Test func compromiseNoticesAreShownEscapedAndFiltered() async throws {
        let notices = [
            (
                "2026-11-20T10:00:00.000Z",
                #"{"keyFingerprint":"\#(Self.firstKey)","measures":"Revoked <i>now</i>.\n<script>alert(1)</script> & 'quoted' \"x\"","time":"2026-11-20T10:00:00.000Z"}"#
            ),
            (
                "2026-11-20T11:00:00.000Z",
                #"{"keyFingerprint":"\#(Self.secondKey)","measures":"Suspended.","time":"2026-11-20T11:00:00.000Z"}"#
            ),
            // Not exactly a notice: an extra field must not be published.
            (
                "2026-11-20T12:00:00.000Z",
                #"{"keyFingerprint":"\#(String(repeating: "e", count: 64))","measures":"leak","owner":"\#(owners[1])","time":"2026-11-20T12:00:00.000Z"}"#
            ),
            ("2026-11-20T13:00:00.000Z", #"not json"#),
        ]
        let chain = try await TestChain.make(dayCounts: [2, 1], notices: notices.map { (name: $0.0, json: $0.1) })
        try await chain.withClient { client in
            for path in ["/", "/explorer/compromises"] {
                let page = try await client.fetch(path)
                #expect(page.status == .ok)
                #expect(
                    page.text.contains(
                        "Revoked &lt;i&gt;now&lt;/i&gt;.\n&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;quoted&#39; &quot;x&quot;"),
                    "\(path)")
                #expect(!page.text.contains("<script>alert"), "\(path)")
                #expect(!page.text.contains("<i>"), "\(path)")
                #expect(!page.text.contains(String(repeating: "e", count: 64)), "\(path): a record with other fields is not a notice")
                #expect(!page.text.contains(owners[1]), "\(path)")
                let second = try #require(page.text.range(of: Self.secondKey))
                let first = try #require(page.text.range(of: Self.firstKey))
                #expect(second.lowerBound < first.lowerBound, "newest first")
            }
        }
    }

    @Test func originIsEscaped() async throws {
        let origin = "test.tamga.local/<script>alert('x')</script>"
        let chain = try await TestChain.make(origin: origin, dayCounts: [1])
        try await chain.withClient { client in
            let paths = ["/", "/explorer/blocks/0", "/explorer/compromises", "/explorer/search?q=0"]
            for path in paths {
                let page = try await client.fetch(path)
                #expect(!page.text.contains("<script>alert"), "\(path)")
            }
            let home = try await client.fetch("/")
            #expect(home.text.contains("test.tamga.local/&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        }
    }

    @Test func noOwnerIdentifierOrEntryContentOnAnyPage() async throws {
        let notices = [
            ("n1", #"{"keyFingerprint":"\#(Self.firstKey)","measures":"Revoked.","time":"2026-11-20T10:00:00.000Z"}"#)
        ]
        let chain = try await TestChain.make(
            dayCounts: [9, 0, 11], openCount: 6, notices: notices.map { (name: $0.0, json: $0.1) })
        let head = chain.ledger.head
        var paths = ["/", "/explorer/blocks", "/explorer/compromises", "/explorer/search", "/explorer/search?q=1"]
        paths += (0...head.blockCount).map { "/explorer/blocks/\($0)" }
        paths += chain.appended.map { "/explorer/search?q=\(base64URL($0.leafHash))" }
        paths += ["/explorer/assets/explorer.css", "/explorer/assets/explorer.js"]
        let allPaths = paths
        let secrets = owners + keyIDs + [documentHash, "\"salt\"", "\"owner\"", "key.use", "key.create", "auth.fail"]
        try await chain.withClient { client in
            var fetched = 0
            for path in allPaths {
                let page = try await client.fetch(path)
                #expect(page.status == .ok || page.status == .notFound || page.status == .seeOther, "\(path)")
                for secret in secrets {
                    #expect(!page.text.contains(secret), "\(path) shows \(secret)")
                }
                fetched += 1
            }
            #expect(fetched == allPaths.count && chain.appended.count == 27)
        }
    }

    @Test func methodsOtherThanGetAndHead() async throws {
        let chain = try await TestChain.make(dayCounts: [1])
        let paths = [
            "/", "/explorer/blocks", "/explorer/blocks/0", "/explorer/compromises", "/explorer/search?q=x",
            "/explorer/assets/explorer.css", "/explorer/assets/explorer.js",
        ]
        try await chain.withClient { client in
            for path in paths {
                let methods: [HTTPRequest.Method] = [
                    .post, .put, .delete, .patch, .options, try #require(HTTPRequest.Method("PROPFIND")),
                ]
                for method in methods {
                    let response = try await client.fetch(path, method: method)
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == "GET, HEAD")
                }
                let get = try await client.fetch(path)
                let head = try await client.fetch(path, method: .head)
                #expect(head.status == get.status, "HEAD \(path)")
                #expect(head.headers[.contentType] == get.headers[.contentType])
                #expect(head.text.isEmpty)
            }
            #expect(try await client.fetch("/explorer/nothing").status == .notFound)
        }
    }

    @Test func headersAndNoInlineCode() async throws {
        let chain = try await TestChain.make(dayCounts: [2, 3])
        let leaf = base64URL(chain.appended[1].leafHash)
        try await chain.withClient { client in
            for path in [
                "/", "/?check=\(leaf)", "/explorer/blocks/1", "/explorer/blocks/9", "/explorer/search?q=\(leaf)",
                "/explorer/compromises",
            ] {
                let page = try await client.fetch(path)
                #expect(page.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
                let policy = try #require(page.headers[.contentSecurityPolicy])
                #expect(policy.hasPrefix("default-src 'self';"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(page.headers[.xContentTypeOptions] == "nosniff")
                #expect(page.text.hasPrefix("<!doctype html>"))
                #expect(page.text.contains("<meta charset=\"utf-8\">"))
                // CSP forbids inline code, so the pages must not rely on any.
                let scripts = page.text.components(separatedBy: "<script").dropFirst()
                #expect(
                    scripts.count == 1 && scripts.allSatisfy { $0.hasPrefix(" src=\"/explorer/assets/explorer.js\"") })
                #expect(
                    !page.text.contains("style=\"") && !page.text.contains("<style") && !page.text.contains(" onclick=")
                )
            }
            let withCheck = try await client.fetch("/?check=\(leaf)")
            #expect(withCheck.text.contains("data-leaf=\"\(leaf)\""))
            #expect(!(try await client.fetch("/?check=bogus")).text.contains("data-leaf="))

            let css = try await client.fetch("/explorer/assets/explorer.css")
            #expect(
                css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8"
                    && css.text.contains("system-ui"))
            let js = try await client.fetch("/explorer/assets/explorer.js")
            #expect(js.status == .ok && js.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(js.text.contains("crypto.subtle.digest('SHA-256'"))
            // The script writes text only: no HTML sinks.
            #expect(
                !js.text.contains("innerHTML") && !js.text.contains("outerHTML") && !js.text.contains("document.write"))
        }
    }

    /// Who cosigned is read from the published notes: each witness's line, never the log's own,
    /// with the time its cosignature states; "none" where no witness signed.
    @Test func cosignersOfTheCheckpointAndOfEachBlockAreShown() async throws {
        let chain = try await TestChain.make(dayCounts: [4, 9, 2])
        let ledger = chain.ledger
        let witnesses = try ["w1.example", "w2<&>.example"].map { try makeWitnessKey(name: $0) }
        let time: UInt64 = 1_795_240_800  // 2026-11-21T06:00:00Z
        let block0 = try SignedNote(parsing: try #require(try ledger.blockNote(0)))
        try await ledger.addCosignatures(
            try witnesses.map { try Cosignature.sign(text: block0.text, time: time, with: $0) }, toBlock: 0)

        // Witnessed, before any checkpoint has its quorum.
        try await chain.withClient(witnessed: true) { client in
            let home = try await client.fetch("/")
            #expect(home.text.contains("No checkpoint has the witness policy"))
            let row0 = try #require(rowText(height: 0, in: home.text))
            #expect(row0.contains("<td>w1.example, w2&lt;&amp;&gt;.example</td>"))
            #expect(rowText(height: 1, in: home.text)?.contains("<td>none</td>") == true)

            let page = try await client.fetch("/explorer/blocks/0")
            let list = try #require(listItems("block-cosigners", in: page.text))
            #expect(list == "<li><code>w1.example</code> at <time>2026-11-21T06:00:00Z</time></li><li><code>w2&lt;&amp;&gt;.example</code> at <time>2026-11-21T06:00:00Z</time></li>")
            #expect(!list.contains(ledger.genesis.origin), "the log's own signature is not a cosigner")
            #expect(element("block-cosigners", in: try await client.fetch("/explorer/blocks/1").text) == "none")
        }
    }

    @Test func theWitnessedCheckpointNamesItsCosignersAndHowFarItLags() async throws {
        let chain = try await TestChain.make(dayCounts: [4, 9, 2])
        let ledger = chain.ledger
        let witness = try makeWitnessKey(name: "w1.example")
        let note = ledger.head.checkpoint
        try await ledger.publishCosigned(note.adding(Cosignature.sign(text: note.text, time: 1_795_240_800, with: witness)))
        let cosignedSize = ledger.head.treeSize
        _ = try await ledger.append(try TestChain.record(99))
        _ = try await ledger.append(try TestChain.record(100))

        try await chain.withClient(witnessed: true) { client in
            let home = try await client.fetch("/")
            #expect(element("cosigned-size", in: home.text) == "\(cosignedSize)")
            #expect(home.text.contains("entries (2 entries behind the newest)"))
            #expect(listItems("checkpoint-cosigners", in: home.text) == "<li><code>w1.example</code> at <time>2026-11-21T06:00:00Z</time></li>")
        }
    }

    @Test func aLogWithoutWitnessesSaysSo() async throws {
        let chain = try await TestChain.make(dayCounts: [1])
        try await chain.withClient { client in
            let home = try await client.fetch("/")
            #expect(element("witnessed", in: home.text) == "This log has no witnesses: only its own key signs its checkpoints.")
            #expect(element("cosigned-size", in: home.text) == nil)
            #expect(rowText(height: 0, in: home.text)?.contains("<td>none</td>") == true)
        }
    }

    /// The `<tr data-height="h">` row of a block table, or nil.
    private func rowText(height: UInt64, in html: String) -> String? {
        guard let start = html.range(of: "<tr data-height=\"\(height)\">") else { return nil }
        guard let end = html[start.upperBound...].range(of: "</tr>") else { return nil }
        return String(html[start.upperBound..<end.lowerBound])
    }
}

enum HTML {
    /// The escaping the pages must apply, written out independently of the module's.
    static func escapeForTest(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
