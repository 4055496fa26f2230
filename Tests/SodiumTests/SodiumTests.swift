import Foundation
import Sodium
import Testing

struct Vectors: Decodable {
    struct Ed: Decodable { let seed, `public`, message, signature: String }
    struct Argon: Decodable {
        let password, salt: String
        let iterations: UInt64
        let memoryKiB: Int
        let output: String
    }
    struct Blake: Decodable { let input, key, output: String }
    let ed25519: [Ed]
    let argon2id: Argon
    let blake2b: Blake

    static func load() throws -> Vectors {
        let url = try #require(Bundle.module.url(forResource: "vectors", withExtension: "json", subdirectory: "Resources"))
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16) ?? 0) }
    return out
}

func toHex(_ b: some ContiguousBytesView) -> String {
    b.withBytes { $0.map { String(format: "%02x", $0) }.joined() }
}

@Suite struct Ed25519Tests {
    @Test func rfc8032Vectors() throws {
        for v in try Vectors.load().ed25519 {
            let key = try Ed25519.PrivateKey(seed: hex(v.seed))
            #expect(toHex(key.publicKey) == v.public)
            let sig = key.signature(for: hex(v.message))
            #expect(toHex(sig) == v.signature)
            #expect(Ed25519.verify(signature: sig, message: hex(v.message), publicKey: key.publicKey))
            #expect(toHex(try key.seed()) == v.seed)
        }
    }

    @Test func tamperedSignatureMessageOrKeyFails() throws {
        let key = try Ed25519.PrivateKey()
        let message: [UInt8] = Array("checkpoint".utf8)
        let sig = key.signature(for: message)
        for i in [0, 31, 63] {
            var bad = sig
            bad[i] ^= 1
            #expect(!Ed25519.verify(signature: bad, message: message, publicKey: key.publicKey))
        }
        #expect(!Ed25519.verify(signature: sig, message: message + [0], publicKey: key.publicKey))
        #expect(!Ed25519.verify(signature: sig, message: message, publicKey: try Ed25519.PrivateKey().publicKey))
        #expect(!Ed25519.verify(signature: Array(sig.prefix(63)), message: message, publicKey: key.publicKey))
        #expect(throws: SodiumError.self) { try Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 31)) }
    }
}

@Suite struct SecretTests {
    @Test func sealedBoxRoundTripAndRefusals() throws {
        let recipient = try SealedBox.KeyPair()
        let password: [UInt8] = Array("пароль-Құпия".utf8)
        let sealed = try SealedBox.seal(password, to: recipient.publicKey)
        #expect(sealed.count == password.count + SealedBox.overhead)
        #expect(try recipient.open(sealed).constantTimeEquals(password))

        var tampered = sealed
        tampered[sealed.count - 1] ^= 0x80
        #expect(throws: SodiumError.self) { try recipient.open(tampered) }
        #expect(throws: SodiumError.self) { try SealedBox.KeyPair().open(sealed) }
        #expect(throws: SodiumError.self) { try recipient.open(Array(sealed.prefix(SealedBox.overhead))) }
        #expect(throws: SodiumError.self) { try SealedBox.seal(password, to: [UInt8](repeating: 0, count: 31)) }
    }

    @Test func argon2idMatchesIndependentImplementation() throws {
        let v = try Vectors.load().argon2id
        let out = try Argon2id.derive(
            password: Array(v.password.utf8), salt: Array(v.salt.utf8),
            parameters: .init(iterations: v.iterations, memoryBytes: v.memoryKiB * 1024))
        #expect(toHex(out) == v.output)
        #expect(throws: SodiumError.self) {
            try Argon2id.derive(password: [1], salt: [UInt8](repeating: 0, count: 15), parameters: .testOnly)
        }
        #expect(throws: SodiumError.self) {
            try Argon2id.derive(password: [1], salt: [UInt8](repeating: 0, count: 16), parameters: .init(iterations: 0, memoryBytes: 8192))
        }
    }

    @Test func keyedBlake2bMatchesIndependentImplementation() throws {
        let v = try Vectors.load().blake2b
        #expect(toHex(try Blake2b.keyedHash(Array(v.input.utf8), key: Array(v.key.utf8))) == v.output)
        #expect(throws: SodiumError.self) { try Blake2b.keyedHash([1], key: [UInt8](repeating: 0, count: 8)) }
    }

    @Test func aeadRoundTripAndRefusals() throws {
        let key = try SecureBytes(randomCount: XChaCha20Poly1305.keyLength)
        let secret: [UInt8] = Array(repeating: 7, count: 32)
        let sealed = try XChaCha20Poly1305.seal(secret, key: key, associatedData: Array("log-key".utf8))
        #expect(try XChaCha20Poly1305.open(sealed, key: key, associatedData: Array("log-key".utf8)).constantTimeEquals(secret))
        #expect(throws: SodiumError.self) { try XChaCha20Poly1305.open(sealed, key: key, associatedData: Array("other".utf8)) }
        #expect(throws: SodiumError.self) { try XChaCha20Poly1305.open(sealed, key: try SecureBytes(randomCount: 32)) }
        for i in [0, 24, sealed.count - 1] {
            var bad = sealed
            bad[i] ^= 1
            #expect(throws: SodiumError.self) { try XChaCha20Poly1305.open(bad, key: key, associatedData: Array("log-key".utf8)) }
        }
        // Two seals of one plaintext differ: fresh nonces.
        #expect(try XChaCha20Poly1305.seal(secret, key: key) != XChaCha20Poly1305.seal(secret, key: key))
    }

    @Test func secureBytesNeverPrintsContents() throws {
        let s = try SecureBytes(copying: Array("hunter2".utf8))
        #expect(!"\(s)".contains("hunter2"))
        #expect(!String(reflecting: s).contains("hunter2"))
        #expect(s.constantTimeEquals(Array("hunter2".utf8)))
        #expect(!s.constantTimeEquals(Array("hunter3".utf8)))
        #expect(!s.constantTimeEquals(Array("hunter".utf8)))
        #expect(throws: SodiumError.self) { try SecureBytes(count: 0) { _ in } }
        var buffer: [UInt8] = [1, 2, 3]
        zeroize(&buffer)
        #expect(buffer == [0, 0, 0])
    }
}
