internal import CSodium

/// XChaCha20-Poly1305 (IETF): random 24-byte nonces are safe, so every seal draws a fresh one.
/// Sealed form: nonce (24) || ciphertext || tag (16).
public enum XChaCha20Poly1305 {
    public static let keyLength = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    static let nonceLength = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    static let tagLength = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    public static func seal(
        _ plaintext: some ContiguousBytesView, key: SecureBytes, associatedData: [UInt8] = []
    ) throws -> [UInt8] {
        ensureSodium()
        guard key.count == keyLength else {
            throw SodiumError(.invalidLength, "an XChaCha20-Poly1305 key has \(keyLength) bytes, got \(key.count)")
        }
        return plaintext.withBytes { m in
            var out = [UInt8](repeating: 0, count: nonceLength + m.count + tagLength)
            out.withUnsafeMutableBytes { o in
                let nonce = o.u8
                randombytes_buf(nonce, nonceLength)
                key.withBytes { k in
                    associatedData.withUnsafeBytes { ad in
                        // Cannot fail with valid lengths (checked above); always returns 0.
                        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                            nonce + nonceLength, nil, m.u8, UInt64(m.count),
                            ad.u8, UInt64(ad.count), nil, nonce,
                            k.u8)
                    }
                }
            }
            return out
        }
    }

    /// Decrypts into locked memory; throws on a wrong key, wrong associated data or any alteration.
    public static func open(
        _ sealed: some ContiguousBytesView, key: SecureBytes, associatedData: [UInt8] = []
    ) throws -> SecureBytes {
        ensureSodium()
        guard key.count == keyLength else {
            throw SodiumError(.invalidLength, "an XChaCha20-Poly1305 key has \(keyLength) bytes, got \(key.count)")
        }
        return try sealed.withBytes { c in
            guard c.count > nonceLength + tagLength else {
                throw SodiumError(.invalidLength, "sealed data is too short (\(c.count) bytes)")
            }
            let base = c.u8
            return try SecureBytes(count: c.count - nonceLength - tagLength) { m in
                let rc = key.withBytes { k in
                    associatedData.withUnsafeBytes { ad in
                        crypto_aead_xchacha20poly1305_ietf_decrypt(
                            m.u8, nil, nil,
                            base + nonceLength, UInt64(c.count - nonceLength),
                            ad.u8, UInt64(ad.count), base,
                            k.u8)
                    }
                }
                guard rc == 0 else {
                    throw SodiumError(.verificationFailed, "decryption failed: wrong key, or the data was altered")
                }
            }
        }
    }
}
