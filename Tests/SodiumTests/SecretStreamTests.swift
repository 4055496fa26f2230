import Sodium
import Testing

@Suite struct SecretStreamTests {
    /// A stream of `messages`, the last one tagged final: (key, header, sealed chunks).
    static func seal(_ messages: [[UInt8]], associatedData: [UInt8] = []) throws -> (SecureBytes, [UInt8], [[UInt8]]) {
        let key = try SecureBytes(randomCount: SecretStream.keyLength)
        let encryptor = try SecretStream.Encryptor(key: key)
        var chunks: [[UInt8]] = []
        for (i, message) in messages.enumerated() {
            let last = i == messages.count - 1
            chunks.append(
                try encryptor.push(message, tag: last ? .final : .message, associatedData: i == 0 ? associatedData : []))
        }
        return (key, encryptor.header, chunks)
    }

    /// Opens `chunks` in order; returns the plaintexts and tags, and whether `finish` passed.
    static func open(
        _ chunks: [[UInt8]], key: SecureBytes, header: [UInt8], associatedData: [UInt8] = []
    ) throws -> (messages: [[UInt8]], tags: [SecretStream.Tag], complete: Bool) {
        let decryptor = try SecretStream.Decryptor(key: key, header: header)
        var messages: [[UInt8]] = []
        var tags: [SecretStream.Tag] = []
        for (i, chunk) in chunks.enumerated() {
            try decryptor.pull(chunk, associatedData: i == 0 ? associatedData : []) { plaintext, tag in
                messages.append(Array(plaintext))
                tags.append(tag)
            }
        }
        let complete = (try? decryptor.finish()) != nil
        return (messages, tags, complete)
    }

    static let messages: [[UInt8]] = [Array("first chunk".utf8), [], Sodium.randomBytes(70_000), Array("the end".utf8)]

    @Test func roundTrip() throws {
        let ad = Array("tamga-hsm-backup v1\n{}\n".utf8)
        let (key, header, chunks) = try Self.seal(Self.messages, associatedData: ad)
        #expect(header.count == SecretStream.headerLength)
        #expect(chunks.map(\.count) == Self.messages.map { $0.count + SecretStream.overhead })
        #expect(chunks[0].prefix(11) != Self.messages[0][...], "the chunk is not the plaintext")
        let opened = try Self.open(chunks, key: key, header: header, associatedData: ad)
        #expect(opened.messages == Self.messages)
        #expect(opened.tags == [.message, .message, .message, .final])
        #expect(opened.complete)
    }

    @Test func twoStreamsUnderOneKeyDiffer() throws {
        let key = try SecureBytes(randomCount: SecretStream.keyLength)
        let a = try SecretStream.Encryptor(key: key)
        let b = try SecretStream.Encryptor(key: key)
        #expect(a.header != b.header)
        #expect(try a.push([1, 2, 3]) != b.push([1, 2, 3]))
    }

    @Test func tamperedHeaderChunkOrTagFails() throws {
        let (key, header, chunks) = try Self.seal(Self.messages)
        var badHeader = header
        badHeader[5] ^= 0x01
        #expect(throws: SodiumError.self) { try Self.open(chunks, key: key, header: badHeader) }
        for index in chunks.indices {
            // the first byte is the encrypted tag; then the body; the MAC is at the end
            for position in Set([0, chunks[index].count / 2, chunks[index].count - 1]) {
                var altered = chunks
                altered[index][position] ^= 0x80
                #expect(throws: SodiumError.self, "chunk \(index) byte \(position)") {
                    try Self.open(altered, key: key, header: header)
                }
            }
        }
    }

    @Test func associatedDataIsBound() throws {
        let (key, header, chunks) = try Self.seal(Self.messages, associatedData: Array("metadata A".utf8))
        #expect(throws: SodiumError.self) {
            try Self.open(chunks, key: key, header: header, associatedData: Array("metadata B".utf8))
        }
    }

    @Test func truncationWithoutFinalIsDetected() throws {
        let (key, header, chunks) = try Self.seal(Self.messages)
        let opened = try Self.open(Array(chunks.dropLast()), key: key, header: header)
        #expect(opened.messages == Array(Self.messages.dropLast()))
        #expect(!opened.complete, "a stream cut before its final chunk must not pass finish()")
        let decryptor = try SecretStream.Decryptor(key: key, header: header)
        #expect(throws: SodiumError.self) { try decryptor.finish() }
    }

    @Test func reorderedDroppedOrReplayedChunksFail() throws {
        let (key, header, chunks) = try Self.seal(Self.messages)
        var swapped = chunks
        swapped.swapAt(1, 2)
        #expect(throws: SodiumError.self) { try Self.open(swapped, key: key, header: header) }
        var dropped = chunks
        dropped.remove(at: 1)
        #expect(throws: SodiumError.self) { try Self.open(dropped, key: key, header: header) }
        var replayed = chunks
        replayed.insert(chunks[0], at: 1)
        #expect(throws: SodiumError.self) { try Self.open(replayed, key: key, header: header) }
    }

    @Test func chunkFromAnotherStreamFails() throws {
        let (key, header, chunks) = try Self.seal(Self.messages)
        let other = try SecretStream.Encryptor(key: key)
        var spliced = chunks
        spliced[0] = try other.push(Self.messages[0])
        #expect(throws: SodiumError.self) { try Self.open(spliced, key: key, header: header) }
    }

    @Test func dataAfterFinalIsRefused() throws {
        let (key, header, chunks) = try Self.seal(Self.messages)
        #expect(throws: SodiumError.self) { try Self.open(chunks + [chunks[3]], key: key, header: header) }
    }

    @Test func wrongKeyFails() throws {
        let (_, header, chunks) = try Self.seal(Self.messages)
        let wrong = try SecureBytes(randomCount: SecretStream.keyLength)
        #expect(throws: SodiumError.self) { try Self.open(chunks, key: wrong, header: header) }
    }

    @Test func lengthsAreChecked() throws {
        let short = try SecureBytes(randomCount: 16)
        #expect(throws: SodiumError.self) { try SecretStream.Encryptor(key: short) }
        let key = try SecureBytes(randomCount: SecretStream.keyLength)
        #expect(throws: SodiumError.self) { try SecretStream.Decryptor(key: key, header: [UInt8](repeating: 0, count: 23)) }
        let encryptor = try SecretStream.Encryptor(key: key)
        let decryptor = try SecretStream.Decryptor(key: key, header: encryptor.header)
        #expect(throws: SodiumError.self) { try decryptor.pull([UInt8](repeating: 0, count: SecretStream.overhead - 1)) { _, _ in } }
        _ = try encryptor.push([1], tag: .final)
        #expect(throws: SodiumError.self, "no push after final") { try encryptor.push([2]) }
    }
}
