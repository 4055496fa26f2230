import Codecs
/// Signs note texts. A protocol rather than a key type, so the node can sign with a key held in
/// libsodium's locked memory and tests with any Ed25519 implementation; the private key never
/// passes through this module.
///
/// Implementations must be safe to call from any task. `sign` gets the exact note text bytes
/// (ending in a newline) and returns the raw signature (64 bytes for Ed25519), without the key ID.
public protocol NoteSigner: Sendable {
    /// The key name written in the signature line (for the log key: the log's origin).
    var name: String { get }
    /// The C2SP key ID, see `NoteVerifier.keyID(name:publicKey:)`.
    var keyID: UInt32 { get }
    func sign(_ message: [UInt8]) throws -> [UInt8]
}

/// One signature line of a note: `— <name> <base64(key ID || signature)>`.
public struct NoteSignature: Sendable, Hashable {
    public let name: String
    public let keyID: UInt32
    /// The signature bytes after the 4-byte key ID.
    public let signature: [UInt8]

    /// - Throws: `invalidArgument` for an invalid key name or an empty signature.
    public init(name: String, keyID: UInt32, signature: [UInt8]) throws(LedgerFormatsError) {
        guard NoteVerifier.isValidName(name) else {
            throw LedgerFormatsError(.invalidArgument, "key name \"\(name)\" is not valid: it must be non-empty, without spaces or \"+\"")
        }
        guard !signature.isEmpty else {
            throw LedgerFormatsError(.invalidArgument, "a signature by \(name) is empty")
        }
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    /// The signature line without its final newline.
    public var line: String {
        let id = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: keyID >> $0) }
        return "\u{2014} \(name) \(Base64.encode(id + signature))"
    }

    /// Whether `other` is a line by the same key (name and key ID): a note holds one of each.
    public func isBySameKey(as other: NoteSignature) -> Bool { name == other.name && keyID == other.keyID }

    /// `name+keyID` in hex, how error messages and logs name a key.
    var keyDescription: String { "\(name)+\(NoteVerifier.hex(keyID))" }
}

/// A C2SP signed note: a text ending in a newline, a blank line, then one or more signature
/// lines. Parsing is as strict as golang.org/x/mod/sumdb/note and stricter where the spec leaves
/// room: canonical base64 only, and a second signature by the same key is refused, not dropped.
/// Signatures by keys the verifier does not know are kept (a witness's cosignature survives a
/// round trip) but never count towards verification.
public struct SignedNote: Sendable, Hashable {
    /// At most this many signature lines, as golang.org/x/mod/sumdb/note allows.
    public static let maxSignatures = 100

    /// The signed text, including its final newline but not the blank separator line.
    public let text: String
    /// In the order they appear; never empty, no two with the same name and key ID.
    public let signatures: [NoteSignature]

    /// Assembles a note from its text and existing signatures (for example as stored).
    public init(text: String, signatures: [NoteSignature]) throws(LedgerFormatsError) {
        try SignedNote.checkText(text, code: .invalidArgument)
        guard !signatures.isEmpty else {
            throw LedgerFormatsError(.invalidArgument, "a signed note needs at least one signature")
        }
        try SignedNote.checkSignatureSet(signatures, code: .invalidArgument)
        self.text = text
        self.signatures = signatures
    }

    /// Signs `text` with each signer in turn (the log key first, then any others).
    public init(signing text: String, with signers: [any NoteSigner]) throws {
        try SignedNote.checkText(text, code: .invalidArgument)
        let message = Array(text.utf8)
        let signatures = try signers.map { try SignedNote.signature(over: message, by: $0) }
        try self.init(text: text, signatures: signatures)
    }

    /// Parses a signed note strictly. It verifies nothing: call `verify(using:)`.
    public init(parsing bytes: some Collection<UInt8>) throws(LedgerFormatsError) {
        guard let note = String(validating: bytes, as: UTF8.self) else {
            throw LedgerFormatsError(.malformed, "a signed note must be valid UTF-8")
        }
        guard !NoteSyntax.hasControlCharacter(note, allowNewline: true) else {
            throw LedgerFormatsError(.malformed, "a signed note must not contain control characters other than newline (\\r, tabs...): it must be passed on byte for byte")
        }
        // The text ends at the last blank line: signature lines cannot contain one.
        let utf8 = Array(note.utf8)
        var split: Int? = nil
        if utf8.count >= 2 {
            for index in stride(from: utf8.count - 2, through: 0, by: -1)
            where utf8[index] == UInt8(ascii: "\n") && utf8[index + 1] == UInt8(ascii: "\n") {
                split = index
                break
            }
        }
        guard let split else {
            throw LedgerFormatsError(.malformed, "a signed note needs a blank line between the text and the signatures")
        }
        let text = String(decoding: utf8[...split], as: UTF8.self)
        let signatureBlock = String(decoding: utf8[(split + 2)...], as: UTF8.self)
        guard !signatureBlock.isEmpty else {
            throw LedgerFormatsError(.malformed, "a signed note has no signature lines after its blank line")
        }
        let lines = try NoteSyntax.lines(signatureBlock, what: "the last signature line of a note")
        guard lines.count <= SignedNote.maxSignatures else {
            throw LedgerFormatsError(.malformed, "a signed note has \(lines.count) signatures, more than the \(SignedNote.maxSignatures) allowed")
        }
        var signatures = [NoteSignature]()
        signatures.reserveCapacity(lines.count)
        for line in lines {
            signatures.append(try SignedNote.parseSignatureLine(line))
        }
        try SignedNote.checkSignatureSet(signatures, code: .malformed)
        self.text = text
        self.signatures = signatures
    }

    /// The note as published: text, blank line, signature lines.
    public var formatted: String {
        var out = text
        out += "\n"
        for signature in signatures {
            out += signature.line
            out += "\n"
        }
        return out
    }

    /// A copy with one more signature (a cosignature, or the log's own signature on a note
    /// another key signed first). The existing signatures are kept as they are.
    ///
    /// - Throws: `invalidArgument` if this key already signed, or the signer's own error.
    public func adding(signatureBy signer: any NoteSigner) throws -> SignedNote {
        try adding(SignedNote.signature(over: Array(text.utf8), by: signer))
    }

    /// A copy with `signature` appended (for example a witness's cosignature line).
    public func adding(_ signature: NoteSignature) throws(LedgerFormatsError) -> SignedNote {
        try SignedNote(text: text, signatures: signatures + [signature])
    }

    /// Verifies the note against the trusted keys and returns the signatures that verified.
    ///
    /// Signatures by unknown keys (another name or key ID) are ignored. A signature by a known
    /// key that does not verify fails the whole note, as does a note no known key signed.
    public func verify(using verifiers: [NoteVerifier]) throws(LedgerFormatsError) -> [NoteSignature] {
        let message = Array(text.utf8)
        var verified = [NoteSignature]()
        for signature in signatures {
            let matching = verifiers.filter { $0.name == signature.name && $0.keyID == signature.keyID }
            guard let verifier = matching.first else { continue }
            guard matching.dropFirst().allSatisfy({ $0 == verifier }) else {
                throw LedgerFormatsError(.invalidArgument, "two different trusted keys share the name and key ID \(signature.keyDescription): remove the wrong one from the trusted keys")
            }
            guard verifier.isValidSignature(signature.signature, for: message) else {
                throw LedgerFormatsError(.invalidSignature, "the signature by \(signature.keyDescription) does not verify: the note was altered after signing, or the signature is corrupted")
            }
            verified.append(signature)
        }
        guard !verified.isEmpty else {
            let found = signatures.map(\.keyDescription).joined(separator: ", ")
            let expected = verifiers.map { "\($0.name)+\(NoteVerifier.hex($0.keyID))" }.joined(separator: ", ")
            throw LedgerFormatsError(.invalidSignature, "no signature by a trusted key: the note is signed by \(found); trusted: \(expected.isEmpty ? "none" : expected)")
        }
        return verified
    }

    /// Verifies the note against one trusted key; see `verify(using:)`.
    public func verify(using verifier: NoteVerifier) throws(LedgerFormatsError) {
        _ = try verify(using: [verifier])
    }

    // MARK: - Internals

    private static func signature(over message: [UInt8], by signer: any NoteSigner) throws -> NoteSignature {
        let name = signer.name
        guard NoteVerifier.isValidName(name) else {
            throw LedgerFormatsError(.invalidArgument, "signer name \"\(name)\" is not a valid key name: it must be non-empty, without spaces or \"+\"")
        }
        let bytes = try signer.sign(message)
        guard !bytes.isEmpty else {
            throw LedgerFormatsError(.invalidArgument, "signer \(name) returned an empty signature")
        }
        return try NoteSignature(name: name, keyID: signer.keyID, signature: bytes)
    }

    private static func checkText(_ text: String, code: LedgerFormatsError.Code) throws(LedgerFormatsError) {
        guard text.utf8.last == UInt8(ascii: "\n") else {
            throw LedgerFormatsError(code, "a note text must end with a newline")
        }
        guard !NoteSyntax.hasControlCharacter(text, allowNewline: true) else {
            throw LedgerFormatsError(code, "a note text must not contain control characters other than newline")
        }
    }

    private static func checkSignatureSet(_ signatures: [NoteSignature], code: LedgerFormatsError.Code) throws(LedgerFormatsError) {
        guard signatures.count <= maxSignatures else {
            throw LedgerFormatsError(code, "a signed note can hold at most \(maxSignatures) signatures")
        }
        var seen = Set<String>()
        for signature in signatures where !seen.insert(signature.keyDescription).inserted {
            throw LedgerFormatsError(code, "the note is signed twice by \(signature.keyDescription): a key signs a note once")
        }
    }

    private static func parseSignatureLine(_ line: Substring) throws(LedgerFormatsError) -> NoteSignature {
        let prefix = "\u{2014} "
        guard line.hasPrefix(prefix) else {
            throw LedgerFormatsError(.malformed, "a signature line must start with an em dash (U+2014) and a space, found \"\(line.prefix(40))\"")
        }
        let rest = line.dropFirst(prefix.count)
        guard let space = rest.firstIndex(of: " ") else {
            throw LedgerFormatsError(.malformed, "a signature line must be \"\u{2014} <name> <base64>\", found \"\(line.prefix(60))\"")
        }
        let name = rest[..<space]
        guard NoteVerifier.isValidName(name) else {
            throw LedgerFormatsError(.malformed, "signature key name \"\(name.prefix(60))\" is not valid")
        }
        guard let bytes = Base64.decode(rest[rest.index(after: space)...]), bytes.count > 4 else {
            throw LedgerFormatsError(.malformed, "the signature by \(name) is not canonical base64 of a 4-byte key ID and a signature")
        }
        let keyID = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return try NoteSignature(name: String(name), keyID: keyID, signature: Array(bytes.dropFirst(4)))
    }
}
