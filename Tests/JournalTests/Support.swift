import Foundation
import Journal
import LevelDB
import Testing

/// A new empty folder under the system's temporary directory.
func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tamga-journal-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A fresh store in a folder of its own.
func makeStore(genesis: [UInt8] = Array("genesis".utf8)) throws -> JournalStore {
    try JournalStore.create(at: try temporaryFolder() + "/store", genesis: genesis)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A 32-byte leaf hash that differs for every seq.
func leaf(_ seq: UInt64) -> [UInt8] { Array(repeating: 0xAA, count: 24) + withUnsafeBytes(of: seq.bigEndian) { Array($0) } }

/// Builds one batch with `build` and commits it.
func commit(_ store: JournalStore, _ build: (JournalBatch) -> Void) throws {
    let batch = JournalBatch()
    build(batch)
    try store.commit(batch)
}

/// Entry `seq` as the tests write it: bytes "entry <seq>", `leaf(seq)`, `owner`.
func putEntry(_ batch: JournalBatch, _ seq: UInt64, owner: String = "900101300123") {
    batch.putEntry(seq: seq, bytes: bytes("entry \(seq)"), leafHash: leaf(seq), owner: owner)
}

/// The on-disk record every store starts with (the format is a contract with older stores).
let formatKey = bytes("meta/format")

/// Writes raw records into a LevelDB database at `path` (created if missing) and closes it.
func writeRaw(_ path: String, _ records: [(key: String, value: String)]) throws {
    var options = Database.Options()
    options.createIfMissing = true
    let db = try Database(path: path, options: options)
    for record in records { try db.put(bytes(record.key), bytes(record.value), sync: true) }
}

/// Checks that `body` throws a `JournalError` of `code` whose message contains `fragment`.
@discardableResult
func expectJournalError<R>(
    _ code: JournalError.Code, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) throws -> JournalError {
    let error = try #require(throws: JournalError.self, sourceLocation: sourceLocation) { _ = try body() }
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    return error
}
