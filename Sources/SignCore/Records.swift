import Codecs
import Crypto
import Foundation
import HSMBoundary
import LedgerFormats
public import Sodium

/// Every record name SignCore writes (the Ledger stores them under `x/<name>`), in one place.
///
/// | name | value |
/// |---|---|
/// | `signcore/key/<key id>` | `KeyRecord` JSON: public key, wrapped seed, verifier, counters, state |
/// | `signcore/owner/<owner tag>/<key id>` | empty: lists an owner's keys |
/// | `signcore/consent/<owner tag>` | `ConsentRecord` JSON (R6) |
/// | `compromise/<15-digit ms>-<fingerprint>` | the public `CompromiseNotice` (R13), canonical JSON |
///
/// The owner tag is the hex SHA-256 of the owner identifier: a fixed-length name part, so one
/// owner's prefix never matches another's. (It hides nothing: identifiers are guessable.)
enum RecordName {
    static let keyPrefix = "signcore/key/"
    static func key(_ id: String) -> String { keyPrefix + id }
    static func ownerKeys(_ owner: String) -> String { "signcore/owner/\(ownerTag(owner))/" }
    static func ownerKey(_ owner: String, _ id: String) -> String { ownerKeys(owner) + id }
    static func consent(_ owner: String) -> String { "signcore/consent/\(ownerTag(owner))" }

    private static func ownerTag(_ owner: String) -> String { hex(SHA256.hash(data: Array(owner.utf8))) }
}

/// A key's life: only `active` keys sign. `locked` and `compromised` are final (no password
/// recovery, R11); `destroyed` keeps only the public part, for the cabinet and retention.
public enum KeyState: String, Sendable, Hashable, Codable {
    case active, locked, compromised, destroyed
}

/// What anyone may know about a key: no secret, nothing derived from the password.
public struct KeyInfo: Sendable, Hashable {
    public let id: String
    public let owner: String
    /// `Ed25519`.
    public let algorithm: String
    public let publicKey: [UInt8]
    /// Lowercase hex SHA-256 of the 32-byte public key: how notices and entries name the key.
    public let fingerprint: String
    public let state: KeyState
    /// Milliseconds since the epoch.
    public let created: Int64
    /// OID of the GOST 28147-89 S-box the seed is wrapped with; nil once destroyed.
    public let parameterSetOID: String?
    /// The Argon2id cost the current wrap was made with; nil once destroyed.
    public let argon2: Argon2id.Parameters?
    public let totpEnrolled: Bool
    /// Failed password or TOTP checks since the last success.
    public let failedAttempts: Int
    /// The attached certificate (DER) and its notAfter in ms: retention runs to a year past it (R12, R14).
    public let certificate: [UInt8]?
    public let certificateNotAfter: Int64?
}

/// The durable state of one key: everything the HSM needs to check factors and unwrap the seed,
/// none of it usable without the master key and the owner's password.
struct KeyRecord: Codable {
    struct Wrapping: Codable {
        /// RFC 4357 CryptoPro wrap of the 32-byte Ed25519 seed: UKM || ciphertext || MAC.
        var wrappedSeed: Data
        var parameterSetOID: String
        var salt: Data
        var argon2: Argon2id.Parameters
        /// Keyed BLAKE2b of the Argon2id output under the master key: checks the password.
        var verifier: Data
    }

    struct TOTPState: Codable {
        /// XChaCha20-Poly1305 under a master-key subkey, bound to the key id.
        var sealedSecret: Data
        var algorithm: TOTP.Algorithm
        var digits: Int
        /// The last time step accepted: no code of this step or earlier is accepted again.
        var lastStep: Int64
    }

    struct CertificateInfo: Codable {
        var der: Data
        var notAfter: Int64
        var attached: Int64
    }

    var v = 1
    var id: String
    var owner: String
    var alg: String
    var publicKey: Data
    var fingerprint: String
    var state: KeyState
    var created: Int64
    var wrapping: Wrapping?
    var failures: Int
    var totp: TOTPState?
    var certificate: CertificateInfo?

    var info: KeyInfo {
        KeyInfo(
            id: id, owner: owner, algorithm: alg, publicKey: Array(publicKey), fingerprint: fingerprint, state: state,
            created: created, parameterSetOID: wrapping?.parameterSetOID, argon2: wrapping?.argon2,
            totpEnrolled: totp != nil, failedAttempts: failures, certificate: certificate.map { Array($0.der) },
            certificateNotAfter: certificate?.notAfter)
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw SignCoreError(.internalError, "cannot encode the record of key \(id): \(error)")
        }
    }

    static func decode(_ bytes: [UInt8], id: String) throws -> KeyRecord {
        do {
            let record = try JSONDecoder().decode(KeyRecord.self, from: Data(bytes))
            guard record.v == 1, record.id == id else {
                throw SignCoreError(
                    .internalError, "record \(RecordName.key(id)) is version \(record.v) for key \(record.id)")
            }
            return record
        } catch let error as SignCoreError {
            throw error
        } catch {
            throw SignCoreError(
                .internalError, "record \(RecordName.key(id)) is damaged (\(error)); restore the HSM from its backup")
        }
    }
}

/// The owner's consent (R6): to the processing of personal data and to keeping the key in the
/// cloud EDS, as the hash of the terms the owner accepted.
struct ConsentRecord: Codable {
    var terms: String
    var time: Int64
}

/// Key identifiers are 32 lowercase hex digits (128 random bits): checked before any lookup, so a
/// hostile identifier never reaches a record name or a journal entry.
func isKeyID(_ text: String) -> Bool {
    text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
}
