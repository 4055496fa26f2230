import Foundation
import GOST28147
import HSMBoundary
import Sodium

/// How a password becomes the key that wraps a private key (R7), and how a seed is wrapped.
///
/// One Argon2id run per authorization, `a = Argon2id(password, salt, parameters)` (32 bytes),
/// then two outputs of the HSM backend's keyed derivation (`HSMBackend.derive`: BLAKE2b keyed
/// with the master secret in software), separated by context:
///
///     KEK      = derive("tamga signcore v1 kek" || 0 || key id || 0 || a)
///     verifier = derive("tamga signcore v1 password verifier" || 0 || key id || 0 || a)
///
/// The verifier is the "hash of the password" R7 lets the HSM keep: without the master key it
/// cannot be tested against guesses, and it says nothing about the KEK. The seed is wrapped
/// with the RFC 4357 CryptoPro key wrap (GOST 28147-89) under the KEK, with the S-box recorded
/// per key. The wrap's MAC is only 32 bits, so every unwrap also checks the derived public key.
enum KeyWrapping {
    struct Secrets: Sendable {
        let kek: SecureBytes
        let verifier: SecureBytes
    }

    static func secrets(stretched: SecureBytes, backend: any HSMBackend, keyID: String) throws -> Secrets {
        Secrets(
            kek: try keyed("kek", keyID: keyID, stretched, backend: backend),
            verifier: try keyed("password verifier", keyID: keyID, stretched, backend: backend))
    }

    private static func keyed(_ context: String, keyID: String, _ stretched: SecureBytes, backend: any HSMBackend)
        throws -> SecureBytes
    {
        let label = Array("tamga signcore v1 \(context)\0\(keyID)\0".utf8)
        let input = try SecureBytes(count: label.count + stretched.count) { buffer in
            buffer.copyBytes(from: label)
            stretched.withBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[label.count...]).copyMemory(from: $0) }
        }
        return try backend.derive(input)
    }

    static func wrap(seed: SecureBytes, kek: SecureBytes, parameterSet: GOST28147ParameterSet) throws -> [UInt8] {
        do {
            return try GOST28147KeyWrap.wrapCryptoPro(key: Lent(seed), kek: Lent(kek), parameterSet: parameterSet)
        } catch {
            throw SignCoreError(.internalError, "the GOST 28147-89 key wrap failed: \(error)")
        }
    }

    /// The private key, in locked memory, for the caller's one activation.
    static func unwrap(_ wrapping: KeyRecord.Wrapping, kek: SecureBytes, publicKey: Data) throws -> Ed25519.PrivateKey {
        let key: Ed25519.PrivateKey
        do {
            let parameterSet = try GOST28147ParameterSet(oid: wrapping.parameterSetOID)
            key = try GOST28147KeyWrap.unwrapCryptoPro(
                Array(wrapping.wrappedSeed), kek: Lent(kek), parameterSet: parameterSet
            ) {
                try Ed25519.PrivateKey(seed: Borrowed($0))
            }
        } catch {
            throw SignCoreError(
                .internalError,
                "the wrapped key does not unwrap under the authorized KEK (\(error)); the record is damaged")
        }
        guard Sodium.constantTimeEqual(key.publicKey, Array(publicKey)) else {
            throw SignCoreError(
                .internalError, "the unwrapped key does not match the recorded public key; the record is damaged")
        }
        return key
    }
}

/// Lends a secret to APIs that take Foundation's `ContiguousBytes` (GOST28147, swift-crypto)
/// without copying it out of locked memory.
struct Lent: ContiguousBytes {
    let secret: SecureBytes
    init(_ secret: SecureBytes) { self.secret = secret }
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try secret.withBytes(body) }
}

/// A borrowed buffer (an unwrapped seed the GOST module zeroizes afterwards) seen as `Sodium` bytes.
struct Borrowed: ContiguousBytesView {
    let buffer: UnsafeRawBufferPointer
    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(buffer) }
}

/// A range of a secret, without copying it: the password part of `password || challenge`.
struct SecretSlice: ContiguousBytesView, Sendable {
    let secret: SecureBytes
    let range: Range<Int>
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try secret.withBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}
