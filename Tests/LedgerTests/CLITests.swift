import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

/// The `tamga` executable, run as an operator would.
@Suite struct CLITests {
    func tamga(_ arguments: [String]) throws -> ProcessRun {
        try runProcess(try builtExecutable("tamga"), arguments)
    }

    /// Key events come from the HSM on a real chain: the command line writes them only on a
    /// development chain, and `tamga demo` refuses a real chain outright.
    @Test func keyEventsOnlyOnDevelopmentChains() throws {
        let real = try makeChain()
        let refused = try tamga(["journal", "append", "--data", real.path, "--event", "key.create", "--owner", "o", "--field", "key=k-1"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("only on a development chain"), "\(refused.stderr)")
        let demo = try tamga(["demo", "--data", real.path])
        #expect(demo.status != 0)
        #expect(demo.stderr.contains("real chain"), "\(demo.stderr)")
        #expect(try Ledger.open(folder: real).head.treeSize == 0, "nothing was written")

        let dev = try makeChain(development: true)
        let accepted = try tamga(["journal", "append", "--data", dev.path, "--event", "key.create", "--owner", "o", "--field", "key=k-1"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try tamga(["demo", "--data", dev.path]).status == 0)
        let entries = try Ledger.open(folder: dev).entries(from: 0, count: 100).map { try Entry(parsing: $0) }
        #expect(entries.first?.event == .keyCreate && entries.count == 7)
    }

    @Test func initAppendReceiptVerify() throws {
        let data = try temporaryFolder("cli") + "/data"
        let created = try tamga(["init", "--data", data, "--origin", "cli.tamga.local/log", "--start-date", "2026-11-01"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("verifier key cli.tamga.local/log+"))
        #expect(try tamga(["init", "--data", data, "--origin", "again"]).status != 0, "a second init refuses")

        let appended = try tamga(["journal", "append", "--data", data, "--event", "consent", "--owner", "900101300123", "--field", "terms=t-1"])
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(appended.stdout.contains(#""seq":0"#))
        let bad = try tamga(["journal", "append", "--data", data, "--event", "key.create", "--owner", "900101300123"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("missing required field \"key\""))

        let shown = try tamga(["journal", "show", "--data", data])
        let entry = try Entry(parsing: Array(shown.stdout.split(separator: "\n")[0].utf8))
        #expect(entry.event == .consent && entry.owner == "900101300123" && entry.record[field: "terms"] == "t-1")

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
        for command in ["node", "init", "journal", "receipt", "chain", "hsm", "operator-token"] {
            #expect(help.stdout.contains(command))
        }
        let missing = try tamga(["journal", "show", "--data", "/nonexistent/tamga"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("tamga init"))
        let zone = try tamga(["init", "--data", try temporaryFolder("cli") + "/d", "--origin", "x", "--time-zone", "Mars/Olympus"])
        #expect(zone.status != 0 && zone.stderr.contains("unknown time zone"))
    }

    /// `tamga hsm backup` and `restore` as an operator runs them: share files 0600 with the
    /// mnemonic alone on the last line; 3 of them restore a folder whose chain verifies; 2 do
    /// not, and leave nothing behind; thresholds below 3-of-5 and a non-terminal ceremony are
    /// refused with what to do.
    @Test func hsmBackupAndRestore() throws {
        let root = try temporaryFolder("cli-hsm")
        let data = root + "/data"
        #expect(try tamga(["init", "--data", data, "--origin", "hsm.tamga.local/log"]).status == 0)
        #expect(try tamga(["journal", "append", "--data", data, "--event", "consent", "--owner", "o-1"]).status == 0)

        let low = try tamga(["hsm", "backup", "--data", data, "--out", root + "/low.tamgabak", "--threshold", "2", "--shares", "5", "--share-dir", root + "/low"])
        #expect(low.status != 0 && low.stderr.contains("3"), "\(low.stderr)")
        let onScreen = try tamga(["hsm", "backup", "--data", data, "--out", root + "/screen.tamgabak", "--threshold", "3", "--shares", "5"])
        #expect(onScreen.status != 0, "shares on a non-terminal must be refused")
        #expect(onScreen.stderr.contains("--share-dir"), "\(onScreen.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/screen.tamgabak"))

        let backup = try tamga(["hsm", "backup", "--data", data, "--out", root + "/hsm.tamgabak", "--threshold", "3", "--shares", "5", "--share-dir", root + "/shares"])
        #expect(backup.status == 0, "\(backup.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/shares").sorted().map { root + "/shares/" + $0 }
        #expect(files.count == 5)
        for file in files {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "\(file) has mode \(String(mode, radix: 8))")
            let last = try #require(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").last)
            #expect(last.split(separator: " ").count == 33, "the last line is the 33-word mnemonic alone")
            #expect(!backup.stdout.contains(String(last)) && !backup.stderr.contains(String(last)), "a share was printed")
        }

        let two = try tamga(["hsm", "restore", "--archive", root + "/hsm.tamgabak", "--share", files[0], "--share", files[1], "--data", root + "/two"])
        #expect(two.status != 0)
        #expect(!FileManager.default.fileExists(atPath: root + "/two"), "a refused restore writes nothing")
        let restored = try tamga(["hsm", "restore", "--archive", root + "/hsm.tamgabak", "--share", files[4], "--share", files[0], "--share", files[2], "--data", root + "/restored"])
        #expect(restored.status == 0, "\(restored.stderr)")
        let verified = try tamga(["chain", "verify", "--data", root + "/restored"])
        #expect(verified.status == 0 && verified.stdout.hasPrefix("OK: "), "\(verified.stdout)")
        let events = try tamga(["journal", "show", "--data", root + "/restored"]).stdout.split(separator: "\n").map { try Entry(parsing: Array($0.utf8)) }
        #expect(events.map(\.event).suffix(2) == [.consent, .backupRestore], "the archive ends before backup.create; restore is journaled")
    }
}
