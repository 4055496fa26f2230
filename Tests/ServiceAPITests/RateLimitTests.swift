import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
@testable import ServiceAPI
import SignCore
import Synchronization
import TestSupport
import Testing

@Suite struct RateLimitTests {
    @Test func tokenBucketRefillsEvenly() {
        let clock = ManualClock(startTime)
        let limiter = RateLimiter(RateLimit(perMinute: 6, burst: 2), clock: clock)
        #expect(limiter.take("a") == nil)
        #expect(limiter.take("a") == nil)
        let wait = limiter.take("a")
        #expect(wait == 10_000)  // 6 a minute: one token every 10 s
        #expect(limiter.take("b") == nil)  // buckets are per name
        clock.advance(9_999)
        #expect(limiter.take("a") != nil)
        clock.advance(1)
        #expect(limiter.take("a") == nil)
        clock.advance(3_600_000)
        #expect(limiter.take("a") == nil)
        #expect(limiter.take("a") == nil)
        #expect(limiter.take("a") != nil)  // never more than the burst saved up
    }

    @Test func tableStaysBounded() {
        let clock = ManualClock(startTime)
        let limiter = RateLimiter(RateLimit(perMinute: 60, burst: 1), clock: clock, maxBuckets: 10)
        for index in 0..<100 { #expect(limiter.take("name \(index)") == nil) }
        #expect(limiter.take("name 99") != nil)  // the newest bucket survived the trims
    }

    @Test func sessionsExpireAndAreStoredHashed() {
        let clock = ManualClock(startTime)
        let sessions = Sessions(lifetime: 1000, capacity: 2, clock: clock)
        let first = sessions.open(owner: "a")
        #expect(sessions.owner(token: first.token) == "a")
        #expect(sessions.owner(token: first.token + "x") == nil)
        clock.advance(1000)
        #expect(sessions.owner(token: first.token) == nil)
        let second = sessions.open(owner: "b")
        clock.advance(1)
        let third = sessions.open(owner: "c")
        clock.advance(1)
        let fourth = sessions.open(owner: "d")
        #expect(sessions.owner(token: third.token) == "c")
        #expect(sessions.owner(token: fourth.token) == "d")
        #expect(sessions.owner(token: second.token) == nil)  // capacity 2: the oldest went
    }

    @Test func overTheLimitIs429WithRetryAfterAndOneJournalEntry() async throws {
        try await Fixture.run(configure: { $0.ownerLimit = RateLimit(perMinute: 1, burst: 3) }) { f in
            let owner = "900101300123"
            let password = "correct horse battery staple 42"
            let key = try await f.createKey(owner: owner, password: password)  // tokens 1 and 2: consent, create
            #expect(try await f.authorize(key.id, owner: owner, password: password, hashes: randomHashes(1)).status == .ok)
            let limited = try await f.authorize(key.id, owner: owner, password: password, hashes: randomHashes(1))
            try f.expectRefusal(limited, .tooManyRequests, "too_many_requests")
            let retryAfter = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            #expect(retryAfter >= 1 && retryAfter <= 60)
            let size = f.ledger.head.treeSize
            let again = try await f.authorize(key.id, owner: owner, password: password, hashes: randomHashes(1))
            #expect(again.status == .tooManyRequests)
            #expect(f.ledger.head.treeSize == size, "a refusal before the factors is only counted")
            try await f.expectCounted(purpose: "sign", reason: "rate-limited-owner", key: key.id, count: 2)
            f.clock.advance(Int64(retryAfter) * 1000)
            #expect(try await f.authorize(key.id, owner: owner, password: password, hashes: randomHashes(1)).status == .ok)
        }
    }

    /// A caller over its address's limit gets 429 but writes nothing to the journal, whichever
    /// owners it names: it can neither flood the journal nor put failures on someone else.
    @Test func anAddressOverItsLimitJournalsNothing() async throws {
        try await Fixture.run(configure: { $0.challengeLimit = RateLimit(perMinute: 1, burst: 3) }) { f in
            let size = f.ledger.head.treeSize
            var statuses: [HTTPResponse.Status] = []
            for i in 0..<8 {
                statuses.append(try await f.post("/owner/v1/challenge", ["owner": "victim-\(i)"]).status)
            }
            #expect(statuses.filter { $0 == .ok }.count == 3)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 5)
            try await f.core.flushRefusals(all: true)
            #expect(f.ledger.head.treeSize == size, "nothing journaled, not even a count")
        }
    }
}
