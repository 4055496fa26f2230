import GOST28147
import Testing

/// RFC 4357 section 6 against vectors.txt section E, and every way an unwrap must refuse.
@Suite struct KeyWrapTests {
    enum Variant: String, CaseIterable, CustomTestStringConvertible {
        case gost = "6.1"
        case cryptoPro = "6.3"

        var testDescription: String { rawValue }

        func wrap(_ cek: [UInt8], kek: [UInt8], ukm: [UInt8]?, _ set: GOST28147ParameterSet) throws -> [UInt8] {
            switch self {
            case .gost: try GOST28147KeyWrap.wrap(key: cek, kek: kek, ukm: ukm, parameterSet: set)
            case .cryptoPro: try GOST28147KeyWrap.wrapCryptoPro(key: cek, kek: kek, ukm: ukm, parameterSet: set)
            }
        }

        func unwrap(_ wrapped: [UInt8], kek: [UInt8], _ set: GOST28147ParameterSet) throws -> [UInt8] {
            switch self {
            case .gost: try GOST28147KeyWrap.unwrap(wrapped, kek: kek, parameterSet: set) { Array($0) }
            case .cryptoPro: try GOST28147KeyWrap.unwrapCryptoPro(wrapped, kek: kek, parameterSet: set) { Array($0) }
            }
        }
    }

    static let cases: [(Variant, GOST28147ParameterSet)] = Variant.allCases.flatMap { v in
        [GOST28147ParameterSet.cryptoProA, .tc26Z].map { (v, $0) }
    }

    let section: VectorFile
    let kek: [UInt8]
    let ukm: [UInt8]
    let cek: [UInt8]

    init() throws {
        section = try VectorFile.load().section("E")
        kek = try section.bytes("KEK")
        ukm = try section.bytes("UKM")
        cek = try section.bytes("CEK")
    }

    /// The published value for subsection `number` ("6.1", "6.3", "6.5") and a parameter set.
    func published(_ number: String, _ set: GOST28147ParameterSet) throws -> [UInt8] {
        let label = set == .cryptoProA ? "CryptoPro-A" : "TC26-Z"
        return try section.after(" \(number) ").bytes(label, separator: ":")
    }

    @Test(arguments: cases)
    func wrapMatchesVectorAndUnwraps(_ variant: Variant, _ set: GOST28147ParameterSet) throws {
        let expected = try published(variant.rawValue, set)
        #expect(expected.count == GOST28147KeyWrap.wrappedKeyLength)
        let wrapped = try variant.wrap(cek, kek: kek, ukm: ukm, set)
        #expect(wrapped == expected)
        #expect(try variant.unwrap(expected, kek: kek, set) == cek)
    }

    @Test(arguments: [GOST28147ParameterSet.cryptoProA, .tc26Z])
    func kekDiversificationMatchesVector(_ set: GOST28147ParameterSet) throws {
        #expect(try GOST28147KeyWrap.diversifiedKEK(kek: kek, ukm: ukm, parameterSet: set) == published("6.5", set))
    }

    @Test(arguments: cases)
    func wrongKEKIsRejected(_ variant: Variant, _ set: GOST28147ParameterSet) throws {
        let wrapped = try published(variant.rawValue, set)
        var wrongKEKs = [[UInt8].random(count: 32)]
        for byte in [0, 17, 31] {
            var near = kek
            near[byte] ^= 0x01
            wrongKEKs.append(near)
        }
        for wrong in wrongKEKs {
            expectAuthenticationFailure { try variant.unwrap(wrapped, kek: wrong, set) }
        }
    }

    @Test(arguments: cases)
    func wrongParameterSetIsRejected(_ variant: Variant, _ set: GOST28147ParameterSet) throws {
        let other: GOST28147ParameterSet = set == .cryptoProA ? .tc26Z : .cryptoProA
        let wrapped = try published(variant.rawValue, set)
        expectAuthenticationFailure { try variant.unwrap(wrapped, kek: kek, other) }
    }

    /// Every single-bit change anywhere in the blob (UKM, encrypted key, MAC) is caught.
    @Test(arguments: cases)
    func everyFlippedBitIsRejected(_ variant: Variant, _ set: GOST28147ParameterSet) throws {
        let wrapped = try published(variant.rawValue, set)
        for byte in wrapped.indices {
            for bit in 0..<8 {
                var tampered = wrapped
                tampered[byte] ^= 1 << bit
                expectAuthenticationFailure("byte \(byte) bit \(bit)") { try variant.unwrap(tampered, kek: kek, set) }
            }
        }
    }

    @Test(arguments: Variant.allCases)
    func malformedInputsThrowLengthErrors(_ variant: Variant) throws {
        let wrapped = try variant.wrap(cek, kek: kek, ukm: ukm, .cryptoProA)
        for bad in [[], Array(wrapped.dropLast()), wrapped + [0], wrapped + wrapped] {
            expectCode(.invalidWrappedKeyLength) { try variant.unwrap(bad, kek: kek, .cryptoProA) }
        }
        for badKEK in [[], Array(kek.dropLast()), kek + [0]] {
            expectCode(.invalidKeyLength) { try variant.unwrap(wrapped, kek: badKEK, .cryptoProA) }
            expectCode(.invalidKeyLength) { try variant.wrap(cek, kek: badKEK, ukm: ukm, .cryptoProA) }
        }
        for badCEK in [[], Array(cek.prefix(16)), cek + [0]] {
            expectCode(.invalidKeyLength) { try variant.wrap(badCEK, kek: kek, ukm: ukm, .cryptoProA) }
        }
        for badUKM in [[], Array(ukm.dropLast()), ukm + [0]] {
            expectCode(.invalidIVLength) { try variant.wrap(cek, kek: kek, ukm: badUKM, .cryptoProA) }
        }
    }

    /// Without a UKM each wrap draws a fresh one, so wrapping twice gives two different blobs.
    @Test(arguments: cases)
    func randomUKMRoundTrips(_ variant: Variant, _ set: GOST28147ParameterSet) throws {
        let key = [UInt8].random(count: 32)
        let wrapKey = [UInt8].random(count: 32)
        let first = try variant.wrap(key, kek: wrapKey, ukm: nil, set)
        let second = try variant.wrap(key, kek: wrapKey, ukm: nil, set)
        #expect(first.prefix(8) != second.prefix(8))
        #expect(first != second)
        #expect(try variant.unwrap(first, kek: wrapKey, set) == key)
        #expect(try variant.unwrap(second, kek: wrapKey, set) == key)
    }

    @Test func unwrapPassesOnTheBodysError() throws {
        struct BodyFailed: Error {}
        let wrapped = try published("6.3", .cryptoProA)
        #expect(throws: BodyFailed.self) {
            try GOST28147KeyWrap.unwrapCryptoPro(wrapped, kek: kek) { _ in throw BodyFailed() }
        }
    }

    @Test func errorMessagesNameTheProblemNotTheKey() throws {
        let wrapped = try published("6.3", .cryptoProA)
        var wrong = kek
        wrong[0] ^= 0xFF
        let error = #expect(throws: GOST28147Error.self) {
            try GOST28147KeyWrap.unwrapCryptoPro(wrapped, kek: wrong) { Array($0) }
        }
        let text = try #require(error).description
        #expect(text.contains("KEK") && text.contains("MAC"))
        #expect(!text.contains(kek.hexString) && !text.contains(wrong.hexString) && !text.contains(cek.hexString))
    }
}

func expectAuthenticationFailure(
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> [UInt8]
) {
    expectCode(.authenticationFailed, comment, sourceLocation: sourceLocation, body)
}

func expectCode<R>(
    _ code: GOST28147Error.Code,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> R
) {
    let error = #expect(throws: GOST28147Error.self, comment, sourceLocation: sourceLocation) { _ = try body() }
    #expect(error?.code == code, comment, sourceLocation: sourceLocation)
}
