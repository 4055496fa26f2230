import Codecs

/// A C2SP tlog-policy file: the logs trusted, the witnesses, and the quorum of cosignatures a
/// checkpoint needs to be accepted. The node reads it to know whom to ask and what to serve, the
/// auditor to know what to demand.
///
///     log <vkey> [<url>]
///     witness <name> <vkey> [<url>]
///     group <name> all|any|<k> <name>...
///     quorum <name>|none
///
/// Parsed strictly: names are defined before use and once, each member appears once in a
/// group, 1 <= k <= members, exactly one quorum line, no duplicate keys, and only tab, newline,
/// printable ASCII and non-ASCII octets. Lines starting with `#` and blank lines are ignored.
public struct WitnessPolicy: Sendable {
    public struct Log: Sendable, Hashable {
        public let verifier: NoteVerifier
        public let url: String?
    }

    public struct Witness: Sendable, Hashable {
        /// The name the policy gives it (the quorum's vocabulary, not the key name).
        public let name: String
        public let verifier: CosignatureVerifier
        /// Its submission prefix (tlog-witness), where the node sends checkpoints.
        public let url: String?
    }

    /// What a group or the quorum demands.
    indirect enum Rule: Sendable, Hashable {
        case none
        case witness(String)
        /// At least `threshold` of the members.
        case group(threshold: Int, members: [Rule])
    }

    public let logs: [Log]
    public let witnesses: [Witness]
    let quorum: Rule

    /// Bounds a policy may not exceed (the spec asks implementations to support 32 of each).
    public static let maxBytes = 64 * 1024
    public static let maxEntries = 256

    public init(parsing bytes: [UInt8]) throws(LedgerFormatsError) {
        guard bytes.count <= Self.maxBytes else {
            throw LedgerFormatsError(.malformed, "a witness policy is at most \(Self.maxBytes) bytes, this one \(bytes.count)")
        }
        if let bad = bytes.firstIndex(where: { $0 != 0x09 && $0 != 0x0A && ($0 < 0x20 || $0 == 0x7F) }) {
            throw LedgerFormatsError(.malformed, "the witness policy has a control character (0x\(String(bytes[bad], radix: 16))) at byte \(bad)")
        }
        var logs: [Log] = []
        var witnesses: [Witness] = []
        var rules: [String: Rule] = ["none": .none]
        var quorum: Rule?
        var lineNumber = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            let words = rawLine.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).map {
                String(decoding: $0, as: UTF8.self)
            }
            guard let keyword = words.first, !keyword.hasPrefix("#") else { continue }
            func fail(_ message: String) -> LedgerFormatsError {
                LedgerFormatsError(.malformed, "witness policy line \(lineNumber): \(message)")
            }
            /// A submission prefix: http(s), without the trailing slash `/add-checkpoint` follows.
            func url(at index: Int) throws(LedgerFormatsError) -> String? {
                guard index < words.count else { return nil }
                let url = words[index]
                guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.count > 8 else {
                    throw fail("a URL starts with https:// (or http://), not \"\(url.prefix(40))\"")
                }
                return url.hasSuffix("/") ? String(url.dropLast()) : url
            }
            func define(_ name: String, as rule: Rule) throws(LedgerFormatsError) {
                guard rules[name] == nil else {
                    throw fail(name == "none" ? "\"none\" is predefined" : "\"\(name)\" is defined twice")
                }
                guard rules.count <= Self.maxEntries else { throw fail("more than \(Self.maxEntries) witnesses and groups") }
                rules[name] = rule
            }
            switch keyword {
            case "log":
                guard words.count == 2 || words.count == 3 else { throw fail("expected: log <vkey> [<url>]") }
                let verifier: NoteVerifier
                do { verifier = try NoteVerifier(verifierKey: words[1]) } catch { throw fail(error.message) }
                guard !logs.contains(where: { $0.verifier.publicKey == verifier.publicKey }) else {
                    throw fail("the log key of \(verifier.name) is listed twice")
                }
                guard logs.count < Self.maxEntries else { throw fail("more than \(Self.maxEntries) logs") }
                logs.append(Log(verifier: verifier, url: try url(at: 2)))
            case "witness":
                guard words.count == 3 || words.count == 4 else { throw fail("expected: witness <name> <vkey> [<url>]") }
                let verifier: CosignatureVerifier
                do { verifier = try CosignatureVerifier(verifierKey: words[2]) } catch { throw fail(error.message) }
                guard !witnesses.contains(where: { $0.verifier.publicKey == verifier.publicKey }) else {
                    throw fail("the key of witness \(words[1]) is already listed")
                }
                try define(words[1], as: .witness(words[1]))
                witnesses.append(Witness(name: words[1], verifier: verifier, url: try url(at: 3)))
            case "group":
                guard words.count >= 4 else { throw fail("expected: group <name> all|any|<k> <member>...") }
                let names = Array(words[3...])
                guard Set(names).count == names.count else { throw fail("a member is listed twice in group \(words[1])") }
                var members: [Rule] = []
                for name in names {
                    guard name != "none" else { throw fail("\"none\" cannot be a group member") }
                    guard let rule = rules[name] else { throw fail("\"\(name)\" is not defined on an earlier line") }
                    members.append(rule)
                }
                let threshold: Int
                switch words[2] {
                case "all": threshold = members.count
                case "any": threshold = 1
                default:
                    guard let k = CanonicalDecimal.parse(words[2]).flatMap({ Int(exactly: $0) }), (1...members.count).contains(k)
                    else {
                        throw fail("the threshold must be all, any or a decimal from 1 to \(members.count), not \"\(words[2].prefix(20))\"")
                    }
                    threshold = k
                }
                try define(words[1], as: .group(threshold: threshold, members: members))
            case "quorum":
                guard words.count == 2 else { throw fail("expected: quorum <name>") }
                guard quorum == nil else { throw fail("a policy has exactly one quorum line") }
                guard let rule = rules[words[1]] else { throw fail("\"\(words[1])\" is not defined on an earlier line") }
                quorum = rule
            default:
                throw fail("unknown keyword \"\(keyword.prefix(20))\": expected log, witness, group or quorum")
            }
        }
        guard let quorum else {
            throw LedgerFormatsError(.malformed, "the witness policy has no quorum line (write `quorum none` to require no witness)")
        }
        self.logs = logs
        self.witnesses = witnesses
        self.quorum = quorum
    }

    /// The witnesses of this policy that validly cosigned `note`, with their cosignature times.
    public func cosigners(of note: SignedNote) -> [String: UInt64] {
        var found: [String: UInt64] = [:]
        for witness in witnesses {
            if let time = witness.verifier.cosignatureTime(on: note) { found[witness.name] = time }
        }
        return found
    }

    /// Whether these witnesses together meet the quorum.
    public func isSatisfied(by cosigners: some Collection<String>) -> Bool {
        let set = Set(cosigners)
        func met(_ rule: Rule) -> Bool {
            switch rule {
            case .none: true
            case .witness(let name): set.contains(name)
            case .group(let threshold, let members): members.lazy.filter(met).count >= threshold
            }
        }
        return met(quorum)
    }

    /// Whether the policy asks for no cosignature at all (`quorum none`).
    public var requiresNoWitness: Bool { quorum == .none }
}
