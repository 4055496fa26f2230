import Journal
import Testing

@Suite struct BatchTests {
    @Test func putEntryWritesTheEntryAndItsLeafIndex() throws {
        let store = try makeStore()
        try commit(store) { batch in for seq in 0..<3 { putEntry(batch, UInt64(seq)) } }
        for seq: UInt64 in 0..<3 {
            #expect(try store.entry(seq) == bytes("entry \(seq)"))
            #expect(try store.seq(forLeafHash: leaf(seq)) == seq)
        }
        #expect(try store.entry(3) == nil)
        #expect(try store.seq(forLeafHash: leaf(3)) == nil)
    }

    @Test func ownerIndexIsNewestFirstBelowBeforeAndNeverMixesPrefixes() throws {
        let store = try makeStore()
        let owners: [UInt64: String] = [0: "a", 1: "ab", 2: "a", 3: "ab", 4: "a", 5: "b", 6: "a", 7: "Жанар"]
        try commit(store) { batch in for (seq, owner) in owners { putEntry(batch, seq, owner: owner) } }
        #expect(try store.seqs(owner: "a", limit: 10) == [6, 4, 2, 0])
        #expect(try store.seqs(owner: "ab", limit: 10) == [3, 1])
        #expect(try store.seqs(owner: "b", limit: 10) == [5])
        #expect(try store.seqs(owner: "Жанар", limit: 10) == [7])
        #expect(try store.seqs(owner: "a", before: 4, limit: 10) == [2, 0], "before is exclusive")
        #expect(try store.seqs(owner: "a", before: 5, limit: 10) == [4, 2, 0])
        #expect(try store.seqs(owner: "a", before: 0, limit: 10) == [])
        #expect(try store.seqs(owner: "a", limit: 2) == [6, 4])
        #expect(try store.seqs(owner: "a", before: 6, limit: 1) == [4])
        #expect(try store.seqs(owner: "a", limit: 0) == [])
        for nobody in ["", "abc", "aa", "c", "zz"] { #expect(try store.seqs(owner: nobody, limit: 10) == [], "owner '\(nobody)'") }
    }

    @Test func entriesAreConsecutiveAndStopAtTheEnd() throws {
        let store = try makeStore()
        try commit(store) { batch in for seq: UInt64 in 0..<3 { putEntry(batch, seq) } }
        #expect(try store.entries(from: 0, count: 10) == (0..<3).map { bytes("entry \($0)") })
        #expect(try store.entries(from: 1, count: 1) == [bytes("entry 1")])
        #expect(try store.entries(from: 3, count: 5) == [])
        #expect(try store.entries(from: 0, count: 0) == [])
    }

    @Test func entriesStopAtAGap() throws {
        let store = try makeStore()
        try commit(store) { batch in for seq: UInt64 in [0, 1, 2, 4, 5] { putEntry(batch, seq) } }
        #expect(try store.entries(from: 4, count: 10) == [bytes("entry 4"), bytes("entry 5")])
        #expect(try store.entries(from: 0, count: 10) == (0..<3).map { bytes("entry \($0)") })
        #expect(try store.entries(from: 3, count: 2) == [], "never an entry outside the range asked for")
    }

    @Test func hashesStopAtTheFirstMissingIndexAndStayInTheirLevel() throws {
        let store = try makeStore()
        func h(_ level: Int, _ index: UInt64) -> [UInt8] { bytes("hash \(level)/\(index)") }
        // Each level's first index continues the one below: only the level keeps them apart.
        let stored: [(Int, UInt64)] = [(0, 0), (0, 1), (0, 2), (0, 4), (1, 5), (1, 6), (1, 256), (2, 257)]
        try commit(store) { batch in for (level, index) in stored { batch.putHash(level: level, index: index, hash: h(level, index)) } }
        #expect(try store.hashes(level: 0, from: 0, count: 10) == [h(0, 0), h(0, 1), h(0, 2)])
        #expect(try store.hashes(level: 0, from: 1, count: 1) == [h(0, 1)])
        #expect(try store.hashes(level: 0, from: 3, count: 5) == [])
        #expect(try store.hashes(level: 0, from: 4, count: 5) == [h(0, 4)], "not level 1's index 5 after it")
        #expect(try store.hashes(level: 1, from: 5, count: 10) == [h(1, 5), h(1, 6)])
        #expect(try store.hashes(level: 1, from: 256, count: 10) == [h(1, 256)], "not level 2's index 257 after it")
        #expect(try store.hashes(level: 1, from: 0, count: 10) == [])
        #expect(try store.hashes(level: 3, from: 0, count: 10) == [])
        #expect(try store.hash(level: 1, index: 256) == h(1, 256))
        #expect(try store.hash(level: 0, index: 3) == nil)
        #expect(try store.hash(level: 1, index: 0) == nil)
    }

    @Test func checkpointAndLastTime() throws {
        let store = try makeStore()
        #expect(try store.checkpoint() == nil)
        #expect(try store.lastTime() == nil)
        try commit(store) { $0.setCheckpoint(bytes("note 1"), lastTime: 1_795_154_400_123) }
        #expect(try store.checkpoint() == bytes("note 1"))
        #expect(try store.lastTime() == 1_795_154_400_123)
        try commit(store) { $0.setCheckpoint(bytes("note 2"), lastTime: -5) }
        #expect(try store.checkpoint() == bytes("note 2"))
        #expect(try store.lastTime() == -5)
    }

    @Test func blocksAndTheirCountPastHeight255() throws {
        let store = try makeStore()
        // Entries and records around the block keys must not be counted.
        try commit(store) { batch in
            putEntry(batch, 0)
            batch.putRecord("r", bytes("v"))
        }
        #expect(try store.blockCount() == 0)
        #expect(try store.block(0) == nil)
        try commit(store) { $0.putBlock(height: 0, note: bytes("block 0")) }
        #expect(try store.blockCount() == 1)
        try commit(store) { batch in for height: UInt64 in (1..<300).reversed() { batch.putBlock(height: height, note: bytes("block \(height)")) } }
        #expect(try store.blockCount() == 300, "height 299 sorts last only if heights are big-endian")
        for height: UInt64 in [0, 1, 255, 256, 299] { #expect(try store.block(height) == bytes("block \(height)")) }
        #expect(try store.block(300) == nil)
    }

    @Test func recordsByNameAndPrefix() throws {
        let store = try makeStore()
        let names = ["hsm/key/2", "hsm/key/1", "hsm/key/10", "hsm/keyring", "hsmx", "other", "empty"]
        try commit(store) { batch in for name in names { batch.putRecord(name, name == "empty" ? [] : bytes("value of \(name)")) } }
        #expect(try store.record("other") == bytes("value of other"))
        #expect(try store.record("empty") == [])
        #expect(try store.record("missing") == nil)
        let keys = try store.records(prefix: "hsm/key/")
        #expect(keys.map(\.name) == ["hsm/key/1", "hsm/key/10", "hsm/key/2"])
        #expect(keys.map(\.value) == keys.map { bytes("value of \($0.name)") })
        #expect(try store.records(prefix: "hsm").map(\.name) == ["hsm/key/1", "hsm/key/10", "hsm/key/2", "hsm/keyring", "hsmx"])
        #expect(try store.records(prefix: "nothing").isEmpty)
        try commit(store) { $0.deleteRecord("hsm/key/1") }
        #expect(try store.record("hsm/key/1") == nil)
        #expect(try store.records(prefix: "hsm/key/").map(\.name) == ["hsm/key/10", "hsm/key/2"])
    }

    @Test func nothingOfAnUncommittedBatchIsVisible() throws {
        let store = try makeStore()
        let batch = JournalBatch()
        putEntry(batch, 0, owner: "a")
        batch.putHash(level: 0, index: 0, hash: leaf(0))
        batch.setCheckpoint(bytes("note"), lastTime: 1)
        batch.putBlock(height: 0, note: bytes("block"))
        batch.putRecord("r", bytes("v"))
        batch.deleteRecord("r")  // in order: the delete wins
        batch.putRecord("s", bytes("w"))
        func visible() throws -> [Bool] {
            [
                try store.entry(0) != nil, try store.seq(forLeafHash: leaf(0)) != nil, try store.seqs(owner: "a", limit: 1) != [],
                try store.hash(level: 0, index: 0) != nil, try store.checkpoint() != nil, try store.lastTime() != nil,
                try store.blockCount() != 0, try store.record("s") != nil,
            ]
        }
        #expect(try visible() == Array(repeating: false, count: 8))
        try store.commit(batch)
        #expect(try visible() == Array(repeating: true, count: 8))
        #expect(try store.record("r") == nil)
    }
}
