import Codecs
import Crypto
public import LedgerFormats
import Sodium
import Synchronization

extension SignCore {
    /// Why factors are being checked: journaled with every `auth.ok` and `auth.fail`, and
    /// sealed with the password (`Operation`).
    public enum Purpose: String, Sendable {
        case create = "key.create", sign, destroy, totpEnrol = "totp.enrol", cabinet
    }

    /// The operation a sealed password is for. The owner's app seals
    /// `password || challenge || digest` (see `SignCoreClient.sealPassword`), so factors captured
    /// on the way cannot be spent on another operation: another key, other hashes, a destroy
    /// instead of a signature.
    public struct Operation: Sendable, Hashable {
        public let purpose: Purpose
        /// Empty for `key.create` (the key does not exist yet).
        public let keyID: String
        /// The document hashes of a `sign` authorization, in the request's order.
        public let hashes: [[UInt8]]

        public static let createKey = Operation(purpose: .create, keyID: "", hashes: [])
        public static func authorize(keyID: String, hashes: [[UInt8]]) -> Operation {
            Operation(purpose: .sign, keyID: keyID, hashes: hashes)
        }
        public static func destroy(keyID: String) -> Operation { Operation(purpose: .destroy, keyID: keyID, hashes: []) }
        public static func enrolTOTP(keyID: String) -> Operation { Operation(purpose: .totpEnrol, keyID: keyID, hashes: []) }
        public static func openCabinet(keyID: String) -> Operation { Operation(purpose: .cabinet, keyID: keyID, hashes: []) }

        /// SHA-256 of `tamga factors v1\n<purpose>\n<key id>\n` followed by one line
        /// `<base64 hash>\n` per hash (docs/service-api.md, "Sealing the password").
        public var digest: [UInt8] {
            var text = "tamga factors v1\n\(purpose.rawValue)\n\(keyID)\n"
            for hash in hashes {
                text += Base64.encode(hash)
                text += "\n"
            }
            return Array(SHA256.hash(data: Array(text.utf8)))
        }
    }

    /// The signed statement of the newest transport key (R10): what apps fetch, check against
    /// the pinned log key and seal passwords to.
    public func transportKey() throws -> (statement: TransportKeyStatement, note: SignedNote) {
        let newest = try transport.keys(now: clock.now())[0]
        return (newest.statement, newest.note)
    }
}

/// The X25519 keys passwords are sealed to. Each is made in this process and never leaves it;
/// its statement, signed by the log key, says from when until when it may be used
/// (`lifetime`). A new key is made once the newest has lived half its lifetime, so the key an
/// app fetches is always good for at least half a lifetime, and the previous key still opens
/// what was sealed to it until its own end. A key is zeroed when it ends (at the next use
/// after that). A restart makes a new key: clients fetch it again.
final class TransportKeys: Sendable {
    struct Key: Sendable {
        let pair: SealedBox.KeyPair
        let statement: TransportKeyStatement
        let note: SignedNote
    }

    private let signer: any NoteSigner
    /// Seconds.
    private let lifetime: Int64
    /// Newest first; every key here is within its validity.
    private let current = Mutex<[Key]>([])

    init(signer: any NoteSigner, lifetime: Int64) {
        self.signer = signer
        self.lifetime = lifetime
    }

    /// The keys valid at `now` (ms), newest first, never empty: a new one is made when the newest
    /// is half through its lifetime, and ended ones are dropped.
    func keys(now: Int64) throws -> [Key] {
        let seconds = now / 1000
        return try current.withLock { keys in
            keys.removeAll { !$0.statement.isValid(at: seconds) }
            if let newest = keys.first, seconds < newest.statement.validFrom + lifetime / 2 { return keys }
            let pair = try SealedBox.KeyPair()
            let statement = try TransportKeyStatement(
                origin: signer.name, publicKey: pair.publicKey, validFrom: seconds, validUntil: seconds + lifetime)
            keys.insert(Key(pair: pair, statement: statement, note: try statement.signed(by: signer)), at: 0)
            return keys
        }
    }

    /// Opens a sealed message with whichever valid key it was sealed to.
    func open(_ sealed: [UInt8], now: Int64) -> SecureBytes? {
        guard let keys = try? keys(now: now) else { return nil }
        for key in keys {
            if let opened = try? key.pair.open(sealed) { return opened }
        }
        return nil
    }
}
