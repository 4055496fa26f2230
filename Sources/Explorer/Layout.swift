import Codecs
internal import Foundation
import LedgerFormats
import PublicAPI

/// The frame every page shares: head, header with the search form, footer with the raw routes.
/// Scripts and styles are separate files, so the Content-Security-Policy can forbid inline code.
enum Layout {
    static func page(title: String, origin: String, body: HTML) -> String {
        let html: HTML = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>\(title) · Tamga explorer</title>
            <link rel="stylesheet" href="\(Assets.cssPath)">
            <script src="\(Assets.jsPath)" defer></script>
            </head>
            <body>
            <header class="top">
            <a class="brand" href="/">Tamga explorer</a>
            <span class="origin" title="The log's origin">\(origin)</span>
            <form id="search" class="search" action="/explorer/search" method="get" role="search">
            <label class="sr-only" for="q">Leaf hash, block height or date</label>
            <input id="q" name="q" type="search" placeholder="Leaf hash, block height or date" autocomplete="off" spellcheck="false" maxlength="200">
            <button type="submit">Search</button>
            </form>
            </header>
            <main>
            \(body)
            </main>
            <footer>
            <nav>
            <a href="/">Latest blocks</a>
            <a href="/explorer/blocks">All blocks</a>
            <a href="/explorer/compromises">Compromise notices</a>
            <a href="/checkpoint">/checkpoint</a>
            <a href="/genesis">/genesis</a>
            <a href="/blocks">/blocks</a>
            </nav>
            <p>A public, append-only audit log: every key event is a leaf of an RFC 9162 Merkle tree, and every day closes with a signed block. Entries are personal data and are never published; only their leaf hashes are.</p>
            </footer>
            </body>
            </html>

            """
        return html.text
    }

    /// A list of blocks, newest first; the rows carry the height so tests and scripts can find them.
    static func blockTable(_ blocks: [SealedBlock]) -> HTML {
        guard !blocks.isEmpty else {
            return
                "<p class=\"empty\">No block is sealed yet: the first closes at the end of the chain's first day.</p>"
        }
        let rows = blocks.map { sealed -> HTML in
            let block = sealed.block
            let dayRoot = Format.base64(block.dayRoot)
            return """
                <tr data-height="\(block.height)">
                <td><a href="/explorer/blocks/\(block.height)">\(block.height)</a></td>
                <td>\(block.date)</td>
                <td class="num">\(block.dayCount)</td>
                <td><code class="hash" title="\(dayRoot)">\(Format.short(dayRoot))</code></td>
                <td class="num">\(block.treeSize)</td>
                <td>\(sealed.cosigners.isEmpty ? "none" : sealed.cosigners.map(\.name).joined(separator: ", "))</td>
                </tr>
                """
        }
        return """
            <div class="scroll">
            <table id="blocks" class="blocks">
            <thead><tr><th scope="col">Block</th><th scope="col">Date</th><th scope="col" class="num">Events that day</th><th scope="col">Day root</th><th scope="col" class="num">Tree size</th><th scope="col">Cosigned by</th></tr></thead>
            <tbody>
            \(HTML.joined(rows, separator: "\n"))
            </tbody>
            </table>
            </div>
            """
    }

    /// The witnesses who cosigned a note, with the time each states; "none" when no witness did.
    static func cosigners(_ cosigners: [Cosigner], id: String) -> HTML {
        guard !cosigners.isEmpty else { return "<span id=\"\(id)\">none</span>" }
        let items = cosigners.map { cosigner -> HTML in
            let time: HTML = cosigner.time.flatMap { Int64(exactly: $0) }.map { " at <time>\(Format.instant($0))</time>" } ?? ""
            return "<li><code>\(cosigner.name)</code>\(time)</li>"
        }
        return "<ul class=\"cosigners\" id=\"\(id)\">\(HTML.joined(items))</ul>"
    }

    static func noticeList(_ notices: [CompromiseNotice]) -> HTML {
        guard !notices.isEmpty else {
            return "<p class=\"empty\" id=\"no-notices\">No key compromise has been published.</p>"
        }
        let items = notices.map { notice -> HTML in
            """
            <li class="notice">
            <p><time>\(notice.time.rfc3339Milliseconds)</time> · key <code class="hash">\(notice.keyFingerprint)</code></p>
            <p class="measures">\(notice.measures)</p>
            </li>
            """
        }
        return "<ul id=\"notices\" class=\"notices\">\n\(HTML.joined(items, separator: "\n"))\n</ul>"
    }

    /// Label and value rows; values are HTML so callers can add links and `<code>`.
    static func fields(_ rows: [(String, HTML)], id: String? = nil) -> HTML {
        let items = rows.map { name, value -> HTML in "<dt>\(name)</dt><dd>\(value)</dd>" }
        let idAttribute: HTML = id.map { (id: String) -> HTML in " id=\"\(id)\"" } ?? ""
        return "<dl class=\"fields\"\(idAttribute)>\n\(HTML.joined(items, separator: "\n"))\n</dl>"
    }
}

/// Text forms of the values the pages show, matching the published formats.
enum Format {
    static func base64(_ bytes: [UInt8]) -> String {
        Base64.encode(bytes)
    }

    /// The first characters of a hash, for tables; the full value stays in `title`.
    static func short(_ hash: String) -> String {
        hash.count > 12 ? String(hash.prefix(12)) + "…" : hash
    }

    /// `2026-11-23T19:00:00Z` for Unix seconds, as a block's `date` line writes it.
    static func instant(_ seconds: Int64) -> String {
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow, let timestamp = try? Timestamp(millisecondsSinceEpoch: milliseconds),
            let text = try? timestamp.rfc3339Seconds
        else { return "\(seconds) s" }
        return text
    }

    /// A 32-byte hash typed as standard base64 or base64url, with or without padding. A form
    /// turns `+` into a space when a visitor types it raw into a URL, so spaces read as `+`.
    static func parseHash(_ text: String) -> [UInt8]? {
        var standard = ""
        for character in text.trimmingCharacters(in: .whitespacesAndNewlines) {
            switch character {
            case "-": standard.append("+")
            case "_": standard.append("/")
            case " ": standard.append("+")
            default: standard.append(character)
            }
        }
        while standard.hasSuffix("=") { standard.removeLast() }
        guard standard.count == 43 else { return nil }
        // Only the canonical spelling: the 43rd character carries 4 bits, the last 2 must be 0.
        guard let bytes = Base64.decode(standard + "="), bytes.count == 32 else { return nil }
        return bytes
    }
}
