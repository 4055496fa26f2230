import Codecs
internal import Crypto

/// C2SP tlog-cosignature v1.0.1: a witness's signed, timestamped statement that, as of that
/// time, the checkpoint is the largest consistent tree head it has seen of the log. It is one
/// more signature line on the checkpoint's note:
///
///     — <witness name> base64(key ID || u64 big-endian timestamp || Ed25519 signature)
///
/// with key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4] and the signature over
/// `cosignature/v1\n` + `time <timestamp>\n` + the note text (extension lines included).
public enum Cosignature {
    /// The signed-note signature type byte of cosignature/v1.
    public static let type: UInt8 = 0x04
    /// The largest timestamp the format allows (2^63 - 1).
    public static let maxTime = UInt64(Int64.max)

    /// The signed message for a note text and a POSIX time.
    public static func message(text: String, time: UInt64) -> [UInt8] {
        var out = Array("cosignature/v1\ntime ".utf8)
        CanonicalDecimal.append(time, to: &out)
        out.append(UInt8(ascii: "\n"))
        out += text.utf8
        return out
    }

    /// The cosignature line `signer` makes over `text` at `time`. `signer.keyID` must be the
    /// cosignature key ID (`CosignatureVerifier.keyID(name:publicKey:)`); it signs the message
    /// and returns the 64-byte Ed25519 signature.
    public static func sign(text: String, time: UInt64, with signer: any NoteSigner) throws -> NoteSignature {
        guard time <= maxTime else {
            throw LedgerFormatsError(.invalidArgument, "a cosignature time is at most 2^63 - 1, not \(time)")
        }
        let signature = try signer.sign(message(text: text, time: time))
        guard signature.count == 64 else {
            throw LedgerFormatsError(.invalidArgument, "an Ed25519 cosignature is 64 bytes, the signer gave \(signature.count)")
        }
        let timestamp = [56, 48, 40, 32, 24, 16, 8, 0].map { UInt8(truncatingIfNeeded: time >> UInt64($0)) }
        return try NoteSignature(name: signer.name, keyID: signer.keyID, signature: timestamp + signature)
    }
}

/// A witness's cosignature/v1 public key with its name, as a policy or a log configures it.
public struct CosignatureVerifier: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let keyID: UInt32
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    public init(name: String, publicKey: [UInt8]) throws(LedgerFormatsError) {
        // The same name and key rules as a log key; only the type byte of the key ID differs.
        _ = try NoteVerifier(name: name, publicKey: publicKey)
        self.name = name
        self.publicKey = publicKey
        keyID = Self.keyID(name: name, publicKey: publicKey)
    }

    /// Parses a vkey `<name>+<8 lowercase hex key ID>+<base64(0x04 || key)>`.
    public init(verifierKey: String) throws(LedgerFormatsError) {
        let (name, keyID, key) = try NoteVerifier.parse(verifierKey, type: Cosignature.type, what: "cosignature")
        try self.init(name: name, publicKey: key)
        guard self.keyID == keyID else {
            throw LedgerFormatsError(
                .malformed,
                "witness key ID \(NoteVerifier.hex(keyID)) does not match its key (expected \(NoteVerifier.hex(self.keyID))); the string is corrupted")
        }
    }

    /// Key ID = first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x04 || public key).
    public static func keyID(name: String, publicKey: [UInt8]) -> UInt32 {
        NoteVerifier.keyID(name: name, type: Cosignature.type, publicKey: publicKey)
    }

    public var verifierKey: String {
        "\(name)+\(NoteVerifier.hex(keyID))+\(Base64.encode([Cosignature.type] + publicKey))"
    }

    public var description: String { verifierKey }

    /// The time of this key's valid cosignature on `note`, or nil when it has none (a line by
    /// this name and key ID that does not verify counts as none).
    public func cosignatureTime(on note: SignedNote) -> UInt64? {
        guard let line = note.signatures.first(where: { $0.name == name && $0.keyID == keyID }),
            line.signature.count == 72
        else { return nil }
        let time = line.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard time <= Cosignature.maxTime,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
            key.isValidSignature(Array(line.signature.dropFirst(8)), for: Cosignature.message(text: note.text, time: time))
        else { return nil }
        return time
    }
}
