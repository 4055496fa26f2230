internal import CSodium

/// Argon2id (`crypto_pwhash`): the memory-hard step between an owner's password and anything
/// derived from it. Its cost is the point; its parameters are recorded beside every hash so
/// they can be raised later.
public enum Argon2id {
    public static let saltLength = Int(crypto_pwhash_SALTBYTES)

    public struct Parameters: Hashable, Sendable, Codable {
        /// Passes over memory (libsodium's opslimit).
        public var iterations: UInt64
        /// Memory in bytes (libsodium's memlimit).
        public var memoryBytes: Int

        public init(iterations: UInt64, memoryBytes: Int) {
            self.iterations = iterations
            self.memoryBytes = memoryBytes
        }

        /// OWASP's minimum for Argon2id: 19 MiB and 2 passes.
        public static let owaspMinimum = Parameters(iterations: 2, memoryBytes: 19 * 1024 * 1024)
        /// The smallest libsodium accepts: for tests only.
        public static let testOnly = Parameters(iterations: 1, memoryBytes: 8 * 1024)
    }

    /// Derives `outputLength` bytes from `password` and a 16-byte `salt` into locked memory.
    public static func derive(
        password: some ContiguousBytesView, salt: [UInt8], parameters: Parameters, outputLength: Int = 32
    ) throws -> SecureBytes {
        ensureSodium()
        guard salt.count == saltLength else {
            throw SodiumError(.invalidLength, "an Argon2id salt has \(saltLength) bytes, got \(salt.count)")
        }
        guard parameters.iterations >= UInt64(crypto_pwhash_OPSLIMIT_MIN),
            parameters.memoryBytes >= Int(crypto_pwhash_MEMLIMIT_MIN)
        else {
            throw SodiumError(.invalidLength, "Argon2id parameters below libsodium's minimum (1 pass, 8 KiB)")
        }
        return try SecureBytes(count: outputLength) { out in
            let rc = password.withBytes { pw in
                salt.withUnsafeBytes { s in
                    crypto_pwhash(
                        out.u8, UInt64(out.count),
                        pw.cchar, UInt64(pw.count),
                        s.u8,
                        parameters.iterations, parameters.memoryBytes, crypto_pwhash_ALG_ARGON2ID13)
                }
            }
            guard rc == 0 else {
                throw SodiumError(.outOfMemory, "Argon2id could not allocate \(parameters.memoryBytes) bytes")
            }
        }
    }
}

/// Keyed BLAKE2b (`crypto_generichash`): a PRF under the HSM master key, so a stored password
/// hash or a derived KEK is useless to whoever copies the store without the master key.
public enum Blake2b {
    public static func keyedHash(
        _ input: some ContiguousBytesView, key: some ContiguousBytesView, outputLength: Int = 32
    ) throws -> SecureBytes {
        ensureSodium()
        return try SecureBytes(count: outputLength) { out in
            try key.withBytes { k in
                guard (Int(crypto_generichash_KEYBYTES_MIN)...Int(crypto_generichash_KEYBYTES_MAX)).contains(k.count),
                    (Int(crypto_generichash_BYTES_MIN)...Int(crypto_generichash_BYTES_MAX)).contains(outputLength)
                else { throw SodiumError(.invalidLength, "BLAKE2b takes a 16-64 byte key and gives 16-64 bytes") }
                let rc = input.withBytes { i in
                    crypto_generichash(
                        out.u8, out.count,
                        i.u8, UInt64(i.count),
                        k.u8, k.count)
                }
                guard rc == 0 else { throw SodiumError(.operationFailed, "crypto_generichash failed") }
            }
        }
    }
}
