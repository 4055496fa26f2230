import Foundation
import MerkleLog
import Testing

@Suite struct HashTests {
    @Test func bytesAndBase64RoundTrip() throws {
        var rng = SeededGenerator(state: 8)
        var seen = Set<Hash>()
        for _ in 0..<200 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let hash = try #require(Hash(bytes))
            #expect(hash.bytes == bytes)
            #expect(hash.withUnsafeBytes { Array($0) } == bytes)
            #expect(hash.base64 == Data(bytes).base64EncodedString())
            #expect(Hash(base64: hash.base64) == hash)
            #expect(Hash(Data(bytes)[...]) == hash)
            #expect(Hash(bytes[...]) == hash)
            #expect("\(hash)" == hash.base64)
            seen.insert(hash)
        }
        #expect(seen.count == 200)
        // Equality looks at every byte.
        let zero = try #require(Hash([UInt8](repeating: 0, count: 32)))
        for position in 0..<32 {
            var bytes = [UInt8](repeating: 0, count: 32)
            bytes[position] = 1
            #expect(try #require(Hash(bytes)) != zero)
        }
    }

    @Test func refusesWrongLengthsAndNonCanonicalBase64() throws {
        #expect(Hash([UInt8](repeating: 1, count: 31)) == nil)
        #expect(Hash([UInt8](repeating: 1, count: 33)) == nil)
        #expect(Hash([UInt8]()) == nil)
        let text = MerkleTree.emptyRoot.base64
        #expect(text == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")  // SHA-256(""), RFC 6962 vectors
        #expect(Hash(base64: text) == MerkleTree.emptyRoot)
        for bad in [
            String(text.dropLast()), text + "=", " " + text, text + "\n",
            "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=",  // non-zero padding bits
            Data(repeating: 0, count: 31).base64EncodedString(), Data(repeating: 0, count: 33).base64EncodedString(),
            "",
        ] {
            #expect(Hash(base64: bad) == nil, "\(bad.debugDescription)")
        }
    }

    @Test func leafHashTakesAnyByteCollection() throws {
        let entry = Array("{\"v\":1}".utf8)
        let want = MerkleTree.leafHash(entry)
        #expect(MerkleTree.leafHash(Data(entry)) == want)
        #expect(MerkleTree.leafHash("{\"v\":1}".utf8) == want)
        #expect(MerkleTree.leafHash(entry.lazy.map { $0 }) == want)  // not contiguous
        #expect(MerkleTree.leafHash(entry.dropLast()) != want)
        #expect(MerkleTree.nodeHash(want, MerkleTree.emptyRoot) != MerkleTree.nodeHash(MerkleTree.emptyRoot, want))
    }
}
