import GOST28147
import Testing

/// Input checking and mode properties the vectors alone do not pin down.
@Suite struct CipherTests {
    static let sets = [GOST28147ParameterSet.cryptoProA, .tc26Z]

    @Test func badLengthsThrowClearErrors() throws {
        for badKey in [[], [UInt8](repeating: 1, count: 31), [UInt8](repeating: 1, count: 33)] {
            expectCode(.invalidKeyLength) { try GOST28147Cipher(key: badKey) }
        }
        let cipher = try GOST28147Cipher(key: [UInt8].random(count: 32))
        for badIV in [[], [UInt8](repeating: 0, count: 7), [UInt8](repeating: 0, count: 9)] {
            expectCode(.invalidIVLength) { try cipher.encryptCFB([1, 2, 3], iv: badIV) }
            expectCode(.invalidIVLength) { try cipher.decryptCFB([1, 2, 3], iv: badIV) }
            expectCode(.invalidIVLength) { try cipher.encryptCNT([1, 2, 3], iv: badIV) }
            expectCode(.invalidIVLength) { try cipher.mac([1, 2, 3], iv: badIV) }
        }
        for badLength in [1, 7, 9, 15] {
            expectCode(.invalidDataLength) { try cipher.encryptECB([UInt8](repeating: 0, count: badLength)) }
            expectCode(.invalidDataLength) { try cipher.decryptECB([UInt8](repeating: 0, count: badLength)) }
        }
        for badMACLength in [-1, 0, 9] {
            expectCode(.invalidMACLength) { try cipher.mac([1, 2, 3], length: badMACLength) }
        }
        let error = #expect(throws: GOST28147Error.self) { try GOST28147Cipher(key: [UInt8](repeating: 0, count: 16)) }
        #expect(error?.description.contains("16 bytes") == true)
    }

    @Test(arguments: sets)
    func modesRoundTripAtEveryLength(_ set: GOST28147ParameterSet) throws {
        let cipher = try GOST28147Cipher(key: [UInt8].random(count: 32), parameterSet: set)
        let iv = [UInt8].random(count: 8)
        for length in 0...41 {
            let plaintext = [UInt8].random(count: length)
            let cfb = try cipher.encryptCFB(plaintext, iv: iv)
            let cnt = try cipher.encryptCNT(plaintext, iv: iv)
            #expect(cfb.count == length && cnt.count == length)
            #expect(try cipher.decryptCFB(cfb, iv: iv) == plaintext)
            #expect(try cipher.decryptCNT(cnt, iv: iv) == plaintext)
            if length >= 8 {
                #expect(cfb != plaintext && cnt != plaintext && cfb != cnt)
            }
            if length % 8 == 0 {
                let ecb = try cipher.encryptECB(plaintext)
                #expect(try cipher.decryptECB(ecb) == plaintext)
            }
        }
    }

    /// CFB and CNT are stream modes: a short message encrypts to a prefix of a longer one, which
    /// checks the partial last block against the full-block path.
    @Test(arguments: sets)
    func partialBlocksArePrefixesOfTheStream(_ set: GOST28147ParameterSet) throws {
        let cipher = try GOST28147Cipher(key: [UInt8].random(count: 32), parameterSet: set)
        let iv = [UInt8].random(count: 8)
        let plaintext = [UInt8].random(count: 64)
        let cfb = try cipher.encryptCFB(plaintext, iv: iv)
        let cnt = try cipher.encryptCNT(plaintext, iv: iv)
        for length in 0..<64 {
            #expect(try cipher.encryptCFB(Array(plaintext.prefix(length)), iv: iv) == Array(cfb.prefix(length)))
            #expect(try cipher.encryptCNT(Array(plaintext.prefix(length)), iv: iv) == Array(cnt.prefix(length)))
        }
    }

    @Test func macLengthIsAPrefixAndIVMatters() throws {
        let cipher = try GOST28147Cipher(key: [UInt8].random(count: 32))
        let message = [UInt8].random(count: 37)
        let full = try cipher.mac(message, length: 8)
        for length in 1...8 {
            #expect(try cipher.mac(message, length: length) == Array(full.prefix(length)))
        }
        #expect(try cipher.mac(message, iv: [UInt8](repeating: 0, count: 8), length: 8) == full)
        #expect(try cipher.mac(message, iv: [1, 0, 0, 0, 0, 0, 0, 0], length: 8) != full)
        var altered = message
        altered[36] ^= 0x80
        #expect(try cipher.mac(altered, length: 8) != full)
    }

    @Test func parameterSetChangesTheCipher() throws {
        let key = [UInt8].random(count: 32)
        let block = [UInt8].random(count: 8)
        let a = try GOST28147Cipher(key: key, parameterSet: .cryptoProA).encryptECB(block)
        let z = try GOST28147Cipher(key: key, parameterSet: .tc26Z).encryptECB(block)
        #expect(a != z)
    }
}
