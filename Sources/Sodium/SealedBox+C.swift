internal import CSodium

/// X25519 sealed boxes (`crypto_box_seal`): how a client sends its password to the HSM so that
/// only the HSM can read it (R10). Anonymous sender, authenticated ciphertext.
public enum SealedBox {
    public static let publicKeyLength = 32
    public static let overhead = 48

    /// The recipient's key pair; the secret half lives in locked memory.
    public struct KeyPair: Sendable {
        private let secret: SecureBytes
        public let publicKey: [UInt8]

        public init() throws {
            ensureSodium()
            var pk = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
            secret = try SecureBytes(count: Int(crypto_box_SECRETKEYBYTES)) { sk in
                let rc = pk.withUnsafeMutableBytes { crypto_box_keypair($0.u8, sk.u8) }
                guard rc == 0 else { throw SodiumError(.operationFailed, "crypto_box_keypair failed") }
            }
            publicKey = pk
        }

        /// Decrypts into locked memory; throws if the box was not sealed to this key or was altered.
        public func open(_ sealed: some ContiguousBytesView) throws -> SecureBytes {
            try sealed.withBytes { c in
                guard c.count > SealedBox.overhead else {
                    throw SodiumError(.invalidLength, "a sealed box has more than \(SealedBox.overhead) bytes, got \(c.count)")
                }
                return try SecureBytes(count: c.count - SealedBox.overhead) { m in
                    let rc = secret.withBytes { sk in
                        publicKey.withUnsafeBytes { pk in
                            crypto_box_seal_open(m.u8, c.u8, UInt64(c.count), pk.u8, sk.u8)
                        }
                    }
                    guard rc == 0 else {
                        throw SodiumError(.verificationFailed, "the sealed box does not open with this key: sealed to another key, or altered")
                    }
                }
            }
        }
    }

    /// Seals `message` to `publicKey` (what the owner's app does on the client side).
    public static func seal(_ message: some ContiguousBytesView, to publicKey: some ContiguousBytesView) throws -> [UInt8] {
        ensureSodium()
        return try message.withBytes { m in
            try publicKey.withBytes { pk in
                guard pk.count == publicKeyLength else {
                    throw SodiumError(.invalidLength, "an X25519 public key has 32 bytes, got \(pk.count)")
                }
                var out = [UInt8](repeating: 0, count: m.count + overhead)
                let rc = out.withUnsafeMutableBytes {
                    crypto_box_seal($0.u8, m.u8, UInt64(m.count), pk.u8)
                }
                guard rc == 0 else { throw SodiumError(.operationFailed, "crypto_box_seal failed") }
                return out
            }
        }
    }
}
