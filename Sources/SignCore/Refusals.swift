import LedgerFormats
import Synchronization

/// Requests refused before any biometric of the owner verified: a bad challenge or assertion,
/// an unknown, spent or foreign SAD, a rate limit. Anyone can send those in anyone's name, so
/// they are never journaled one by one nor in an owner's name: they are counted per key,
/// purpose, reason and minute, and each count is journaled once, as the node's
/// `request.refused`, when its minute has ended (`SignCore.flushRefusals`). A flood costs the
/// journal one entry per key and reason a minute, and the owner's own requests nothing.
///
/// The counts of the current minute are in memory: a crash loses at most that minute's counts,
/// never an event of a key.
final class RefusalCounts: Sendable {
    struct Bucket: Hashable, Comparable {
        /// The key the request named, nil when it named none or an unknown one (an attacker can
        /// invent identifiers without end; they must not make entries without end).
        let key: String?
        let purpose: String
        let reason: String
        /// Milliseconds since the epoch of the minute's start.
        let minute: Int64

        static func < (a: Bucket, b: Bucket) -> Bool {
            (a.minute, a.key ?? "", a.purpose, a.reason) < (b.minute, b.key ?? "", b.purpose, b.reason)
        }
    }

    /// Most buckets held at once; past it, a refusal is counted without its key.
    static let maxBuckets = 10_000
    private struct State {
        var counts: [Bucket: Int] = [:]
        /// The earliest minute counted.
        var oldest = Int64.max
    }
    private let state = Mutex(State())

    /// Counts one refusal at `now`; true when some earlier minute is waiting to be journaled.
    func count(key: String?, purpose: String, reason: String, now: Int64) -> Bool {
        let minute = now - now % 60_000
        return state.withLock { state in
            var bucket = Bucket(key: key, purpose: purpose, reason: reason, minute: minute)
            if state.counts[bucket] == nil, state.counts.count >= Self.maxBuckets {
                bucket = Bucket(key: nil, purpose: purpose, reason: reason, minute: minute)
            }
            state.counts[bucket, default: 0] += 1
            state.oldest = min(state.oldest, minute)
            return state.oldest < minute
        }
    }

    /// Takes out the counts of minutes that began before `minute` (all of them if nil), oldest first.
    func take(before minute: Int64?) -> [(Bucket, Int)] {
        let minute = minute ?? Int64.max
        return state.withLock { state in
            guard state.oldest < minute else { return [] }
            let due = state.counts.filter { $0.key.minute < minute }
            for bucket in due.keys { state.counts[bucket] = nil }
            state.oldest = state.counts.keys.map(\.minute).min() ?? Int64.max
            return due.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
    }

    /// Puts counts back that could not be journaled, to be tried again.
    func restore(_ taken: [(Bucket, Int)]) {
        state.withLock { state in
            for (bucket, count) in taken {
                state.counts[bucket, default: 0] += count
                state.oldest = min(state.oldest, bucket.minute)
            }
        }
    }
}

extension SignCore {
    /// Counts a refusal that came before the owner's live biometric (see `RefusalCounts`) and
    /// returns the error to throw; journals the counts of minutes that have ended.
    func counted(key: String?, purpose: String, reason: String, _ error: SignCoreError) async -> SignCoreError {
        await countRefusal(key: key, purpose: purpose, reason: reason)
        return error
    }

    /// Journals one `request.refused` per key, purpose and reason of every minute that has
    /// ended (of every minute, with `all`: at shutdown). Counts the journal did not take are
    /// kept for the next call, and the error is thrown.
    public func flushRefusals(all: Bool = false) async throws {
        let now = clock.now()
        let due = refusals.take(before: all ? nil : now - now % 60_000)
        guard !due.isEmpty else { return }
        do {
            let events = try due.map { bucket, count in
                JournalEvent.refused(
                    key: bucket.key, purpose: bucket.purpose, reason: bucket.reason, count: count,
                    minute: try Timestamp(millisecondsSinceEpoch: bucket.minute))
            }
            try await journal(events, owner: configuration.operatorID)
        } catch {
            refusals.restore(due)
            throw error
        }
    }

    /// Counts a refusal the service layer made before any factor (a wrong operator token, a
    /// rate limit): one `request.refused` per key, purpose, reason and minute, as the node's.
    public func countRefusal(key: String?, purpose: String, reason: String) async {
        if refusals.count(key: key, purpose: purpose, reason: reason, now: clock.now()) {
            try? await flushRefusals()
        }
    }
}
