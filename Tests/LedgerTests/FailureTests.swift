import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import Synchronization
import TestSupport
import Testing

struct InjectedFailure: Error {}

@Suite(.serialized) struct FailureTests {
    /// A commit that fails before it is written: the append fails, the ledger stops (every later
    /// append is refused), and after a restart the store holds exactly what was acknowledged.
    @Test(arguments: [false, true]) func failedCommitStopsTheLedgerAndLosesNothing(written: Bool) async throws {
        let folder = try makeChain()
        let clock = ManualClock(ms("2026-11-20T10:00:00Z"))
        try await withFaultyLedger(folder: folder, clock: clock, failAfter: 5, written: written) { ledger in
            var acked: [UInt64] = []
            for i in 0..<5 { acked.append(try await ledger.append(record(owner: "o\(i)")).seq) }
            #expect(acked == [0, 1, 2, 3, 4])
            await #expect { try await ledger.append(record()) } throws: { ($0 as? LedgerError)?.code == .storage }
            await #expect { try await ledger.append(record()) } throws: { ($0 as? LedgerError)?.code == .stopped }
            #expect(!ledger.isSequencing)
        }
        let reopened = try Ledger.open(folder: folder, clock: clock)
        // "Failed, not written": 5 entries. "Failed, but written": the unacknowledged sixth is
        // there too, and the store is still consistent.
        #expect(reopened.head.treeSize == (written ? 6 : 5))
        try checkChainInvariants(reopened)
        reopened.start()
        defer { reopened.shutdown() }
        let next = try await reopened.append(record())
        #expect(next.seq == reopened.head.treeSize - 1)
    }

    /// The same two modes while sealing a block.
    @Test(arguments: [false, true]) func failedSealStopsTheLedgerAndRecovers(written: Bool) async throws {
        let folder = try makeChain(startDate: "2026-11-18")
        let clock = ManualClock(ms("2026-11-18T10:00:00Z"))
        try await withFaultyLedger(folder: folder, clock: clock, failAfter: 2, written: written) { ledger in
            _ = try await ledger.append(record())
            clock.set(ms("2026-11-20T10:00:00Z"))  // two days due; the second commit fails
            await #expect { try await ledger.sealDueDays() } throws: { ($0 as? LedgerError)?.code == .storage }
        }
        let reopened = try Ledger.open(folder: folder, clock: clock)
        #expect(reopened.head.blockCount == (written ? 2 : 1))
        reopened.start()
        defer { reopened.shutdown() }
        try await reopened.sealDueDays()
        #expect(reopened.head.blockCount == 2)
        try checkChainInvariants(reopened)
    }

    func withFaultyLedger(
        folder: DataFolder, clock: ManualClock, failAfter commits: Int, written: Bool,
        _ body: (Ledger) async throws -> Void
    ) async throws {
        let ledger = try Ledger.open(folder: folder, clock: clock)
        let count = Counter()
        ledger.faultInjector = { point in
            guard point == (written ? .afterCommit : .beforeCommit) else { return }
            if count.next() >= commits { throw InjectedFailure() }
        }
        ledger.start()
        defer { ledger.shutdown() }
        try await body(ledger)
    }

    /// A real full disk: the store lives on a 3 MiB tmpfs. Appends fail once it is full; nothing
    /// acknowledged is lost, and once space is freed (the tmpfs grown) the store opens and goes on.
    @Test func fullDiskLosesNothingAcknowledged() async throws {
        let mountPoint = try temporaryFolder("tmpfs")
        try run("/bin/mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint])
        defer { try? run("/bin/umount", [mountPoint]) }
        let folder = DataFolder(mountPoint + "/data")
        _ = try Ledger.create(folder: folder, origin: "full.tamga.local/log", timeZone: "Asia/Almaty", startDate: LocalDate(parsing: "2026-11-20"))
        let clock = ManualClock(ms("2026-11-20T10:00:00Z"))
        var acked: [UInt64] = []
        var failure: (any Error)?
        do {
            let ledger = try Ledger.open(folder: folder, clock: clock)
            ledger.start()
            defer { ledger.shutdown() }
            let filler = String(repeating: "x", count: 60_000)
            for _ in 0..<1000 {
                do {
                    acked.append(try await ledger.append(EventRecord(event: .authOK, owner: "o", fields: ["pad": .string(filler)])).seq)
                } catch {
                    failure = error
                    break
                }
            }
        }
        let error = try #require(failure, "a 3 MiB disk cannot hold 60 MB of entries")
        #expect((error as? LedgerError)?.code == .storage)
        #expect("\(error)".contains("No space left") || "\(error)".contains("space"))
        #expect(acked.count > 5)
        try run("/bin/mount", ["-o", "remount,size=256m", mountPoint])
        let reopened = try Ledger.open(folder: folder, clock: clock)
        #expect(reopened.head.treeSize >= UInt64(acked.count))
        try checkChainInvariants(reopened)
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 - 1 } }
}

func run(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        Issue.record("\(tool) \(arguments.joined(separator: " ")) failed (this test needs root to mount a tmpfs)")
        throw CancellationError()
    }
}
