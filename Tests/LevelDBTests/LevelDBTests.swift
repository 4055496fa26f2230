import Foundation
import LevelDB
import Testing

func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tamga-leveldb-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func create(_ path: String) throws -> Database {
    var options = Database.Options()
    options.createIfMissing = true
    return try Database(path: path + "/db", options: options)
}

@Suite struct LevelDBTests {
    @Test func missingIsNotEmpty() throws {
        let db = try create(try temporaryFolder())
        try db.put("empty", [UInt8](), sync: true)
        try db.put("one", [1], sync: false)
        #expect(try db.get("missing") == nil)
        #expect(try db.get("empty") == [])
        #expect(try db.get("one") == [1])
    }

    @Test func batchIsAtomicAndIteratesInOrder() throws {
        let db = try create(try temporaryFolder())
        let batch = WriteBatch()
        for i in (0..<100).reversed() { batch.put([UInt8(0x61), UInt8(i)], [UInt8(i)]) }
        batch.delete([UInt8(0x61), 50])
        try db.write(batch, sync: true)
        let it = db.makeIterator()
        it.seek([UInt8(0x61)])
        var seen: [UInt8] = []
        while it.isValid {
            seen.append(it.value[0])
            it.next()
        }
        try it.checkStatus()
        #expect(seen == (0..<100).filter { $0 != 50 }.map(UInt8.init))
    }

    @Test func snapshotIsFrozen() throws {
        let db = try create(try temporaryFolder())
        try db.put("k", [1], sync: false)
        let snapshot = db.makeSnapshot()
        try db.put("k", [2], sync: false)
        let it = db.makeIterator(snapshot: snapshot)
        it.seekToFirst()
        #expect(it.value == [1])
        #expect(try db.get("k") == [2])
    }

    @Test func openingAMissingStoreFailsWithLevelDBsReason() throws {
        let path = try temporaryFolder() + "/nothing-here"
        let error = try #require(throws: LevelDBError.self) { try Database(path: path) }
        #expect(error.code == .notFound)
        #expect(error.message.contains("does not exist"))
    }

    @Test func secondOpenIsLocked() throws {
        let folder = try temporaryFolder()
        let db = try create(folder)
        let error = try #require(throws: LevelDBError.self) { try create(folder) }
        #expect(error.code == .locked)
        #expect(error.message.contains("LOCK"))
        _ = db
    }

    @Test func corruptFolderIsRefused() throws {
        let folder = try temporaryFolder()
        do {
            let db = try create(folder)
            for i in 0..<1000 { try db.put("key\(i)", [UInt8](repeating: UInt8(i % 256), count: 100), sync: false) }
        }
        // Overwrite the manifest LevelDB needs to open: it must refuse, not start empty.
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/db")
        let manifest = try #require(files.first { $0.hasPrefix("MANIFEST-") })
        try Data(repeating: 0xAB, count: 200).write(to: URL(fileURLWithPath: folder + "/db/" + manifest))
        let error = try #require(throws: LevelDBError.self) { try Database(path: folder + "/db") }
        #expect(error.code == .corruption)
    }
}
