import Codecs
internal import Crypto

/// An Ed25519 public key with the name it signs notes under (C2SP signed-note, signature type
/// 0x01). Auditors build it from the genesis document's verifier key string; the node builds it
/// from the public half of its log key, so both sides compute the same key ID.
public struct NoteVerifier: Sendable, Hashable, CustomStringConvertible {
    /// The signed-note signature type byte of Ed25519.
    static let ed25519Type: UInt8 = 0x01

    public let name: String
    public let keyID: UInt32
    /// The 32-byte Ed25519 public key (RFC 8032 encoding).
    public let publicKey: [UInt8]
    private let key: Curve25519.Signing.PublicKey

    /// - Throws: `invalidArgument` if the name is not a valid key name or the key is not 32 bytes.
    public init(name: String, publicKey: [UInt8]) throws(LedgerFormatsError) {
        try self.init(name: name, publicKey: publicKey, errorCode: .invalidArgument)
    }

    private init(name: String, publicKey: [UInt8], errorCode: LedgerFormatsError.Code) throws(LedgerFormatsError) {
        guard NoteVerifier.isValidName(name) else {
            throw LedgerFormatsError(errorCode, "key name \"\(name)\" is not valid: it must be non-empty, without spaces or \"+\"")
        }
        guard publicKey.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else {
            throw LedgerFormatsError(errorCode, "an Ed25519 public key is 32 bytes, got \(publicKey.count)")
        }
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteVerifier.keyID(name: name, publicKey: publicKey)
        self.key = key
    }

    /// Parses a verifier key string `<name>+<8 lowercase hex key ID>+<base64(0x01 || key)>`,
    /// refusing any other spelling and a key ID that does not match the key.
    public init(verifierKey: String) throws(LedgerFormatsError) {
        let (name, claimedID, key) = try NoteVerifier.parse(verifierKey, type: NoteVerifier.ed25519Type, what: "Ed25519")
        try self.init(name: name, publicKey: key, errorCode: .malformed)
        guard keyID == claimedID else {
            throw LedgerFormatsError(.malformed, "verifier key ID \(NoteVerifier.hex(claimedID)) does not match its key (expected \(NoteVerifier.hex(keyID))); the string is corrupted")
        }
    }

    /// The parts of a vkey `<name>+<8 lowercase hex key ID>+<base64(type || 32-byte key)>` of
    /// the given signature type; the caller checks the name and the key ID.
    static func parse(_ verifierKey: String, type expected: UInt8, what: String) throws(LedgerFormatsError)
        -> (name: String, keyID: UInt32, publicKey: [UInt8])
    {
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw LedgerFormatsError(.malformed, "a verifier key has the form <name>+<key ID>+<base64 key>; check that the whole string was copied")
        }
        let idHex = parts[1]
        guard idHex.utf8.count == 8, idHex.utf8.allSatisfy({ NoteVerifier.hexValue($0) != nil }) else {
            throw LedgerFormatsError(.malformed, "verifier key ID must be 8 lowercase hex digits, found \"\(idHex.prefix(20))\"")
        }
        let keyID = idHex.utf8.reduce(UInt32(0)) { $0 << 4 | UInt32(NoteVerifier.hexValue($1) ?? 0) }
        guard let keyData = Base64.decode(parts[2]), let type = keyData.first else {
            throw LedgerFormatsError(.malformed, "verifier key data is not canonical standard base64")
        }
        guard type == expected else {
            throw LedgerFormatsError(
                .unsupported,
                "verifier key type 0x\(String(type, radix: 16)) is not the \(what) type 0x\(String(expected, radix: 16))")
        }
        guard keyData.count == 33 else {
            throw LedgerFormatsError(.malformed, "an Ed25519 verifier key holds 32 key bytes, found \(keyData.count - 1)")
        }
        return (String(parts[0]), keyID, Array(keyData.dropFirst()))
    }

    /// The C2SP verifier key string, as published in the genesis document.
    public var verifierKey: String {
        "\(name)+\(NoteVerifier.hex(keyID))+\(Base64.encode([NoteVerifier.ed25519Type] + publicKey))"
    }

    public var description: String { verifierKey }

    /// Key ID = first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key).
    public static func keyID(name: String, publicKey: [UInt8]) -> UInt32 {
        keyID(name: name, type: ed25519Type, publicKey: publicKey)
    }

    /// The signed-note key ID of a key of signature type `type`.
    static func keyID(name: String, type: UInt8, publicKey: [UInt8]) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8))
        hasher.update(data: [0x0A, type])
        hasher.update(data: publicKey)
        return hasher.finalize().withUnsafeBytes { digest in
            digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
    }

    /// Whether `signature` (64 bytes, without the key ID prefix) is this key's over `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: message)
    }

    public static func == (lhs: NoteVerifier, rhs: NoteVerifier) -> Bool {
        lhs.name == rhs.name && lhs.publicKey == rhs.publicKey
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(publicKey)
    }

    /// A key name (C2SP signed-note): non-empty UTF-8 with no Unicode white space and no "+".
    static func isValidName(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0.properties.isWhitespace || $0 == "+" }
            && !NoteSyntax.hasControlCharacter(name, allowNewline: false)
    }

    static func hex(_ id: UInt32) -> String {
        let digits = String(id, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
