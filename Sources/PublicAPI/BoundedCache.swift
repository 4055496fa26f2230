import Synchronization

/// A bounded map for values that never change once written: serialized full tiles and stored
/// tree hashes (a complete subtree's hash is final). Nothing is ever invalidated; the bound only
/// caps memory.
///
/// Eviction is first in, first out over a ring of keys: O(1), no bookkeeping on a hit. The hot
/// entries (the upper levels of the tree, which every proof and tile client needs) are evicted
/// rarely and re-added on their next miss, so LRU's extra work per hit would buy little.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var values: [Key: Value] = [:]
        var ring: [Key?]
        var next = 0
    }

    private let state: Mutex<State>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        state = Mutex(State(ring: Array(repeating: nil, count: max(0, capacity))))
    }

    func value(for key: Key) -> Value? {
        state.withLock { $0.values[key] }
    }

    /// The values of `keys` (nil where absent), under one lock.
    func values(for keys: [Key]) -> [Value?] {
        state.withLock { state in keys.map { state.values[$0] } }
    }

    func insert(_ key: Key, _ value: Value) {
        insert(CollectionOfOne((key, value)))
    }

    /// Adds the pairs not already present, under one lock.
    func insert(_ pairs: some Sequence<(Key, Value)>) {
        guard capacity > 0 else { return }
        state.withLock { state in
            for (key, value) in pairs where state.values[key] == nil {
                if let evicted = state.ring[state.next] { state.values[evicted] = nil }
                state.ring[state.next] = key
                state.values[key] = value
                state.next = (state.next + 1) % capacity
            }
        }
    }

    var count: Int { state.withLock { $0.values.count } }
}
