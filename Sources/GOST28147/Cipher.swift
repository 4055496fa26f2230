#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// GOST 28147-89 (RFC 5830) under one key and one S-box, with the byte order of RFC 5830,
/// CryptoPro and the OpenSSL gost engine: key words and block halves are little-endian.
///
/// No CryptoPro key meshing (RFC 4357 section 2.3) is applied: the modes are plain RFC 5830, so
/// CFB, CNT and MAC agree with CryptoPro and the OpenSSL engine (which mesh every 1024 bytes)
/// only for inputs of at most 1024 bytes. The key wrap, the reason this module exists, only
/// ever processes 32.
///
/// The subkeys live in their own allocation, zeroized in `deinit`. Instances are immutable and
/// safe to share between tasks.
public final class GOST28147Cipher: @unchecked Sendable {
    // @unchecked is safe: `subkeys` is written only in init and zeroized only in deinit, when
    // no other reference can exist; `table` is immutable and kept alive by `parameterSet`.
    public let parameterSet: GOST28147ParameterSet
    private let subkeys: UnsafeMutablePointer<UInt32>
    private let table: UnsafePointer<UInt32>

    /// RFC 5830 counter-mode constants: C2 is added to N3 modulo 2^32, C1 to N4 modulo 2^32 - 1.
    private static let c1: UInt32 = 0x0101_0104
    private static let c2: UInt32 = 0x0101_0101

    /// - Parameter key: 32 bytes, K0...K7 as little-endian words.
    public convenience init(
        key: some ContiguousBytes,
        parameterSet: GOST28147ParameterSet = .cryptoProA
    ) throws(GOST28147Error) {
        let count = key.withUnsafeBytes { $0.count }
        guard count == 32 else { throw .keyLength("the key", count) }
        self.init(checkedKey: key, parameterSet: parameterSet)
    }

    /// The caller has checked that `checkedKey` is 32 bytes.
    init(checkedKey key: some ContiguousBytes, parameterSet: GOST28147ParameterSet) {
        self.parameterSet = parameterSet
        self.table = UnsafePointer(parameterSet.table.words)
        let subkeys = UnsafeMutablePointer<UInt32>.allocate(capacity: 8)
        key.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            for i in 0..<8 { subkeys[i] = base.word(at: 4 * i) }
        }
        self.subkeys = subkeys
    }

    deinit {
        secureZero(subkeys, 8 * MemoryLayout<UInt32>.size)
        subkeys.deallocate()
    }

    // MARK: - Public modes

    /// Electronic codebook ("simple replacement"). One 8-byte input is a single block operation.
    public func encryptECB(_ plaintext: [UInt8]) throws(GOST28147Error) -> [UInt8] {
        try ecb(plaintext, encrypt: true)
    }

    public func decryptECB(_ ciphertext: [UInt8]) throws(GOST28147Error) -> [UInt8] {
        try ecb(ciphertext, encrypt: false)
    }

    /// 64-bit cipher feedback ("gamma with feedback", RFC 5830 section 6). Any length; a short
    /// last block uses the leading bytes of its gamma.
    public func encryptCFB(_ plaintext: [UInt8], iv: [UInt8]) throws(GOST28147Error) -> [UInt8] {
        let start = try Self.words(iv: iv)
        return Self.transform(plaintext) { input, output in
            cfb(input, output, count: plaintext.count, iv: start, encrypt: true)
        }
    }

    public func decryptCFB(_ ciphertext: [UInt8], iv: [UInt8]) throws(GOST28147Error) -> [UInt8] {
        let start = try Self.words(iv: iv)
        return Self.transform(ciphertext) { input, output in
            cfb(input, output, count: ciphertext.count, iv: start, encrypt: false)
        }
    }

    /// Counter mode ("gamma", RFC 5830 section 5): N3||N4 = E(IV), then per block N3 += C2
    /// (mod 2^32), N4 += C1 (mod 2^32 - 1) and the gamma is E(N3||N4). It is its own inverse.
    public func encryptCNT(_ plaintext: [UInt8], iv: [UInt8]) throws(GOST28147Error) -> [UInt8] {
        let start = try Self.words(iv: iv)
        return Self.transform(plaintext) { input, output in
            counter(input, output, count: plaintext.count, iv: start)
        }
    }

    public func decryptCNT(_ ciphertext: [UInt8], iv: [UInt8]) throws(GOST28147Error) -> [UInt8] {
        try encryptCNT(ciphertext, iv: iv)
    }

    /// The MAC ("imitovstavka", RFC 5830 section 8): 16 rounds per block over a zero-padded
    /// message, keeping the first `length` bytes of the state.
    ///
    /// Like CryptoPro and the OpenSSL engine (and unlike libgcl3/pygost), a message of 1...8
    /// bytes gets one extra all-zero block, so the tag is not one bare 16-round call. An empty
    /// message yields the leading bytes of `iv` (zeros without one): do not MAC empty input.
    /// - Parameters:
    ///   - iv: initial state, 8 bytes; `nil` means zero (RFC 4357 key wrap passes the UKM).
    ///   - length: tag length in bytes, 1...8; 4 is the usual 32-bit imitovstavka.
    public func mac(_ message: [UInt8], iv: [UInt8]? = nil, length: Int = 4) throws(GOST28147Error) -> [UInt8] {
        guard (1...8).contains(length) else {
            throw GOST28147Error(
                .invalidMACLength, "MAC length \(length) is not 1...8 bytes; use 4 for the standard tag.")
        }
        let start = try iv.map { iv throws(GOST28147Error) in try Self.words(iv: iv) } ?? (0, 0)
        let state = message.withUnsafeBytes { macState($0, iv: start) }
        return Self.bytes(state).prefix(length).map { $0 }
    }

    // MARK: - Raw-buffer modes (shared with the key wrap, which keeps secrets out of arrays)

    /// `count` must be a multiple of 8; `input` and `output` may be the same memory.
    func ecb(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, count: Int, encrypt: Bool) {
        for offset in stride(from: 0, to: count, by: 8) {
            let a = input.word(at: offset)
            let b = input.word(at: offset + 4)
            let (x, y) = encrypt ? encryptBlock(a, b) : decryptBlock(a, b)
            output.storeWord(x, at: offset)
            output.storeWord(y, at: offset + 4)
        }
    }

    /// `input` and `output` may be the same memory: each block is read before it is written.
    func cfb(
        _ input: UnsafeRawPointer,
        _ output: UnsafeMutableRawPointer,
        count: Int,
        iv: (UInt32, UInt32),
        encrypt: Bool
    ) {
        var feedback = iv
        var offset = 0
        while offset + 8 <= count {
            let (g0, g1) = encryptBlock(feedback.0, feedback.1)
            let a = input.word(at: offset)
            let b = input.word(at: offset + 4)
            let x = a ^ g0
            let y = b ^ g1
            output.storeWord(x, at: offset)
            output.storeWord(y, at: offset + 4)
            feedback = encrypt ? (x, y) : (a, b)
            offset += 8
        }
        if offset < count {
            let gamma = encryptBlock(feedback.0, feedback.1)
            xorTail(input, output, from: offset, to: count, gamma: gamma)
        }
    }

    func counter(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, count: Int, iv: (UInt32, UInt32)) {
        var (n3, n4) = encryptBlock(iv.0, iv.1)
        var offset = 0
        while offset < count {
            n3 &+= Self.c2
            let sum = n4 &+ Self.c1
            n4 = sum < n4 ? sum &+ 1 : sum  // end-around carry: addition modulo 2^32 - 1
            let gamma = encryptBlock(n3, n4)
            if offset + 8 <= count {
                output.storeWord(input.word(at: offset) ^ gamma.0, at: offset)
                output.storeWord(input.word(at: offset + 4) ^ gamma.1, at: offset + 4)
            } else {
                xorTail(input, output, from: offset, to: count, gamma: gamma)
            }
            offset += 8
        }
    }

    func macState(_ message: UnsafeRawBufferPointer, iv: (UInt32, UInt32)) -> (UInt32, UInt32) {
        guard let base = message.baseAddress else { return iv }
        var state = iv
        var offset = 0
        while offset + 8 <= message.count {
            state = macBlock(state.0 ^ base.word(at: offset), state.1 ^ base.word(at: offset + 4))
            offset += 8
        }
        if offset < message.count {
            var padded: UInt64 = 0
            for i in offset..<message.count {
                padded |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << (8 * (i - offset))
            }
            state = macBlock(
                state.0 ^ UInt32(truncatingIfNeeded: padded), state.1 ^ UInt32(truncatingIfNeeded: padded >> 32))
            offset += 8
        }
        if offset == 8 {
            state = macBlock(state.0, state.1)  // CryptoPro's extra zero block for 1...8-byte messages
        }
        return state
    }

    // MARK: - The block function

    /// One round's f: add the subkey, substitute, rotate left 11 (merged in the table).
    @inline(__always)
    private func f(_ x: UInt32) -> UInt32 {
        table[Int(x & 0xFF)] ^ table[256 + Int(x >> 8 & 0xFF)] ^ table[512 + Int(x >> 16 & 0xFF)]
            ^ table[768 + Int(x >> 24)]
    }

    /// Eight rounds with K0...K7. The halves swap names each round instead of swapping values.
    @inline(__always)
    private func forward(_ n1: inout UInt32, _ n2: inout UInt32) {
        n2 ^= f(n1 &+ subkeys[0])
        n1 ^= f(n2 &+ subkeys[1])
        n2 ^= f(n1 &+ subkeys[2])
        n1 ^= f(n2 &+ subkeys[3])
        n2 ^= f(n1 &+ subkeys[4])
        n1 ^= f(n2 &+ subkeys[5])
        n2 ^= f(n1 &+ subkeys[6])
        n1 ^= f(n2 &+ subkeys[7])
    }

    /// Eight rounds with K7...K0.
    @inline(__always)
    private func backward(_ n1: inout UInt32, _ n2: inout UInt32) {
        n2 ^= f(n1 &+ subkeys[7])
        n1 ^= f(n2 &+ subkeys[6])
        n2 ^= f(n1 &+ subkeys[5])
        n1 ^= f(n2 &+ subkeys[4])
        n2 ^= f(n1 &+ subkeys[3])
        n1 ^= f(n2 &+ subkeys[2])
        n2 ^= f(n1 &+ subkeys[1])
        n1 ^= f(n2 &+ subkeys[0])
    }

    /// 32 rounds, K0..K7 three times then K7..K0. In and out: (word of bytes 0-3, bytes 4-7).
    @inline(__always)
    func encryptBlock(_ a: UInt32, _ b: UInt32) -> (UInt32, UInt32) {
        var n1 = a
        var n2 = b
        forward(&n1, &n2)
        forward(&n1, &n2)
        forward(&n1, &n2)
        backward(&n1, &n2)
        return (n2, n1)
    }

    @inline(__always)
    func decryptBlock(_ a: UInt32, _ b: UInt32) -> (UInt32, UInt32) {
        var n1 = a
        var n2 = b
        forward(&n1, &n2)
        backward(&n1, &n2)
        backward(&n1, &n2)
        backward(&n1, &n2)
        return (n2, n1)
    }

    /// The MAC's 16 rounds (K0..K7 twice); unlike the cipher, no final swap.
    @inline(__always)
    private func macBlock(_ a: UInt32, _ b: UInt32) -> (UInt32, UInt32) {
        var n1 = a
        var n2 = b
        forward(&n1, &n2)
        forward(&n1, &n2)
        return (n1, n2)
    }

    /// The RFC 8891 round function g[k](a) = rotl11(t(a + k)), for checking the S-box tables
    /// against the published intermediate values.
    package func roundFunction(_ a: UInt32, subkey k: UInt32) -> UInt32 { f(a &+ k) }

    // MARK: - Helpers

    private func xorTail(
        _ input: UnsafeRawPointer,
        _ output: UnsafeMutableRawPointer,
        from offset: Int,
        to count: Int,
        gamma: (UInt32, UInt32)
    ) {
        let stream = UInt64(gamma.0) | UInt64(gamma.1) << 32
        for i in offset..<count {
            let byte =
                input.load(fromByteOffset: i, as: UInt8.self) ^ UInt8(truncatingIfNeeded: stream >> (8 * (i - offset)))
            output.storeBytes(of: byte, toByteOffset: i, as: UInt8.self)
        }
    }

    private func ecb(_ data: [UInt8], encrypt: Bool) throws(GOST28147Error) -> [UInt8] {
        guard data.count % 8 == 0 else {
            throw GOST28147Error(
                .invalidDataLength,
                "ECB input is \(data.count) bytes, not a multiple of 8; pad it or use CFB/CNT for arbitrary lengths."
            )
        }
        return Self.transform(data) { ecb($0, $1, count: data.count, encrypt: encrypt) }
    }

    /// Runs a length-preserving mode from `input` into a new array without zero-filling it first.
    private static func transform(
        _ input: [UInt8],
        _ body: (UnsafeRawPointer, UnsafeMutableRawPointer) -> Void
    ) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: input.count) { output, initialized in
            input.withUnsafeBytes { source in
                if let from = source.baseAddress, let to = output.baseAddress {
                    body(from, UnsafeMutableRawPointer(to))
                }
            }
            initialized = input.count
        }
    }

    static func words(iv: [UInt8]) throws(GOST28147Error) -> (UInt32, UInt32) {
        guard iv.count == 8 else { throw .ivLength("the IV", iv.count) }
        return iv.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return (0, 0) }
            return (base.word(at: 0), base.word(at: 4))
        }
    }

    static func bytes(_ block: (UInt32, UInt32)) -> [UInt8] {
        (0..<8).map { i in UInt8(truncatingIfNeeded: (i < 4 ? block.0 : block.1) >> (8 * (i % 4))) }
    }
}
