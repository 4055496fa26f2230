public import HSMBoundary
public import LedgerFormats
import MerkleLog
import Synchronization

/// An `HSMJournal` in memory: what SignCore's tests run on beside the real ledger, so that the
/// HSM's behaviour is checked against the journal contract alone. It keeps the entries it
/// sequenced (canonical bytes, as the ledger would write them) so tests can read them back.
public final class InMemoryJournal: HSMJournal {
    private struct State {
        var entries: [Entry] = []
        var records: [String: [UInt8]] = [:]
        var failing = false
    }

    private let state = Mutex(State())
    private let clock: any LedgerClock

    public init(clock: any LedgerClock) {
        self.clock = clock
    }

    public func append(_ events: [EventRecord], records: [RecordWrite]) async throws -> [Appended] {
        guard !events.isEmpty else { throw InMemoryJournalError(description: "an append needs at least one event") }
        return try state.withLock { state in
            guard !state.failing else { throw InMemoryJournalError(description: "the in-memory journal refuses appends (the test asked it to fail)") }
            let time = try Timestamp(millisecondsSinceEpoch: max(clock.now(), state.entries.last?.time.millisecondsSinceEpoch ?? 0))
            let first = state.entries.count
            let entries = try events.enumerated().map { offset, event in
                try Entry(event, seq: Int64(first + offset), time: time)
            }
            state.entries += entries
            for write in records {
                switch write {
                case .put(let name, let value): state.records[name] = value
                case .delete(let name): state.records[name] = nil
                }
            }
            let size = UInt64(state.entries.count)
            return entries.map {
                Appended(seq: UInt64($0.seq), time: time, leafHash: MerkleTree.leafHash($0.canonicalBytes), treeSize: size)
            }
        }
    }

    public func record(_ name: String) throws -> [UInt8]? {
        state.withLock { $0.records[name] }
    }

    public func records(prefix: String) throws -> [(name: String, value: [UInt8])] {
        state.withLock { state in
            // Byte order of the names, as LevelDB orders keys.
            state.records.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { ($0.key, $0.value) }
        }
    }

    /// Memory keeps no earlier values: nothing to erase.
    public func eraseHistory(ofRecord name: String) async throws {}

    /// Every entry appended so far, in order.
    public var entries: [Entry] { state.withLock { $0.entries } }

    /// From now on every append fails (nothing is written), as a stopped ledger's would.
    public func failAppends() { state.withLock { $0.failing = true } }
}

public struct InMemoryJournalError: Error, CustomStringConvertible {
    public let description: String
}
