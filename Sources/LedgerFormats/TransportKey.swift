import Codecs

/// The HSM's transport key statement (docs/formats.md, "Transport key statement"): the X25519 key that
/// owners' apps seal passwords to (`crypto_box_seal`, R10), with the time it may be used,
/// signed by the log key so that an app pinning the genesis key can tell it from a key a man
/// in the middle put there. Its text is
///
/// ```
/// tamga transport key v1
/// <origin>
/// crypto_box_seal <base64 32-byte X25519 public key>
/// valid <from> <until>
/// ```
///
/// with whole-second UTC instants like a block's `date` line. The first line has spaces, which
/// no origin has, so no checkpoint verifier can take the statement for a checkpoint.
public struct TransportKeyStatement: Sendable, Hashable {
    public static let header = "tamga transport key v1"

    public let origin: String
    public let publicKey: [UInt8]
    /// Unix seconds: the key may be used from `validFrom` until just before `validUntil`.
    public let validFrom: Int64
    public let validUntil: Int64

    /// - Throws: `invalidArgument` for an origin that cannot be a line, a key that is not 32
    ///   bytes, or a period that is empty or outside the years 0001-9999.
    public init(origin: String, publicKey: [UInt8], validFrom: Int64, validUntil: Int64) throws(LedgerFormatsError) {
        try self.init(origin: origin, publicKey: publicKey, validFrom: validFrom, validUntil: validUntil, code: .invalidArgument)
    }

    private init(origin: String, publicKey: [UInt8], validFrom: Int64, validUntil: Int64, code: LedgerFormatsError.Code)
        throws(LedgerFormatsError)
    {
        guard !origin.isEmpty, !origin.utf8.contains(UInt8(ascii: " ")),
            !NoteSyntax.hasControlCharacter(origin, allowNewline: false)
        else {
            throw LedgerFormatsError(code, "a transport key statement's origin must be a non-empty word without control characters")
        }
        guard publicKey.count == 32 else {
            throw LedgerFormatsError(code, "a transport key is a 32-byte X25519 public key, got \(publicKey.count) bytes")
        }
        guard BlockTime.range.contains(validFrom), BlockTime.range.contains(validUntil), validFrom < validUntil else {
            throw LedgerFormatsError(code, "a transport key's validity must start before it ends, within the years 0001-9999")
        }
        self.origin = origin
        self.publicKey = publicKey
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Parses the statement's text (what `text` returns), without verifying any signature.
    public init(text: String) throws(LedgerFormatsError) {
        guard !NoteSyntax.hasControlCharacter(text, allowNewline: true) else {
            throw LedgerFormatsError(.malformed, "a transport key statement must not contain control characters other than newline")
        }
        let lines = try NoteSyntax.lines(text, what: "a transport key statement")
        guard lines.count == 4, lines[0] == Self.header else {
            throw LedgerFormatsError(
                .malformed, "a transport key statement is exactly four lines, the first \"\(Self.header)\"")
        }
        let key = lines[2].split(separator: " ", omittingEmptySubsequences: false)
        let valid = lines[3].split(separator: " ", omittingEmptySubsequences: false)
        guard key.count == 2, key[0] == "crypto_box_seal", valid.count == 3, valid[0] == "valid" else {
            throw LedgerFormatsError(
                .malformed, "a transport key statement's lines 3 and 4 are \"crypto_box_seal <key>\" and \"valid <from> <until>\"")
        }
        guard let publicKey = Base64.decode(key[1]) else {
            throw LedgerFormatsError(.malformed, "the transport key must be standard base64, found \"\(key[1].prefix(60))\"")
        }
        try self.init(
            origin: String(lines[1]), publicKey: publicKey,
            validFrom: BlockTime.parseInstant(valid[1], field: "the transport key's start"),
            validUntil: BlockTime.parseInstant(valid[2], field: "the transport key's end"), code: .malformed)
    }

    /// Verifies the statement's signature by the log key and parses it; its origin must be the
    /// key's name, as a checkpoint's must.
    public init(note: SignedNote, verifier: NoteVerifier) throws(LedgerFormatsError) {
        try note.verify(using: verifier)
        try self.init(text: note.text)
        guard origin == verifier.name else {
            throw LedgerFormatsError(
                .verificationFailed, "the transport key statement is for \"\(origin)\", not for the log \"\(verifier.name)\"")
        }
    }

    public var text: String {
        "\(Self.header)\n\(origin)\ncrypto_box_seal \(Base64.encode(publicKey))\n"
            + "valid \(BlockTime.formatInstant(validFrom)) \(BlockTime.formatInstant(validUntil))\n"
    }

    /// Whether the key may be used at `seconds` (Unix time).
    public func isValid(at seconds: Int64) -> Bool { validFrom <= seconds && seconds < validUntil }

    /// Signs the statement with the log key, whose name must be the origin.
    public func signed(by signer: any NoteSigner) throws -> SignedNote {
        guard signer.name == origin else {
            throw LedgerFormatsError(.invalidArgument, "the log key \"\(signer.name)\" must be named after the origin \"\(origin)\"")
        }
        return try SignedNote(signing: text, with: [signer])
    }
}
