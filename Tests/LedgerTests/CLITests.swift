import Foundation
import Ledger
import LedgerFormats
import MerkleLog
import Testing

/// The `tamga` executable, run as an operator would.
@Suite struct CLITests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    func tamga(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tamgaBinary())
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func initAppendReceiptVerify() throws {
        let data = try temporaryFolder("cli") + "/data"
        let created = try tamga(["init", "--data", data, "--origin", "cli.tamga.local/log", "--start-date", "2026-11-01"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("verifier key cli.tamga.local/log+"))
        #expect(try tamga(["init", "--data", data, "--origin", "again"]).status != 0, "a second init refuses")

        let appended = try tamga(["journal", "append", "--data", data, "--event", "key.create", "--owner", "900101300123", "--field", "key=k-1"])
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stdout.contains(#""seq":0"#))
        let bad = try tamga(["journal", "append", "--data", data, "--event", "key.create", "--owner", "900101300123"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("missing required field \"key\""))

        let shown = try tamga(["journal", "show", "--data", data])
        let entry = try Entry(parsing: Array(shown.stdout.split(separator: "\n")[0].utf8))
        #expect(entry.event == .keyCreate && entry.owner == "900101300123")

        let receipt = try tamga(["receipt", "0", "--data", data])
        let parsed = try Receipt(parsing: Array(receipt.stdout.utf8))
        #expect(parsed.entry == entry.canonicalBytes)

        // Days from Nov 1 to yesterday are sealed on the next start.
        let sealed = try tamga(["chain", "seal", "--data", data])
        #expect(sealed.status == 0, "\(sealed.stderr)")
        let verified = try tamga(["chain", "verify", "--data", data])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(verified.stdout.hasPrefix("OK: "))
        let block = try tamga(["chain", "show", "--data", data, "--height", "0"])
        #expect(block.stdout.contains("\nblock 0\ndate 2026-11-01 2026-10-31T19:00:00Z 2026-11-01T19:00:00Z\n"))
    }

    @Test func helpTeachesAndErrorsSayWhatToDo() throws {
        let help = try tamga(["--help"])
        #expect(help.status == 0)
        for command in ["node", "init", "journal", "receipt", "chain"] { #expect(help.stdout.contains(command)) }
        let missing = try tamga(["journal", "show", "--data", "/nonexistent/tamga"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("tamga init"))
        let zone = try tamga(["init", "--data", try temporaryFolder("cli") + "/d", "--origin", "x", "--time-zone", "Mars/Olympus"])
        #expect(zone.status != 0 && zone.stderr.contains("unknown time zone"))
    }
}
