import Foundation
import Hummingbird
import LedgerFormats
import MerkleLog
import Testing

@testable import PublicAPI

/// The hand-written encoders and parsers behind the JSON answers, against Foundation's.
@Suite struct EncodingTests {
    @Test func base64MatchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var out: [UInt8] = []
            bytes.withUnsafeBytes { appendBase64($0, to: &out) }
            #expect(String(decoding: out, as: UTF8.self) == Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    @Test func base64URLDecodesOnlyCanonicalText() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<40 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(decodeBase64URL(text[...]) == bytes, "length \(length)")
        }
        // "AB" leaves nonzero padding bits, "A" has a lone 6-bit group; "+", "/", "=" are not base64url.
        for bad in ["AB", "A", "AAAAA", "ab+c", "ab/c", "abc=", "ab c", "é"] {
            #expect(decodeBase64URL(bad[...]) == nil, "\(bad)")
        }
        #expect(decodeBase64URL("AA"[...]) == [0])
        #expect(decodeBase64URL("_-8"[...]) == [0xff, 0xef])
    }

    /// The JSON's `start`/`end` are the block's own `date` line instants: checked against the
    /// line LedgerFormats writes, and against Foundation after the Gregorian reform (Foundation
    /// switches to the Julian calendar before 1582; RFC 3339 and blocks do not).
    @Test func blockInstantsFormatLikeTheBlockLine() throws {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        var instants: [Int64] = [0, -1, 86_399, 86_400, -62_135_596_800, 253_402_300_000, 951_782_400, 1_795_287_600]
        for _ in 0..<1000 { instants.append(Int64.random(in: -62_135_596_800...253_402_300_000, using: &generator)) }
        let hash = Array(repeating: UInt8(1), count: 32)
        for seconds in instants {
            let block = try Block(
                origin: "o", treeSize: 1, rootHash: hash, height: 0, date: "2026-11-20", start: seconds,
                end: seconds + 1, previousHash: hash, dayFirst: 0, dayRoot: hash)
            let line = block.checkpoint.extensions[1].split(separator: " ")
            #expect(PublicData.rfc3339(seconds: seconds) == String(line[2]), "\(seconds)")
            #expect(PublicData.rfc3339(seconds: seconds + 1) == String(line[3]), "\(seconds + 1)")
            if seconds > -12_000_000_000 {  // after 1589
                #expect(
                    PublicData.rfc3339(seconds: seconds)
                        == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))))
            }
        }
    }

    @Test func decimalsAreCanonical() {
        #expect(parseDecimal("0") == 0)
        #expect(parseDecimal("42") == 42)
        #expect(parseDecimal("9999999999999999999") == 9_999_999_999_999_999_999)
        for bad in ["", "00", "01", "-1", "+1", "1e3", " 1", "1 ", "10000000000000000000", "١"] {
            #expect(parseDecimal(bad[...]) == nil, "\(bad)")
        }
    }

    @Test func jsonBytesParseBackWithFoundation() throws {
        var json = JSONBytes()
        json.beginObject()
        json.key("n")
        json.number(UInt64.max)
        json.key("s")
        json.string("quote \" backslash \\ newline \n tab \t nul \u{0} é")
        json.key("a")
        json.beginArray()
        json.base64(try #require(Hash(Array(repeating: 0xfb, count: 32))))
        json.bool(false)
        json.raw(Array(#"{"x":[1]}"#.utf8))
        json.endArray()
        json.key("e")
        json.beginArray()
        json.endArray()
        json.endObject()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        #expect((object["n"] as? NSNumber)?.uint64Value == UInt64.max)
        #expect(object["s"] as? String == "quote \" backslash \\ newline \n tab \t nul \u{0} é")
        let array = try #require(object["a"] as? [Any])
        #expect(array.count == 3)
        #expect(array[0] as? String == Data(Array(repeating: 0xfb, count: 32)).base64EncodedString())
        #expect(array[1] as? Bool == false)
        #expect((array[2] as? [String: [Int]])?["x"] == [1])
        #expect((object["e"] as? [Any])?.isEmpty == true)
    }

    @Test func boundedCacheIsFirstInFirstOut() throws {
        let cache = BoundedCache<Tile, ByteBuffer>(capacity: 3)
        let tiles = try (0..<5).map { try Tile(level: 0, index: UInt64($0)) }
        for (i, tile) in tiles.enumerated() { cache.insert(tile, ByteBuffer(bytes: [UInt8(i)])) }
        #expect(cache.count == 3)
        #expect(cache.value(for: tiles[0]) == nil)
        #expect(cache.value(for: tiles[1]) == nil)
        #expect(cache.value(for: tiles[2]) == ByteBuffer(bytes: [2]))
        #expect(cache.values(for: [tiles[4], tiles[0]]) == [ByteBuffer(bytes: [4]), nil])
        // Inserting a cached key again neither replaces nor evicts anything.
        cache.insert(tiles[4], ByteBuffer(bytes: [9]))
        #expect(cache.count == 3)
        #expect(cache.value(for: tiles[2]) == ByteBuffer(bytes: [2]))
        #expect(cache.value(for: tiles[4]) == ByteBuffer(bytes: [4]))

        let disabled = BoundedCache<Tile, ByteBuffer>(capacity: 0)
        disabled.insert(tiles[0], ByteBuffer(bytes: [0]))
        #expect(disabled.value(for: tiles[0]) == nil)
    }

    /// A reader that counts what it is asked for.
    final class CountingReader: HashReader, @unchecked Sendable {
        // Only the test's own task uses it.
        let hashes: [Hash]
        var asked: [Int64] = []
        init(_ hashes: [Hash]) { self.hashes = hashes }
        func readHashes(_ indexes: [Int64]) throws -> [Hash] {
            asked += indexes
            return try hashes.readHashes(indexes)
        }
    }

    @Test func cachedHashReaderAsksOnlyForMisses() throws {
        let leaves = (0..<300).map { MerkleTree.leafHash([UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)]) }
        let stored = try MerkleTree.storedHashes(n: 0, leafHashes: leaves, reader: [Hash]()).hashes
        let source = CountingReader(stored)
        let reader = CachedHashReader(cache: BoundedCache(capacity: 1000), store: source)
        let first = try MerkleTree.inclusionProof(index: 123, size: 300, reader: reader)
        #expect(first == (try MerkleTree.inclusionProof(index: 123, size: 300, reader: stored)))
        let askedFirst = source.asked.count
        #expect(askedFirst >= first.count)
        // The same proof again: all hits. A neighbour's: only the lowest levels are new.
        #expect(try MerkleTree.inclusionProof(index: 123, size: 300, reader: reader) == first)
        #expect(source.asked.count == askedFirst)
        let neighbour = try MerkleTree.inclusionProof(index: 122, size: 300, reader: reader)
        #expect(neighbour == (try MerkleTree.inclusionProof(index: 122, size: 300, reader: stored)))
        #expect(source.asked.count == askedFirst + 1, "only leaf 123 itself is new")
        // Mixed hits and misses come back in the order asked.
        let indexes: [Int64] = [5, 400, 2, 401, 0]
        #expect(try reader.readHashes(indexes) == (try stored.readHashes(indexes)))
    }
}
