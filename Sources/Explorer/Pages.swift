import Codecs
internal import Foundation
import Hummingbird
import LedgerFormats
import MerkleLog
import PublicAPI
import PublicLog

/// A rendered page: its status, or a redirect.
struct Page {
    enum Kind {
        case html(title: String, body: HTML)
        case redirect(String)
    }
    var status: HTTPResponse.Status
    var kind: Kind

    static func ok(_ title: String, _ body: HTML) -> Page {
        Page(status: .ok, kind: .html(title: title, body: body))
    }

    static func error(_ status: HTTPResponse.Status, _ title: String, _ message: String) -> Page {
        Page(status: status, kind: .html(title: title, body: "<h1>\(title)</h1>\n<p class=\"problem\">\(message)</p>"))
    }
}

/// The explorer's pages. Each reads what it shows from the public data layer at request time,
/// renders server-side (the lists work without JavaScript), and escapes every value it did not
/// write.
struct Pages: Sendable {
    static let latestCount: UInt64 = 20
    static let pageSize: UInt64 = 50

    let data: PublicData

    // MARK: GET /

    func home(check: String?) throws -> Page {
        let head = data.log.head
        let latest = try data.blocks(
            from: head.blockCount - min(head.blockCount, Self.latestCount), until: head.blockCount
        ).reversed()
        let notices = try data.notices()
        let older: HTML =
            head.blockCount > Self.latestCount
            ? "<p class=\"more\"><a href=\"/explorer/blocks?before=\(head.blockCount - Self.latestCount)\">Older blocks</a></p>"
            : ""
        let verify: HTML = check.flatMap(Format.parseHash).map(Self.verifyPanel) ?? ""
        let nextDay: HTML =
            data.day(atHeight: head.blockCount).map { day in
                "<p class=\"note\">The open day, \(day.date), closes at \(Format.instant(day.end.millisecondsSinceEpoch / 1000)) with block \(head.blockCount).</p>"
            } ?? ""
        let witnessed: HTML
        if !data.witnessed {
            witnessed = "<p class=\"note\" id=\"witnessed\">This log has no witnesses: only its own key signs its checkpoints.</p>"
        } else if let cosigned = head.cosignedCheckpoint, let size = try? Checkpoint(text: cosigned.text).size {
            let behind: HTML = size < head.treeSize ? " (\(head.treeSize - size) entries behind the newest)" : ""
            witnessed = """
                <h3>Witnessed</h3>
                \(Layout.fields([
                    ("Tree size", "<span id=\"cosigned-size\">\(size)</span> entries\(behind)"),
                    ("Cosigned by", Layout.cosigners(data.cosigners(of: cosigned), id: "checkpoint-cosigners")),
                ]))
                <p class="note">The checkpoint <a href="/checkpoint">/checkpoint</a> serves, with the witnesses' cosignatures. Check them against the witness policy with <code>tamga-audit chain --policy</code>.</p>
                """
        } else {
            witnessed = "<p class=\"note\" id=\"witnessed\">No checkpoint has the witness policy's quorum of cosignatures yet.</p>"
        }
        let body: HTML = """
            <h1>Latest blocks</h1>
            \(verify)
            <section class="checkpoint" aria-labelledby="checkpoint-title">
            <h2 id="checkpoint-title">Current checkpoint</h2>
            \(Layout.fields([
                ("Tree size", "<span id=\"tree-size\">\(head.treeSize)</span> entries"),
                ("Root hash", "<code class=\"hash\" id=\"root-hash\">\(head.rootHash.base64)</code>"),
                ("Blocks sealed", "\(head.blockCount)"),
            ]))
            <details><summary>Signed checkpoint note</summary><pre class="note-text">\(head.checkpoint.formatted)</pre></details>
            \(witnessed)
            </section>
            <section aria-labelledby="blocks-title">
            <h2 id="blocks-title">Daily blocks</h2>
            \(Layout.blockTable(Array(latest)))
            \(older)
            \(nextDay)
            </section>
            \(Self.receiptPanel)
            <section aria-labelledby="notices-title">
            <h2 id="notices-title">Compromise notices</h2>
            \(Layout.noticeList(Array(notices.prefix(5))))
            \(notices.count > 5 ? "<p class=\"more\"><a href=\"/explorer/compromises\">All \(notices.count) notices</a></p>" as HTML : "")
            </section>
            """
        return .ok("Latest blocks", body)
    }

    // MARK: GET /explorer/blocks

    func blockList(before: String?) throws -> Page {
        let count = data.log.head.blockCount
        var until = count
        if let before {
            guard let value = CanonicalDecimal.parse(before), value <= count else {
                return .error(.badRequest, "Bad request", "\"before\" must be a block height up to \(count).")
            }
            until = value
        }
        let from = until - min(until, Self.pageSize)
        let blocks = Array(try data.blocks(from: from, until: until).reversed())
        var links: [HTML] = []
        if until < count {
            links.append("<a href=\"/explorer/blocks?before=\(min(count, until + Self.pageSize))\">Newer blocks</a>")
        }
        if from > 0 {
            links.append("<a href=\"/explorer/blocks?before=\(from)\">Older blocks</a>")
        }
        let range: HTML = blocks.isEmpty ? "" : "<p>Blocks \(from) to \(until - 1) of \(count), newest first.</p>"
        let body: HTML = """
            <h1>Daily blocks</h1>
            \(range)
            \(Layout.blockTable(blocks))
            <p class="more">\(HTML.joined(links, separator: " · "))</p>
            """
        return .ok("Daily blocks", body)
    }

    // MARK: GET /explorer/blocks/<h>

    func block(_ text: String) throws -> Page {
        let count = data.log.head.blockCount
        guard let height = CanonicalDecimal.parse(text) else {
            return .error(
                .notFound, "No such block",
                "\"\(text)\" is not a block height: heights are 0, 1, 2, … (one block per day).")
        }
        guard let sealed = try data.block(height) else {
            var message = "Block \(height) is not sealed yet: "
            message += count == 0 ? "no block is sealed yet." : "the latest block is \(count - 1)."
            if let day = data.day(atHeight: height) {
                message += " It will close \(day.date), at \(Format.instant(day.end.millisecondsSinceEpoch / 1000))."
            }
            return .error(.notFound, "Block \(height) not sealed", message)
        }
        let block = sealed.block
        let previous: HTML =
            height == 0
            ? "<code class=\"hash\">\(Format.base64(block.previousHash))</code> (the <a href=\"/genesis\">genesis document</a>)"
            : "<code class=\"hash\">\(Format.base64(block.previousHash))</code> (<a href=\"/explorer/blocks/\(height - 1)\">block \(height - 1)</a>)"
        var navigation: [HTML] = []
        if height > 0 {
            navigation.append(
                "<a rel=\"prev\" id=\"prev\" href=\"/explorer/blocks/\(height - 1)\">← Block \(height - 1)</a>")
        }
        if height + 1 < count {
            navigation.append(
                "<a rel=\"next\" id=\"next\" href=\"/explorer/blocks/\(height + 1)\">Block \(height + 1) →</a>")
        } else {
            navigation.append("<span class=\"note\">the latest block</span>")
        }
        let dayRange: HTML =
            block.dayCount == 0 ? "none" : "\(block.dayFirst) to \(block.treeSize - 1)"
        let body: HTML = """
            <h1>Block \(height)</h1>
            <nav class="pager">\(HTML.joined(navigation, separator: " · "))</nav>
            \(Layout.fields([
                ("Height", "\(block.height)"),
                ("Date", "<span id=\"block-date\">\(block.date)</span>"),
                ("Day (UTC)", "<time>\(Format.instant(block.start))</time> to <time>\(Format.instant(block.end))</time>"),
                ("Events that day", "\(block.dayCount)"),
                ("Leaf indexes", dayRange),
                ("Day root", "<code class=\"hash\">\(Format.base64(block.dayRoot))</code>"),
                ("Tree size", "\(block.treeSize)"),
                ("Root hash", "<code class=\"hash\">\(Format.base64(block.rootHash))</code>"),
                ("Previous", previous),
                ("Block hash", "<code class=\"hash\" id=\"block-hash\">\(Format.base64(block.hash))</code>"),
                ("Cosigned by", Layout.cosigners(sealed.cosigners, id: "block-cosigners")),
            ], id: "block"))
            <h2>Signed note</h2>
            <p>As published at <a href="/blocks/\(height)">/blocks/\(height)</a>. The block hash is SHA-256 of the text up to and including the <code>day</code> line.</p>
            <pre class="note-text" id="note">\(sealed.note)</pre>
            """
        return .ok("Block \(height)", body)
    }

    // MARK: GET /explorer/compromises

    func compromises() throws -> Page {
        let notices = try data.notices()
        let body: HTML = """
            <h1>Compromise notices</h1>
            <p>When a private key is found compromised, the certification centre publishes the fact and the measures taken to limit the damage. Keys are named by fingerprint only.</p>
            \(Layout.noticeList(notices))
            """
        return .ok("Compromise notices", body)
    }

    // MARK: GET /explorer/search?q=

    func search(_ query: String?) throws -> Page {
        let q = (query ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !q.isEmpty else {
            return .ok(
                "Search",
                """
                <h1>Search</h1>
                <p>Type a leaf hash (base64 or base64url of SHA-256(0x00 ‖ entry), as in your receipt), a block height, or a date (YYYY-MM-DD) in the box above.</p>
                \(Self.receiptPanel)
                """)
        }
        if let hash = Format.parseHash(q) {
            return try leaf(hash)
        }
        var height = CanonicalDecimal.parse(q)
        if let date = try? LocalDate(parsing: q) {
            let days = date.days(since: data.calendar.startDate)
            guard days >= 0 else {
                return .error(
                    .notFound, "No block for \(date)",
                    "The chain starts on \(data.calendar.startDate): no block closes \(date).")
            }
            height = UInt64(days)
        }
        if let height {
            guard height < data.log.head.blockCount else { return try block(String(height)) }
            return Page(status: .seeOther, kind: .redirect("/explorer/blocks/\(height)"))
        }
        return .error(
            .badRequest, "Not found",
            "“\(q.prefix(80))” is not a leaf hash (32 bytes in base64 or base64url), a block height or a date (YYYY-MM-DD). Nothing was found."
        )
    }

    private func leaf(_ bytes: [UInt8]) throws -> Page {
        let encoded = Format.base64(bytes)
        guard let hash = Hash(bytes), let index = try data.log.leafIndex(of: hash) else {
            return .error(
                .notFound, "Not found",
                "No entry of this log has the leaf hash \(encoded). Check that you copied the whole hash; a leaf hash is SHA-256(0x00 ‖ entry), the hash a receipt's entry has."
            )
        }
        let head = data.log.head
        guard index < head.treeSize else {
            return .error(
                .notFound, "Not yet published",
                "The entry with leaf hash \(encoded) is being committed; try again in a second.")
        }
        let inclusion = try data.inclusionProof(.index(index), in: .size(head.treeSize))
        let (size, proof) = (inclusion.treeSize, inclusion.hashes)
        let sealedIn: HTML
        if let sealed = try data.block(containing: index, blockCount: head.blockCount) {
            sealedIn =
                "<a href=\"/explorer/blocks/\(sealed.block.height)\">block \(sealed.block.height)</a> (\(sealed.block.date))"
        } else if let day = data.day(atHeight: head.blockCount) {
            sealedIn =
                "not yet: the open day, \(day.date), closes with block \(head.blockCount) at \(Format.instant(day.end.millisecondsSinceEpoch / 1000))"
        } else {
            sealedIn = "not yet"
        }
        let hashes = proof.map { hash -> HTML in "<li><code class=\"hash\">\(hash.base64)</code></li>" }
        let proofList: HTML =
            hashes.isEmpty
            ? "<p>The proof is empty: the tree has one leaf, so its root is the leaf hash.</p>"
            : "<ol id=\"proof\" class=\"proof\" start=\"1\">\n\(HTML.joined(hashes, separator: "\n"))\n</ol>"
        let body: HTML = """
            <h1>Entry found</h1>
            \(Self.verifyPanel(bytes))
            \(Layout.fields([
                ("Leaf hash", "<code class=\"hash\">\(encoded)</code>"),
                ("Leaf index", "<span id=\"leaf-index\">\(index)</span>"),
                ("Sealed in", sealedIn),
                ("Tree size", "\(size)"),
                ("Root hash", "<code class=\"hash\">\(head.rootHash.base64)</code> (the current checkpoint)"),
            ], id: "leaf"))
            <h2>Inclusion proof</h2>
            <p>RFC 9162 audit path from the leaf to the root of the tree of \(size) entries, the leaf's sibling first (also at <a href="/proof/inclusion?hash=\(base64URL(bytes))">/proof/inclusion</a>).</p>
            \(proofList)
            """
        return .ok("Leaf \(index)", body)
    }

    // MARK: parts

    /// Filled in by explorer.js, which fetches `/checkpoint` and `/proof/inclusion` and checks
    /// the proof with WebCrypto; `#verdict` ends as "verified" or "failed".
    static func verifyPanel(_ leafHash: [UInt8]) -> HTML {
        """
        <section id="verify" class="verify" data-leaf="\(base64URL(leafHash))" aria-live="polite">
        <h2>Check in your browser</h2>
        <p>Result: <output id="verdict" data-state="pending">not checked (this check needs JavaScript)</output></p>
        <p id="verdict-detail" class="note">Your browser fetches the checkpoint and the inclusion proof and recomputes the root with SHA-256.</p>
        </section>
        """
    }

    /// The receipt checker runs only in the browser: its text area has no `name` and is in no
    /// form, so the entry a receipt carries is never sent anywhere; only its leaf hash is.
    static let receiptPanel: HTML = """
        <section id="receipt-check" class="receipt" hidden aria-labelledby="receipt-title">
        <h2 id="receipt-title">Check a receipt</h2>
        <p>Paste a receipt (<code>c2sp.org/tlog-proof@v1</code>). It stays in your browser: only its leaf hash is sent, to fetch proofs from this log.</p>
        <textarea id="receipt-text" rows="8" spellcheck="false" autocomplete="off" aria-label="Receipt text"></textarea>
        <p><button type="button" id="receipt-button">Check receipt</button></p>
        <p>Result: <output id="receipt-verdict" data-state="idle">not checked</output></p>
        <div id="receipt-detail" class="note"></div>
        </section>
        """

}
