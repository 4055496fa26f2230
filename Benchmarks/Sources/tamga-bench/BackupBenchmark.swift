import ArgumentParser
import Backup
import Foundation
import Journal
import HSMBoundary
import Ledger
import PublicLog
import Sodium

/// Issue 9: how long an HSM backup and a restore take for a store of `--entries` events, each
/// beside the raw steps measured in the same run on the same bytes: a LevelDB snapshot scan,
/// libsodium's secretstream over them, and writing them to a file with fsync (backup); and a
/// raw LevelDB import of the same keys and values (restore).
struct BackupBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "HSM backup and restore time for a store of N events, beside the raw scan, cipher, write and import.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Events in the store that is backed up.")
    var entries: Int = 200_000

    @Option(help: "Concurrent appenders while the store is filled.")
    var writers: Int = 512

    func validate() throws {
        guard entries > 0, writers > 0 else { throw ValidationError("--entries and --writers must be positive") }
    }

    func run() async throws {
        print("tamga-bench backup: \(describeEnvironment(dir: options.dir))")
        let scratch = try ScratchFolder(under: options.dir, "backup")
        defer { scratch.remove() }
        let folder = DataFolder(scratch.path + "/data")
        try await fill(scratch)

        // Raw steps, on exactly the bytes a backup carries.
        progress("raw: snapshot scan, secretstream, write+fsync, import")
        var pairs: [([UInt8], [UInt8])] = []
        var bytes = 0
        let scan = try ContinuousClock().measure {
            let store = try JournalStore.open(at: folder.store)
            try store.forEachRaw { key, value in
                pairs.append((key, value))
                bytes += key.count + value.count
            }
        }
        let plain = pairs.reduce(into: [UInt8]()) { $0 += $1.0 + $1.1 }
        let key = try SecureBytes(randomCount: SecretStream.keyLength)
        var sealed: [UInt8] = []
        let cipher = try ContinuousClock().measure {
            let stream = try SecretStream.Encryptor(key: key)
            sealed.reserveCapacity(plain.count + plain.count / 1000 + 64)
            var offset = 0
            while offset < plain.count {
                let end = min(offset + 65_536, plain.count)
                sealed += try stream.push(plain[offset..<end], tag: end == plain.count ? .final : .message)
                offset = end
            }
        }
        let rawFile = scratch.path + "/raw.bin"
        let write = try ContinuousClock().measure {
            FileManager.default.createFile(atPath: rawFile, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: rawFile))
            try handle.write(contentsOf: sealed)
            try handle.synchronize()
            try handle.close()
        }
        let imported = try ContinuousClock().measure {
            let target = try JournalImport(at: scratch.path + "/raw-import")
            for (key, value) in pairs { try target.put(key, value) }
            try target.finish()
        }

        progress("HSM backup of \(Format.grouped(entries)) events")
        let archive = scratch.path + "/hsm.tamgabak"
        var created: HSMBackup.Created?
        let backup = try await ContinuousClock().measure {
            created = try await HSMBackup.create(
                folder: folder, archive: archive, threshold: 3, shares: 5, shareFolder: scratch.path + "/shares")
        }
        guard let created else { throw BenchError("the backup returned nothing") }
        let shares = try created.shareFiles.prefix(3).map(HSMBackup.readShareFile)
        progress("restore")
        let started = ContinuousClock.now
        let restore = try await ContinuousClock().measure {
            _ = try await HSMBackup.restore(
                archive: archive, shares: shares, into: DataFolder(scratch.path + "/restored"),
                progress: { progress(String(format: "  %.2f s  ", (ContinuousClock.now - started).seconds) + $0) })
        }
        let archiveBytes = (try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int) ?? 0

        var table = Table(
            "HSM backup and restore, \(Format.grouped(entries)) events, \(Format.grouped(pairs.count)) store records, "
                + "\(megabytes(bytes)) (archive \(megabytes(archiveBytes)))",
            ["step", "time", "MB/s", "raw time ÷ step time"])
        let raw = scan + cipher + write
        table.add("raw: LevelDB snapshot scan", seconds(scan), rate(bytes, scan), "")
        table.add("raw: secretstream seal, 64 KiB chunks", seconds(cipher), rate(bytes, cipher), "")
        table.add("raw: write + fsync", seconds(write), rate(bytes, write), "")
        table.add("raw: scan + seal + write", seconds(raw), rate(bytes, raw), "1.00")
        table.add("**`tamga hsm backup`** (incl. journaling backup.create)", seconds(backup), rate(bytes, backup),
            String(format: "%.2f of raw", raw.seconds / backup.seconds))
        table.add("raw: LevelDB import of the same records", seconds(imported), rate(bytes, imported), "1.00")
        table.add("**`tamga hsm restore`** (incl. verifyChain, backup.restore)", seconds(restore), rate(bytes, restore),
            String(format: "%.2f of raw import", imported.seconds / restore.seconds))
        table.print()
    }

    /// A chain of `entries` events, appended by `writers` concurrent tasks, then closed.
    private func fill(_ scratch: ScratchFolder) async throws {
        progress("filling a store with \(Format.grouped(entries)) events (\(writers) writers)")
        let ledger = try Chain.started(in: scratch)
        defer { ledger.shutdown() }
        let workload = try Workload()
        let perWriter = (entries + writers - 1) / writers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                let count = min(perWriter, max(0, entries - writer * perWriter))
                group.addTask {
                    for i in 0..<count { _ = try await ledger.append(workload[writer * perWriter + i]) }
                }
            }
            try await group.waitForAll()
        }
    }

    private func seconds(_ duration: Duration) -> String { String(format: "%.2f s", duration.seconds) }
    private func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
    private func rate(_ bytes: Int, _ duration: Duration) -> String {
        String(format: "%.0f", Double(bytes) / 1e6 / duration.seconds)
    }
}
