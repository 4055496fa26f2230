import Codecs
import Foundation
public import LedgerFormats

/// The logs a witness cosigns for, one per line (`#` comments and blank lines ignored):
///
///     log <vkey>                                     any C2SP log: cosignature/v1 only
///     log <vkey> tamga <genesis SHA-256 hex> [<url>]   a Tamga log: its daily blocks are also checked
///
/// The vkey is the log's verifier key (its name is the origin). For a Tamga log, the genesis
/// hash pins block 0's `prev`; the witness then also makes the Tamga block statement
/// (docs/witnessing.md) under its block key. With the log's public URL (http or https), it
/// also recomputes each block's day root from the log's tiles before vouching for it.
public struct LogList: Sendable {
    public struct Log: Sendable, Hashable {
        public let verifier: NoteVerifier
        /// Set for a Tamga log: the SHA-256 of its genesis document.
        public let genesisHash: [UInt8]?
        /// A Tamga log's public API, without a final `/`: where its tiles are read.
        public let url: String?
        public var origin: String { verifier.name }
    }

    public let logs: [String: Log]

    public static let maxLogs = 10_000

    public init(parsing text: String) throws(WitnessError) {
        var logs: [String: Log] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first, !first.hasPrefix("#") else { continue }
            func fail(_ message: String) -> WitnessError {
                WitnessError(.configuration, "logs file line \(index + 1): \(message)")
            }
            guard first == "log", words.count == 2 || ((4...5).contains(words.count) && words[2] == "tamga") else {
                throw fail("expected `log <vkey>` or `log <vkey> tamga <genesis sha256 hex> [<public url>]`")
            }
            let verifier: NoteVerifier
            do {
                verifier = try NoteVerifier(verifierKey: String(words[1]))
            } catch {
                throw fail(error.message)
            }
            var genesisHash: [UInt8]?
            var url: String?
            if words.count == 5 {
                let text = words[4].hasSuffix("/") ? String(words[4].dropLast()) : String(words[4])
                guard let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil,
                    parsed.query == nil, parsed.fragment == nil, parsed.user == nil, parsed.password == nil
                else {
                    throw fail("the log's public URL must be http(s)://host[:port][/path], not \(words[4])")
                }
                url = text
            }
            if words.count >= 4 {
                guard words[3].utf8.count == 64, let hash = bytes(hex: words[3]), hex(hash) == words[3] else {
                    throw fail("the genesis hash is 64 lowercase hex digits (sha256sum genesis.json)")
                }
                genesisHash = hash
            }
            guard logs[verifier.name] == nil else { throw fail("the origin \(verifier.name) is listed twice") }
            guard logs.count < Self.maxLogs else { throw fail("more than \(Self.maxLogs) logs") }
            logs[verifier.name] = Log(verifier: verifier, genesisHash: genesisHash, url: url)
        }
        self.logs = logs
    }
}
