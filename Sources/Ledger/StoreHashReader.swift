import Journal
import MerkleLog

/// Serves MerkleLog's stored-hash indexes from the journal, which keys hashes by (level, index)
/// so that a tile is one range scan.
struct StoreHashReader: HashReader {
    let store: JournalStore
    init(_ store: JournalStore) { self.store = store }

    func readHashes(_ indexes: [Int64]) throws -> [Hash] {
        try indexes.map { index in
            let (level, n) = MerkleTree.splitStoredHashIndex(index)
            guard let bytes = try store.hash(level: level, index: n), let hash = Hash(bytes) else {
                throw LedgerError(.corrupt, "the store has no tree hash at level \(level), index \(n): it is damaged; restore it from a backup")
            }
            return hash
        }
    }
}
