import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import TestSupport
import Testing

/// Runs `tamga` with `arguments`, kills it with SIGKILL after `killAfter` seconds, and returns
/// the seqs it printed as acknowledged (`ack <seq>` lines) before it died.
func runAndKill(_ arguments: [String], killAfter: Double) throws -> [UInt64] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try builtExecutable("tamga"))
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    Thread.sleep(forTimeInterval: killAfter)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    // A line cut by the kill mid-write has no newline and is not counted.
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().compactMap { line in
        line.hasPrefix("ack ") ? UInt64(line.dropFirst(4)) : nil
    }
}

@Suite(.serialized) struct CrashTests {
    /// A child appends as fast as it can; SIGKILL at random moments, 24 times. Every append it
    /// saw acknowledged survives, seqs have no gap or duplicate, the checkpoint matches the
    /// stored tree (checked by `Ledger.open`) and the indexes agree.
    @Test func killedWhileAppendingLosesNothingAcknowledged() async throws {
        let folder = try makeChain(startDate: "2026-11-20")
        var acknowledged = Set<UInt64>()
        var kills = 0
        for round in 0..<24 {
            let acked = try runAndKill(
                ["journal", "stress", "--data", folder.path, "--writers", "16"], killAfter: Double.random(in: 0.15...0.6))
            #expect(Set(acked).count == acked.count, "round \(round): no seq acknowledged twice")
            acknowledged.formUnion(acked)
            kills += 1
            let ledger = try Ledger.open(folder: folder)
            let size = ledger.head.treeSize
            let missing = acknowledged.filter { $0 >= size }
            #expect(missing.isEmpty, "round \(round): acknowledged seqs \(missing.sorted().prefix(5)) lost (size \(size))")
        }
        #expect(kills == 24)
        #expect(acknowledged.count > 100, "the child made progress between kills")
        let ledger = try Ledger.open(folder: folder)
        try checkChainInvariants(ledger)
    }

    /// Sealing 400 missed days, killed at random moments 20 times: after each restart every
    /// sealed day has exactly one block and the chain verifies; in the end all days are sealed.
    @Test func killedWhileSealingGivesEachDayExactlyOneBlock() async throws {
        let folder = try makeChain(startDate: "2025-10-01")
        var previousCount: UInt64 = 0
        for round in 0..<20 {
            _ = try runAndKill(["chain", "seal", "--data", folder.path], killAfter: Double.random(in: 0.05...0.3))
            let ledger = try Ledger.open(folder: folder)
            let count = ledger.head.blockCount
            #expect(count >= previousCount, "round \(round): blocks never disappear")
            previousCount = count
            #expect(try ledger.verifyChain().problems == [], "round \(round)")
        }
        let ledger = try Ledger.open(folder: folder)
        ledger.start()
        try await ledger.sealDueDays()
        ledger.shutdown()
        let today = try ledger.calendar.height(containing: Timestamp(Date()))
        #expect(ledger.head.blockCount == UInt64(today), "every past day sealed once, today still open")
        try checkChainInvariants(ledger)
    }
}
