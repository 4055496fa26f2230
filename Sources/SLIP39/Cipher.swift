import Crypto

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The SLIP-39 passphrase encryption: a 4-round Feistel network whose round function is
/// PBKDF2-HMAC-SHA256. It is a permutation, so any master secret (not only one we generated) can
/// be backed up, and a wrong passphrase yields a different secret rather than an error.
enum FeistelCipher {
    static let roundCount = 4
    static let baseIterationCount = 10_000

    static func encrypt(
        _ secret: [UInt8], passphrase: [UInt8], iterationExponent: Int, identifier: Int, extendable: Bool
    ) -> [UInt8] {
        run(secret, rounds: Array(0..<roundCount), passphrase, iterationExponent, identifier, extendable)
    }

    static func decrypt(
        _ secret: [UInt8], passphrase: [UInt8], iterationExponent: Int, identifier: Int, extendable: Bool
    ) -> [UInt8] {
        run(secret, rounds: (0..<roundCount).reversed(), passphrase, iterationExponent, identifier, extendable)
    }

    /// Encryption and decryption differ only in the order of the round indexes. `input` has an
    /// even length (checked by the callers: split validates it, and a decoded share value always is).
    private static func run(
        _ input: [UInt8], rounds: [Int], _ passphrase: [UInt8], _ iterationExponent: Int, _ identifier: Int,
        _ extendable: Bool
    ) -> [UInt8] {
        let half = input.count / 2
        var left = Array(input[..<half])
        var right = Array(input[half...])
        defer {
            left.wipe()
            right.wipe()
        }
        // Extendable shares drop the identifier from the salt, so a set can later be extended with
        // new shares under a new identifier that still decrypts to the same secret.
        let saltPrefix: [UInt8] =
            extendable ? [] : Array("shamir".utf8) + [UInt8(identifier >> 8), UInt8(identifier & 0xFF)]
        let iterations = (baseIterationCount << iterationExponent) / roundCount
        var password = [0] + passphrase
        var salt = saltPrefix + right
        defer {
            password.wipe()
            salt.wipe()
        }
        for round in rounds {
            password[0] = UInt8(round)
            for i in 0..<half { salt[saltPrefix.count + i] = right[i] }
            var f = pbkdf2SHA256(password: password, salt: salt, iterations: iterations, byteCount: half)
            for i in 0..<half { left[i] ^= f[i] }
            f.wipe()
            swap(&left, &right)
        }
        return right + left
    }
}

/// PBKDF2 (RFC 8018) with HMAC-SHA256. swift-crypto has no PBKDF2 outside _CryptoExtras, and
/// SLIP-39 needs only this one PRF, so it is built here on `HMAC<SHA256>`: the keyed HMAC state is
/// made once and copied for each iteration, so the key pads are hashed once per call.
func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, byteCount: Int) -> [UInt8] {
    let prf = HMAC<SHA256>(key: SymmetricKey(data: password))
    var output: [UInt8] = []
    output.reserveCapacity(byteCount)
    var u = [UInt8](repeating: 0, count: SHA256.byteCount)
    var t = u
    defer {
        u.wipe()
        t.wipe()
    }
    var blockIndex: UInt32 = 1
    while output.count < byteCount {
        var mac = prf
        mac.update(data: salt)
        withUnsafeBytes(of: blockIndex.bigEndian) { mac.update(data: $0) }
        mac.finalize().withUnsafeBytes { code in
            for i in 0..<SHA256.byteCount {
                u[i] = code[i]
                t[i] = code[i]
            }
        }
        for _ in stride(from: 1, to: iterations, by: 1) {
            var mac = prf
            mac.update(data: u)
            mac.finalize().withUnsafeBytes { code in
                for i in 0..<SHA256.byteCount {
                    u[i] = code[i]
                    t[i] ^= code[i]
                }
            }
        }
        output.append(contentsOf: t.prefix(byteCount - output.count))
        blockIndex += 1
    }
    return output
}

extension Array where Element == UInt8 {
    /// Overwrites the buffer with zeros through a call the optimizer may not drop, so secrets we
    /// allocate don't outlive their use in freed memory. Only this array's own buffer is cleared:
    /// callers keep secrets in arrays they own and mutate in place.
    mutating func wipe() {
        withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            #if canImport(Darwin)
                _ = memset_s(base, buffer.count, 0, buffer.count)
            #else
                explicit_bzero(base, buffer.count)
            #endif
        }
    }
}
