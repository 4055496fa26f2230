import GOST28147
import Testing

/// Published vectors for the block cipher, its modes and the MAC (vectors.txt sections A-D).
@Suite struct CipherVectorTests {
    let vectors: VectorFile

    init() throws { vectors = try VectorFile.load() }

    @Test(arguments: [GOST28147ParameterSet.cryptoProA, .tc26Z, .rfc5831Test])
    func sBoxMatchesPublishedRows(_ set: GOST28147ParameterSet) throws {
        let block = try vectors.section("A").after(set.name)
        let oid = try VectorFile(lines: [block.lines[0]]).matches("OID ([0-9.]+)").first?.first
        #expect(oid == set.oid, "OID of \(set.name)")
        for (index, row) in set.rows.enumerated() {
            let published = try block.matches("^ K\(index + 1): ((?:[0-9A-F] ?){16})$")
            let digits = try #require(published.first?.first, "row K\(index + 1) of \(set.name)")
            #expect(
                digits.split(separator: " ").compactMap { UInt8($0, radix: 16) } == row, "K\(index + 1) of \(set.name)")
        }
    }

    @Test func parameterSetLookupByOID() throws {
        #expect(try GOST28147ParameterSet(oid: "1.2.643.2.2.31.1") == .cryptoProA)
        #expect(try GOST28147ParameterSet(oid: "1.2.643.7.1.2.5.1.1") == .tc26Z)
        for unknown in [GOST28147ParameterSet.rfc5831Test.oid, "1.2.643.2.2.31.2", ""] {
            let error = #expect(throws: GOST28147Error.self) { try GOST28147ParameterSet(oid: unknown) }
            #expect(error?.code == .unknownParameterSet)
        }
    }

    @Test func ecbCryptoProA() throws {
        let v = try vectors.section("D").after("\"testecb1\"")
        let cipher = try GOST28147Cipher(key: v.bytes("key"), parameterSet: .cryptoProA)
        #expect(try cipher.encryptECB(v.bytes("pt")) == v.bytes("ct"))
        #expect(try cipher.decryptECB(v.bytes("ct")) == v.bytes("pt"))
    }

    @Test func cfbCryptoProA() throws {
        let v = try vectors.section("D").after("\"testcfb1\"")
        let cipher = try GOST28147Cipher(key: v.bytes("key"), parameterSet: .cryptoProA)
        #expect(try cipher.encryptCFB(v.bytes("pt"), iv: v.bytes("iv")) == v.bytes("ct"))
        #expect(try cipher.decryptCFB(v.bytes("ct"), iv: v.bytes("iv")) == v.bytes("pt"))
    }

    @Test func cntCryptoProA() throws {
        let v = try vectors.section("D").after("\"testcnt1\"")
        let cipher = try GOST28147Cipher(key: v.bytes("key"), parameterSet: .cryptoProA)
        #expect(try cipher.encryptCNT(v.bytes("pt"), iv: v.bytes("iv")) == v.bytes("ct"))
        #expect(try cipher.decryptCNT(v.bytes("ct"), iv: v.bytes("iv")) == v.bytes("pt"))
    }

    @Test func imitCryptoProA() throws {
        let v = try vectors.section("D").after("\"testimit1\"")
        let cipher = try GOST28147Cipher(key: v.bytes("key"), parameterSet: .cryptoProA)
        #expect(try cipher.mac(v.bytes("msg")) == v.bytes("mac"))
    }

    /// libgcl3's 64-bit tags, and the engine's tags where the file says the engine differs
    /// (messages of at most 8 bytes get an extra zero block): we pin the engine.
    @Test func imitLibgcl3AndEngineShortMessages() throws {
        let v = try vectors.section("D").after("IMIT, libgcl3")
        let key = try hex(try #require(try v.matches("\" = ([0-9a-f]{64})").first?.first))
        let cipher = try GOST28147Cipher(key: key, parameterSet: .cryptoProA)

        let full = try v.matches("(\\d+) x '(.)'\\s+-> ([0-9a-f]{16})")
        #expect(full.count == 2)
        for row in full {
            let message = [UInt8](String(repeating: row[1], count: try #require(Int(row[0]))).utf8)
            #expect(try cipher.mac(message, length: 8) == hex(row[2]), "\(row[0]) x '\(row[1])'")
        }
        let engine = try v.matches("^\\s+'(\\w+)'\\s+->.*give ([0-9a-f]{8})\\.\\.\\.")
        #expect(engine.count == 2)
        for row in engine {
            #expect(try cipher.mac([UInt8](row[0].utf8)) == hex(row[1]), "'\(row[0])'")
        }
    }

    @Test func rfc5831TestParamSetECB() throws {
        let v = try vectors.section("D").after("RFC 5831")
        let keys = try v.matches("key bytes = ([0-9a-f]{64})").map { try hex($0[0]) }
        let cts = try v.matches("-> ct (?:bytes )?([0-9a-f]{16})").map { try hex($0[0]) }
        #expect(keys.count == 2 && cts.count == 2)
        for (key, ct) in zip(keys, cts) {
            let cipher = try GOST28147Cipher(key: key, parameterSet: .rfc5831Test)
            #expect(try cipher.encryptECB([UInt8](repeating: 0, count: 8)) == ct)
            #expect(try cipher.decryptECB(ct) == [UInt8](repeating: 0, count: 8))
        }
    }

    // MARK: Magma (GOST R 34.12-2015) through the relation stated in vectors.txt section A

    @Test func rfc8891MagmaBlock() throws {
        let v = try vectors.section("B")
        let magma = try Magma(key: v.bytes("key"))
        #expect(try magma.encrypt(v.bytes("plaintext")) == v.bytes("ciphertext"))
    }

    /// RFC 8891 A.1/A.2: t() and g[k]() as 32-bit integers, which checks the merged S-box table.
    @Test func rfc8891RoundFunctions() throws {
        let v = try vectors.section("B")
        let cipher = try GOST28147Cipher(key: [UInt8](repeating: 0, count: 32), parameterSet: .tc26Z)
        let t = try v.matches("([0-9a-f]{8})->([0-9a-f]{8})")
        #expect(t.count == 4)
        for pair in t {
            let input = try #require(UInt32(pair[0], radix: 16))
            let rotated = cipher.roundFunction(input, subkey: 0)
            #expect(rotated >> 11 | rotated << 21 == UInt32(pair[1], radix: 16), "t(\(pair[0]))")
        }
        let g = try v.matches("g\\[([0-9a-f]{8})\\]\\(([0-9a-f]{8})\\)=([0-9a-f]{8})")
        #expect(g.count == 4)
        for row in g {
            let k = try #require(UInt32(row[0], radix: 16))
            let a = try #require(UInt32(row[1], radix: 16))
            #expect(cipher.roundFunction(a, subkey: k) == UInt32(row[2], radix: 16), "g[\(row[0])](\(row[1]))")
        }
    }

    @Test func gostR3413MagmaECBAndCTR() throws {
        let v = try vectors.section("C")
        let magma = try Magma(key: v.bytes("key"))
        let plaintext = try v.bytes("P")
        let ecb = try v.bytes("ECB", separator: ":")
        for block in stride(from: 0, to: plaintext.count, by: 8) {
            #expect(try magma.encrypt(Array(plaintext[block..<block + 8])) == Array(ecb[block..<block + 8]))
        }

        // CTR (GOST R 34.13-2015 5.2): counter = IV || 0...0, big-endian, +1 per block.
        let ctrLine = try #require(try v.matches("CTR\\s+IV=([0-9a-f]+)[^:]*: ([0-9a-f ]+)$").first)
        var counter = UInt64(try #require(UInt32(ctrLine[0], radix: 16))) << 32
        var output: [UInt8] = []
        for block in stride(from: 0, to: plaintext.count, by: 8) {
            let gamma = try magma.encrypt((0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * $0)) })
            output += zip(plaintext[block..<block + 8], gamma).map { $0 ^ $1 }
            counter &+= 1
        }
        #expect(output == (try hex(ctrLine[1])))
    }
}

/// Magma is GOST 28147-89 with param-Z and big-endian byte order (vectors.txt section A:
/// Magma_E(K, P) == reverse(GOST89_E_paramZ(K', reverse(P))), K' = K with each word reversed).
struct Magma {
    let cipher: GOST28147Cipher

    init(key: [UInt8]) throws {
        let swapped = stride(from: 0, to: 32, by: 4).flatMap { key[$0..<$0 + 4].reversed() }
        cipher = try GOST28147Cipher(key: swapped, parameterSet: .tc26Z)
    }

    func encrypt(_ block: [UInt8]) throws -> [UInt8] {
        try cipher.encryptECB(block.reversed()).reversed()
    }
}
