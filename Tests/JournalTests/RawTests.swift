import Journal
import LevelDB
import Testing

/// Every key and value of `store`, by `forEachRaw`.
func rawRecords(_ store: JournalStore) throws -> (keys: [[UInt8]], values: [[UInt8]]) {
    var out: (keys: [[UInt8]], values: [[UInt8]]) = ([], [])
    try store.forEachRaw { key, value in
        out.keys.append(key)
        out.values.append(value)
    }
    return out
}

/// A bit of everything, with more entry bytes than one import batch (4 MiB) holds.
func fill(_ store: JournalStore) throws {
    try commit(store) { batch in
        for seq: UInt64 in 0..<5 {
            let entry = [UInt8](repeating: UInt8(seq), count: 1 << 20)
            batch.putEntry(seq: seq, bytes: entry, leafHash: leaf(seq), owner: seq % 2 == 0 ? "even" : "odd")
        }
        batch.putHash(level: 0, index: 0, hash: leaf(0))
        batch.setCheckpoint(bytes("checkpoint"), lastTime: 42)
        batch.putBlock(height: 0, note: bytes("block 0"))
        batch.putRecord("hsm/key", bytes("wrapped"))
    }
}

@Suite struct RawTests {
    @Test func forEachRawSeesEveryKeyInOrder() throws {
        let path = try temporaryFolder() + "/store"
        let seen: (keys: [[UInt8]], values: [[UInt8]])
        do {
            let store = try JournalStore.create(at: path, genesis: bytes("genesis"))
            try fill(store)
            seen = try rawRecords(store)
        }
        #expect(seen.keys == seen.keys.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(seen.keys.contains(formatKey) && seen.keys.contains(bytes("meta/genesis")) && seen.keys.contains(bytes("x/hsm/key")))
        // The same as LevelDB's own iteration over the closed store.
        let db = try Database(path: path)
        let it = db.makeIterator()
        it.seekToFirst()
        var keys: [[UInt8]] = []
        var values: [[UInt8]] = []
        while it.isValid {
            keys.append(it.key)
            values.append(it.value)
            it.next()
        }
        try it.checkStatus()
        let sameValues = seen.values == values  // (megabytes: not for a failure message)
        #expect(seen.keys == keys)
        #expect(sameValues)
    }

    @Test func forEachRawIsASnapshot() throws {
        let store = try makeStore()
        try commit(store) { batch in for name in ["a", "b"] { batch.putRecord(name, bytes("old")) } }
        var seen: [String: [UInt8]] = [:]
        var wrote = false
        try store.forEachRaw { key, value in
            if !wrote {
                wrote = true
                try commit(store) { batch in
                    batch.putRecord("b", bytes("new"))
                    batch.putRecord("zzz", bytes("new"))
                }
            }
            seen[String(decoding: key, as: UTF8.self)] = value
        }
        #expect(wrote)
        #expect(seen["x/a"] == bytes("old"))
        #expect(seen["x/b"] == bytes("old"), "a later key keeps its value from before the write")
        #expect(seen["x/zzz"] == nil, "a key written during the iteration is not seen")
        #expect(try store.record("b") == bytes("new"))
        #expect(try store.record("zzz") == bytes("new"))
    }

    @Test func importCopiesAStoreThatOpenReads() throws {
        let source = try makeStore(genesis: bytes("the genesis"))
        try fill(source)
        let path = try temporaryFolder() + "/copy"
        let importer = try JournalImport(at: path)
        try source.forEachRaw { key, value in try importer.put(key, value) }
        try importer.finish()

        let copy = try JournalStore.open(at: path)
        #expect(try copy.genesis() == bytes("the genesis"))
        let entries = try copy.entries(from: 0, count: 10)
        #expect(entries.map(\.count) == Array(repeating: 1 << 20, count: 5) && entries.map(\.first) == [0, 1, 2, 3, 4])
        #expect(try copy.seq(forLeafHash: leaf(3)) == 3)
        #expect(try copy.seqs(owner: "even", limit: 10) == [4, 2, 0])
        #expect(try copy.blockCount() == 1)
        #expect(try copy.record("hsm/key") == bytes("wrapped"))
        let (copied, original) = (try rawRecords(copy), try rawRecords(source))
        let sameValues = copied.values == original.values  // (megabytes: not for a failure message)
        #expect(copied.keys == original.keys)
        #expect(sameValues, "every record, checkpoint and hash too")
    }

    @Test func importRefusesAnExistingStore() throws {
        let path = try temporaryFolder() + "/store"
        _ = try JournalStore.create(at: path, genesis: bytes("genesis"))
        try expectJournalError(.exists, "restore only into an empty folder") { try JournalImport(at: path) }
        #expect(try JournalStore.open(at: path).genesis() == bytes("genesis"))
    }

    @Test func importWithoutTheFormatRecordIsNotAStore() throws {
        let folder = try temporaryFolder()
        let missing = try JournalImport(at: folder + "/missing")
        try missing.put(bytes("meta/genesis"), bytes("genesis"))
        try expectJournalError(.notAStore, "not a Tamga store") { try missing.finish() }
        try expectJournalError(.notAStore, "no format record") { try JournalStore.open(at: folder + "/missing") }

        let other = try JournalImport(at: folder + "/other")
        try other.put(formatKey, bytes("tamga-journal 2"))
        try expectJournalError(.notAStore, "'tamga-journal 1'") { try other.finish() }
    }

    @Test func putAfterFinishThrows() throws {
        let folder = try temporaryFolder()
        let good = try JournalImport(at: folder + "/good")
        try good.put(formatKey, bytes("tamga-journal 1"))
        try good.put(bytes("meta/genesis"), bytes("genesis"))
        try good.finish()
        try expectJournalError(.storage, "is finished") { try good.put(bytes("x/late"), bytes("v")) }
        #expect(try JournalStore.open(at: folder + "/good").record("late") == nil)

        let bad = try JournalImport(at: folder + "/bad")
        #expect(throws: JournalError.self) { try bad.finish() }
        try expectJournalError(.storage, "is finished") { try bad.put(formatKey, bytes("tamga-journal 1")) }
    }
}
