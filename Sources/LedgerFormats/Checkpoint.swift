import Codecs
internal import Crypto

/// A C2SP tlog-checkpoint: the note text `<origin>\n<tree size>\n<base64 root hash>\n` followed
/// by optional extension lines. The log signs it with the key named after its origin.
public struct Checkpoint: Sendable, Hashable {
    public let origin: String
    public let size: UInt64
    /// The RFC 9162 root hash of the first `size` leaves (32 bytes).
    public let rootHash: [UInt8]
    /// Lines after the root hash, without newlines; each non-empty.
    public let extensions: [String]

    /// - Throws: `invalidArgument` if a field cannot be written as a checkpoint line.
    public init(origin: String, size: UInt64, rootHash: [UInt8], extensions: [String] = []) throws(LedgerFormatsError) {
        try self.init(origin: origin, size: size, rootHash: rootHash, extensions: extensions, code: .invalidArgument)
    }

    private init(origin: String, size: UInt64, rootHash: [UInt8], extensions: [String], code: LedgerFormatsError.Code) throws(LedgerFormatsError) {
        guard !origin.isEmpty, !NoteSyntax.hasControlCharacter(origin, allowNewline: false) else {
            throw LedgerFormatsError(code, "a checkpoint origin must be a non-empty line without control characters")
        }
        guard rootHash.count == 32 else {
            throw LedgerFormatsError(code, "a checkpoint root hash is 32 bytes, got \(rootHash.count)")
        }
        if size == 0 && rootHash != Checkpoint.emptyTreeRoot {
            throw LedgerFormatsError(code, "the root hash of an empty tree is SHA-256 of the empty string (RFC 9162)")
        }
        for line in extensions where line.isEmpty || NoteSyntax.hasControlCharacter(line, allowNewline: false) {
            throw LedgerFormatsError(code, "checkpoint extension lines must be non-empty lines without control characters")
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// Parses a checkpoint note text (what `text` returns), without verifying any signature.
    public init(text: String) throws(LedgerFormatsError) {
        guard !NoteSyntax.hasControlCharacter(text, allowNewline: true) else {
            throw LedgerFormatsError(.malformed, "a checkpoint must not contain control characters other than newline")
        }
        let lines = try NoteSyntax.lines(text, what: "a checkpoint")
        guard lines.count >= 3 else {
            throw LedgerFormatsError(.malformed, "a checkpoint has at least three lines (origin, tree size, root hash), found \(lines.count)")
        }
        try self.init(
            origin: String(lines[0]),
            size: NoteSyntax.decimal(lines[1], field: "checkpoint tree size"),
            rootHash: NoteSyntax.hash(lines[2], field: "checkpoint root hash"),
            extensions: lines.dropFirst(3).map(String.init),
            code: .malformed
        )
    }

    /// Verifies a signed checkpoint against the log's key, then parses it. The origin must be
    /// the key's name (docs/formats.md, "Checkpoints"), so a checkpoint of another log signed by a key of the
    /// same name is refused rather than mistaken for ours.
    public init(note: SignedNote, verifier: NoteVerifier) throws(LedgerFormatsError) {
        try note.verify(using: verifier)
        try self.init(text: note.text)
        guard origin == verifier.name else {
            throw LedgerFormatsError(.verificationFailed, "the checkpoint's origin \"\(origin)\" is not the log key's name \"\(verifier.name)\": it belongs to another log")
        }
    }

    /// The note text: origin, size, root hash and extension lines, each ending in a newline.
    public var text: String {
        var out = "\(origin)\n\(size)\n\(Base64.encode(rootHash))\n"
        for line in extensions {
            out += line
            out += "\n"
        }
        return out
    }

    /// Signs the checkpoint with the log key, whose name must be the origin.
    public func signed(by signer: any NoteSigner) throws -> SignedNote {
        guard signer.name == origin else {
            throw LedgerFormatsError(.invalidArgument, "the log key \"\(signer.name)\" must be named after the origin \"\(origin)\"")
        }
        return try SignedNote(signing: text, with: [signer])
    }

    /// SHA-256 of the empty string: the root of the tree with no leaves.
    static let emptyTreeRoot: [UInt8] = Array(SHA256.hash(data: [UInt8]()))
}
