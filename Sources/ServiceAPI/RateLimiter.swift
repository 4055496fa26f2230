#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import LedgerFormats
import NIOCore
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
        return buckets.withLock { table in
            var bucket = refilled(table[name], now: now)
            defer {
                if table[name] == nil, table.count >= maxBuckets {
                    Self.trim(&table, max: maxBuckets, now: now, rate: rate, burst: Double(limit.burst))
                }
                table[name] = bucket
            }
            guard bucket.tokens >= 1 else { return wait(bucket) }
            bucket.tokens -= 1
            return nil
        }
    }

    /// The milliseconds until `name` has a token, without taking one; nil if it has one now.
    func wait(_ name: String) -> Int64? {
        let now = clock.now()
        let bucket = buckets.withLock { refilled($0[name], now: now) }
        return bucket.tokens >= 1 ? nil : wait(bucket)
    }

    /// A bucket (a full one if none) with the tokens that came back since it was last used.
    private func refilled(_ bucket: Bucket?, now: Int64) -> Bucket {
        guard let bucket else { return Bucket(tokens: Double(limit.burst), updated: now) }
        return Bucket(
            tokens: min(Double(limit.burst), bucket.tokens + Double(max(0, now - bucket.updated)) * rate), updated: now)
    }

    private func wait(_ bucket: Bucket) -> Int64 { Int64(((1 - bucket.tokens) / rate).rounded(.up)) }

    private static func trim(_ table: inout [String: Bucket], max: Int, now: Int64, rate: Double, burst: Double) {
        table = table.filter { $0.value.tokens + Double(now - $0.value.updated) * rate < burst }
        guard table.count >= max else { return }
        let oldest = table.sorted { $0.value.updated < $1.value.updated }.prefix(table.count - max * 3 / 4)
        for (name, _) in oldest { table[name] = nil }
    }
}

extension RateLimiter {
    /// A client's network as the limiters name it: its address with only the first `v4` (IPv4)
    /// or `v6` (IPv6) bits kept, and the length (`198.51.100.0/24`, `2001:db8:1:2::/64`): one
    /// host has many addresses of its network, so a limit per address would be none. An
    /// IPv4-mapped IPv6 address counts as IPv4; a Unix socket is one name.
    static func prefix(_ address: SocketAddress?, v4: Int, v6: Int) -> String {
        guard let text = address?.ipAddress else { return address == nil ? "unknown" : "unix" }
        var v4Bytes = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, text, &v4Bytes) == 1 { return masked(v4Bytes, bits: v4) }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, text, &bytes) == 1 else { return text }
        if bytes.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] {
            return masked(Array(bytes.suffix(4)), bits: v4)
        }
        return masked(bytes, bits: v6)
    }

    private static func masked(_ bytes: [UInt8], bits: Int) -> String {
        let bits = min(max(bits, 0), bytes.count * 8)
        let kept = bytes.enumerated().map { index, byte -> UInt8 in
            let keep = min(max(bits - index * 8, 0), 8)
            return keep == 8 ? byte : byte & ~(0xff >> keep)
        }
        if kept.count == 4 { return kept.map(String.init).joined(separator: ".") + "/\(bits)" }
        let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(kept[$0]) << 8 | UInt16(kept[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "/\(bits)"
    }
}
