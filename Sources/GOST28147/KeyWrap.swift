#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// RFC 4357 section 6 key wraps of a 32-byte key (CEK) under a 32-byte key-encryption key.
///
/// Wire format (both variants): UKM (8) || ECB(KEK', CEK) (32) || MAC(KEK', IV = UKM, CEK) (4),
/// 44 bytes. KEK' is the KEK itself (section 6.1) or, for the CryptoPro wrap (section 6.3),
/// the KEK diversified by the UKM (section 6.5), so the KEK never touches data directly; prefer
/// the CryptoPro variant. The UKM is not secret but must be fresh per wrap.
///
/// Unwrapping hands the key to a closure and zeroizes it afterwards, so a signing key never
/// sits in a Swift array.
public enum GOST28147KeyWrap {
    /// Bytes in a wrapped key: UKM, encrypted key, MAC.
    public static let wrappedKeyLength = 44
    /// Bytes in a UKM (user keying material).
    public static let ukmLength = 8

    // MARK: RFC 4357 6.3 / 6.4

    /// CryptoPro key wrap (RFC 4357 section 6.3).
    /// - Parameter ukm: 8 bytes; `nil` draws fresh random ones (the normal case).
    public static func wrapCryptoPro(
        key: some ContiguousBytes,
        kek: some ContiguousBytes,
        ukm: [UInt8]? = nil,
        parameterSet: GOST28147ParameterSet = .cryptoProA
    ) throws(GOST28147Error) -> [UInt8] {
        let ukm = try checkedUKM(ukm)
        try checkKeyLengths(key: key, kek: kek)
        return withSecretBuffer(count: 32) { diversified in
            kek.withUnsafeBytes { diversify(kek: $0, ukm: ukm, parameterSet: parameterSet, into: diversified) }
            let cipher = GOST28147Cipher(checkedKey: diversified, parameterSet: parameterSet)
            return wrap(key: key, cipher: cipher, ukm: ukm)
        }
    }

    /// CryptoPro key unwrap (RFC 4357 section 6.4): checks the MAC, then passes the 32-byte key
    /// to `body`. The buffer is zeroized when `body` returns; do not let it escape.
    /// - Throws: `GOST28147Error.Code.authenticationFailed` for a wrong KEK or
    ///   parameter set or an altered blob, a length error for malformed input, or what `body` throws.
    public static func unwrapCryptoPro<R>(
        _ wrapped: [UInt8],
        kek: some ContiguousBytes,
        parameterSet: GOST28147ParameterSet = .cryptoProA,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        try checkWrapped(wrapped, kek: kek)
        let cipher = withSecretBuffer(count: 32) { diversified in
            kek.withUnsafeBytes {
                diversify(kek: $0, ukm: Array(wrapped[0..<8]), parameterSet: parameterSet, into: diversified)
            }
            return GOST28147Cipher(checkedKey: diversified, parameterSet: parameterSet)
        }
        return try unwrap(wrapped, cipher: cipher, body)
    }

    // MARK: RFC 4357 6.1 / 6.2

    /// GOST 28147-89 key wrap (RFC 4357 section 6.1): the KEK encrypts the key directly.
    /// - Parameter ukm: 8 bytes; `nil` draws fresh random ones (the normal case).
    public static func wrap(
        key: some ContiguousBytes,
        kek: some ContiguousBytes,
        ukm: [UInt8]? = nil,
        parameterSet: GOST28147ParameterSet = .cryptoProA
    ) throws(GOST28147Error) -> [UInt8] {
        let ukm = try checkedUKM(ukm)
        try checkKeyLengths(key: key, kek: kek)
        return wrap(key: key, cipher: GOST28147Cipher(checkedKey: kek, parameterSet: parameterSet), ukm: ukm)
    }

    /// GOST 28147-89 key unwrap (RFC 4357 section 6.2); see ``unwrapCryptoPro(_:kek:parameterSet:_:)``.
    public static func unwrap<R>(
        _ wrapped: [UInt8],
        kek: some ContiguousBytes,
        parameterSet: GOST28147ParameterSet = .cryptoProA,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        try checkWrapped(wrapped, kek: kek)
        return try unwrap(wrapped, cipher: GOST28147Cipher(checkedKey: kek, parameterSet: parameterSet), body)
    }

    // MARK: RFC 4357 6.5

    /// CryptoPro KEK diversification, exposed to the package only so tests can check it against
    /// its own vector; callers get it through the CryptoPro wrap.
    package static func diversifiedKEK(
        kek: [UInt8],
        ukm: [UInt8],
        parameterSet: GOST28147ParameterSet
    ) throws(GOST28147Error) -> [UInt8] {
        let ukm = try checkedUKM(ukm)
        guard kek.count == 32 else { throw .keyLength("the KEK", kek.count) }
        return withSecretBuffer(count: 32) { out in
            kek.withUnsafeBytes { diversify(kek: $0, ukm: ukm, parameterSet: parameterSet, into: out) }
            return Array(out.bindMemory(to: UInt8.self))
        }
    }

    /// Eight steps; step i encrypts the current key in CFB under itself, with an IV of the sums
    /// of the key words whose bit is set (first half) and clear (second half) in UKM byte i.
    private static func diversify(
        kek: UnsafeRawBufferPointer,
        ukm: [UInt8],
        parameterSet: GOST28147ParameterSet,
        into key: UnsafeMutableRawBufferPointer
    ) {
        guard let base = key.baseAddress else { return }
        key.copyMemory(from: kek)
        for byte in ukm {
            var set: UInt32 = 0
            var clear: UInt32 = 0
            for j in 0..<8 {
                let word = UnsafeRawPointer(base).word(at: 4 * j)
                if byte >> j & 1 == 1 { set &+= word } else { clear &+= word }
            }
            let cipher = GOST28147Cipher(checkedKey: UnsafeRawBufferPointer(key), parameterSet: parameterSet)
            cipher.cfb(base, base, count: 32, iv: (set, clear), encrypt: true)
        }
    }

    // MARK: Shared

    private static func wrap(key: some ContiguousBytes, cipher: GOST28147Cipher, ukm: [UInt8]) -> [UInt8] {
        var wrapped = ukm + [UInt8](repeating: 0, count: 36)
        wrapped.withUnsafeMutableBytes { out in
            guard let base = out.baseAddress else { return }
            let iv = (UnsafeRawPointer(base).word(at: 0), UnsafeRawPointer(base).word(at: 4))
            key.withUnsafeBytes { cek in
                guard let source = cek.baseAddress else { return }
                cipher.ecb(source, base + 8, count: 32, encrypt: true)
                base.storeWord(cipher.macState(cek, iv: iv).0, at: 40)
            }
        }
        return wrapped
    }

    private static func unwrap<R>(
        _ wrapped: [UInt8],
        cipher: GOST28147Cipher,
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        try withSecretBuffer(count: 32) { (cek: UnsafeMutableRawBufferPointer) throws -> R in
            // One 32-bit compare of the whole tag: no early exit that could leak a matching prefix.
            let difference: UInt32 = wrapped.withUnsafeBytes { blob in
                guard let source = blob.baseAddress, let target = cek.baseAddress else { return 1 }
                cipher.ecb(source + 8, target, count: 32, encrypt: false)
                let tag = cipher.macState(UnsafeRawBufferPointer(cek), iv: (source.word(at: 0), source.word(at: 4)))
                return tag.0 ^ source.word(at: 40)
            }
            guard difference == 0 else {
                throw GOST28147Error(
                    .authenticationFailed,
                    "the wrapped key's MAC does not match: the KEK or S-box parameter set is wrong, or the blob "
                        + "was altered. Check which KEK and parameter set the key was recorded with; never use the output."
                )
            }
            return try body(UnsafeRawBufferPointer(cek))
        }
    }

    private static func checkedUKM(_ ukm: [UInt8]?) throws(GOST28147Error) -> [UInt8] {
        guard let ukm else {
            var generator = SystemRandomNumberGenerator()
            let random = generator.next() as UInt64
            return (0..<8).map { UInt8(truncatingIfNeeded: random >> (8 * $0)) }
        }
        guard ukm.count == ukmLength else { throw .ivLength("the UKM", ukm.count) }
        return ukm
    }

    private static func checkKeyLengths(key: some ContiguousBytes, kek: some ContiguousBytes) throws(GOST28147Error) {
        let keyCount = key.withUnsafeBytes { $0.count }
        guard keyCount == 32 else { throw .keyLength("the key to wrap", keyCount) }
        let kekCount = kek.withUnsafeBytes { $0.count }
        guard kekCount == 32 else { throw .keyLength("the KEK", kekCount) }
    }

    private static func checkWrapped(_ wrapped: [UInt8], kek: some ContiguousBytes) throws(GOST28147Error) {
        guard wrapped.count == wrappedKeyLength else {
            throw GOST28147Error(
                .invalidWrappedKeyLength,
                "the wrapped key is \(wrapped.count) bytes, not \(wrappedKeyLength) (UKM 8 + key 32 + MAC 4); "
                    + "the stored blob is truncated or not an RFC 4357 wrap."
            )
        }
        let kekCount = kek.withUnsafeBytes { $0.count }
        guard kekCount == 32 else { throw .keyLength("the KEK", kekCount) }
    }
}
