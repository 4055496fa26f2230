import LedgerFormats
import Synchronization

/// A token bucket's settings: `perMinute` tokens refill evenly over a minute, at most `burst`
/// are saved up.
public struct RateLimit: Sendable, Hashable {
    public var perMinute: Int
    public var burst: Int

    public init(perMinute: Int, burst: Int) {
        self.perMinute = perMinute
        self.burst = burst
    }
}

/// Token buckets by name (an owner, an address). Argon2id is expensive on purpose, so the routes
/// that run it take a token first. The table is bounded: when full, buckets that refilled
/// (indistinguishable from new ones) are dropped first, then the least recently used.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Int64
    }

    let limit: RateLimit
    private let clock: any LedgerClock
    private let maxBuckets: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(_ limit: RateLimit, clock: any LedgerClock, maxBuckets: Int = 100_000) {
        self.limit = RateLimit(perMinute: max(1, limit.perMinute), burst: max(1, limit.burst))
        self.clock = clock
        self.maxBuckets = max(1, maxBuckets)
    }

    /// Tokens per millisecond.
    private var rate: Double { Double(limit.perMinute) / 60_000 }

    /// Takes one token for `name`: nil if granted, else the milliseconds until one is back.
    func take(_ name: String) -> Int64? {
        let now = clock.now()
        let rate = self.rate
        let burst = Double(limit.burst)
        return buckets.withLock { table in
            var bucket = table[name] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + Double(max(0, now - bucket.updated)) * rate)
            bucket.updated = now
            defer {
                if table[name] == nil, table.count >= maxBuckets { Self.trim(&table, max: maxBuckets, now: now, rate: rate, burst: burst) }
                table[name] = bucket
            }
            guard bucket.tokens >= 1 else { return Int64(((1 - bucket.tokens) / rate).rounded(.up)) }
            bucket.tokens -= 1
            return nil
        }
    }

    private static func trim(_ table: inout [String: Bucket], max: Int, now: Int64, rate: Double, burst: Double) {
        table = table.filter { $0.value.tokens + Double(now - $0.value.updated) * rate < burst }
        guard table.count >= max else { return }
        let oldest = table.sorted { $0.value.updated < $1.value.updated }.prefix(table.count - max * 3 / 4)
        for (name, _) in oldest { table[name] = nil }
    }
}
