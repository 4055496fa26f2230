import Foundation
import Ledger
import PublicLog
import TestSupport
import Testing

/// Issue 15, point 9: `tamga init` killed at any moment leaves no half-made chain, and the next
/// run removes what it left.
@Suite struct InitTests {
    func tamga(_ arguments: [String]) throws -> ProcessRun {
        try runProcess(try builtExecutable("tamga"), arguments)
    }

    func initialize(_ data: String) throws -> ProcessRun {
        try tamga(["init", "--data", data, "--origin", "init.tamga.local/log", "--start-date", "2026-11-01"])
    }

    /// Real kills at spread-out moments: after each, the next `tamga init` either makes the
    /// chain or finds it whole, and the chain opens and verifies.
    @Test func aKilledInitIsFinishedByTheNext() async throws {
        let root = try temporaryFolder("init-kills")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let executable = try builtExecutable("tamga")
        for (run, delay) in [0, 2, 5, 10, 20, 40, 80].enumerated() {
            let data = root + "/data-\(run)"
            try await offPool {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = ["init", "--data", data, "--origin", "init.tamga.local/log", "--start-date", "2026-11-01"]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                usleep(useconds_t(delay * 1000))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            let again = try await offPool { try initialize(data) }
            #expect(
                again.status == 0 || again.stderr.contains("already holds a chain"),
                "after a kill at \(delay) ms: \(again.output)")
            let ledger = try Ledger.open(folder: DataFolder(data))
            #expect(try ledger.verifyChain().problems == [], "after a kill at \(delay) ms")
            #expect(!FileManager.default.fileExists(atPath: data + "/.init"))
        }
    }

    /// Each state a kill can leave, made by hand: the next run removes the killed run's files
    /// (never an operator's master key) and makes the chain.
    @Test func everyLeftoverStateIsCleaned() throws {
        let root = try temporaryFolder("init-leftovers")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files = FileManager.default

        // Killed after moving its new master key, log key and store out, before the genesis.
        let moved = root + "/moved"
        try files.createDirectory(atPath: moved + "/.init/store", withIntermediateDirectories: true)
        try files.createDirectory(atPath: moved + "/store", withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: moved + "/log-key.sealed"))
        try Data(repeating: 7, count: 32).write(to: URL(fileURLWithPath: moved + "/master.key"))
        try Data().write(to: URL(fileURLWithPath: moved + "/.init/.created-master-key"))
        let first = try initialize(moved)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.stdout.contains("removed what an earlier, interrupted tamga init left"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: moved + "/master.key")) != Data(repeating: 7, count: 32))
        #expect(try Ledger.open(folder: DataFolder(moved)).verifyChain().problems == [])

        // The operator's master key was there before: it stays, and the chain uses it.
        let placed = root + "/placed"
        try files.createDirectory(atPath: placed + "/.init", withIntermediateDirectories: true)
        #expect(try tamga(["init", "--data", root + "/donor", "--origin", "x.tamga.local/log"]).status == 0)
        try files.copyItem(atPath: root + "/donor/master.key", toPath: placed + "/master.key")
        try Data([1]).write(to: URL(fileURLWithPath: placed + "/log-key.sealed"))
        let second = try initialize(placed)
        #expect(second.status == 0, "\(second.output)")
        #expect(files.contents(atPath: placed + "/master.key") == files.contents(atPath: root + "/donor/master.key"))
        #expect(try Ledger.open(folder: DataFolder(placed)).verifyChain().problems == [])

        // Killed after the genesis moved: the chain is whole; only `.init` goes.
        let whole = root + "/whole"
        #expect(try initialize(whole).status == 0)
        try files.createDirectory(atPath: whole + "/.init", withIntermediateDirectories: true)
        let third = try initialize(whole)
        #expect(third.status != 0 && third.stderr.contains("already holds a chain"), "\(third.output)")
        #expect(!files.fileExists(atPath: whole + "/.init"))
        #expect(try Ledger.open(folder: DataFolder(whole)).verifyChain().problems == [])
    }

    /// In a folder that already exists with loose permissions, every file the chain is made of
    /// is the node user's alone.
    @Test func storeFilesAreTheUsersAloneEvenInAnExistingFolder() throws {
        let data = try temporaryFolder("init-modes") + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        #expect(try initialize(data).status == 0)
        let appended = try tamga(["journal", "append", "--data", data, "--event", "consent", "--owner", "o", "--field", "terms=t"])
        #expect(appended.status == 0, "\(appended.output)")
        let store = data + "/store"
        let names = try FileManager.default.contentsOfDirectory(atPath: store)
        #expect(names.count > 2)
        for name in names {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: store + "/" + name)[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(name) has mode \(String(mode, radix: 8))")
        }
    }
}
