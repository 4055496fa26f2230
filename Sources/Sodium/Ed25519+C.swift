internal import CSodium

public enum Ed25519 {
    public static let publicKeyLength = 32
    public static let signatureLength = 64
    public static let seedLength = 32

    /// A signing key whose 64-byte libsodium secret lives in locked memory.
    public struct PrivateKey: Sendable {
        private let secret: SecureBytes  // seed || public key, libsodium's layout
        public let publicKey: [UInt8]

        /// A fresh key from the CSPRNG.
        public init() throws {
            ensureSodium()
            var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
            secret = try SecureBytes(count: Int(crypto_sign_SECRETKEYBYTES)) { sk in
                let rc = pk.withUnsafeMutableBytes {
                    crypto_sign_keypair($0.u8, sk.u8)
                }
                guard rc == 0 else { throw SodiumError(.operationFailed, "crypto_sign_keypair failed") }
            }
            publicKey = pk
        }

        /// The key determined by a 32-byte seed (how keys are stored: the seed, wrapped).
        public init(seed: some ContiguousBytesView) throws {
            ensureSodium()
            var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
            secret = try SecureBytes(count: Int(crypto_sign_SECRETKEYBYTES)) { sk in
                try seed.withBytes { s in
                    guard s.count == Int(crypto_sign_SEEDBYTES) else {
                        throw SodiumError(.invalidLength, "an Ed25519 seed has 32 bytes, got \(s.count)")
                    }
                    let rc = pk.withUnsafeMutableBytes {
                        crypto_sign_seed_keypair($0.u8, sk.u8, s.u8)
                    }
                    guard rc == 0 else { throw SodiumError(.operationFailed, "crypto_sign_seed_keypair failed") }
                }
            }
            publicKey = pk
        }

        /// The 32-byte seed, in locked memory, for wrapping at rest. Never print it.
        public func seed() throws -> SecureBytes {
            try SecureBytes(count: Ed25519.seedLength) { dst in
                secret.withBytes { dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<Ed25519.seedLength])) }
            }
        }

        /// A detached 64-byte signature.
        public func signature(for message: some ContiguousBytesView) -> [UInt8] {
            var sig = [UInt8](repeating: 0, count: Ed25519.signatureLength)
            sig.withUnsafeMutableBytes { out in
                message.withBytes { m in
                    secret.withBytes { sk in
                        // Cannot fail for a well-formed key; the return value is always 0.
                        _ = crypto_sign_detached(
                            out.u8, nil, m.u8,
                            UInt64(m.count), sk.u8)
                    }
                }
            }
            return sig
        }
    }

    /// Verifies a detached signature; false for any malformed input.
    public static func verify(signature: some ContiguousBytesView, message: some ContiguousBytesView, publicKey: some ContiguousBytesView) -> Bool {
        ensureSodium()
        return signature.withBytes { s in
            message.withBytes { m in
                publicKey.withBytes { pk in
                    guard s.count == signatureLength, pk.count == publicKeyLength else { return false }
                    return crypto_sign_verify_detached(
                        s.u8, m.u8, UInt64(m.count),
                        pk.u8) == 0
                }
            }
        }
    }
}
