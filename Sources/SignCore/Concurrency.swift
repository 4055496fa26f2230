import Dispatch
import Synchronization

/// Runs blocking, memory-hard work (Argon2id) with at most `limit` runs at once, on threads of
/// its own: a burst of authorizations waits here instead of exhausting memory, and never blocks
/// the cooperative pool that the ledger's continuations resume on. Waiters are served in order.
final class DerivationLimiter: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var running = 0
        var peak = 0
    }

    private let state: Mutex<State>
    private let queue = DispatchQueue(label: "tamga.signcore.argon2id", attributes: .concurrent)

    init(limit: Int) { state = Mutex(State(available: max(1, limit))) }

    func run<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
        await acquire()
        defer { release() }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// The most runs seen at once (for the test that checks the cap).
    var peak: Int { state.withLock { $0.peak } }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state in
                guard state.available > 0 else {
                    state.waiters.append(continuation)
                    return false
                }
                state.available -= 1
                state.running += 1
                state.peak = max(state.peak, state.running)
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        // A waiter inherits the permit: `running` stays the same.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.available += 1
                state.running -= 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

/// One async mutex per key identifier. Every operation that reads a key's record and writes it
/// back (failure counters, TOTP steps, state) holds the key's lock across its journal append,
/// so two requests for one key are serialized while requests for different keys run in parallel.
final class KeyLocks: Sendable {
    private let waiters = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    func withLock<R>(_ key: String, _ body: () async throws -> R) async throws -> R {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = waiters.withLock { table in
                guard table[key] != nil else {
                    table[key] = []
                    return true
                }
                table[key, default: []].append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func release(_ key: String) {
        let next = waiters.withLock { table -> CheckedContinuation<Void, Never>? in
            guard var queue = table[key], !queue.isEmpty else {
                table[key] = nil
                return nil
            }
            let first = queue.removeFirst()
            table[key] = queue
            return first
        }
        next?.resume()
    }
}
