import ArgumentParser
import Crypto
import Foundation
import LedgerFormats
import MerkleLog

/// Issue 3: the transparency log's hashing and tree integration, against raw SHA-256 on one core;
/// and the whole `Ledger` path with the disk's sync taken away (a tmpfs data folder).
struct MerkleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merkle",
        abstract: "SHA-256, leaf hashing and tree integration rates; Ledger throughput without fsync.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Seconds each measurement runs.")
    var duration: Double = 3

    @Option(help: "Leaves per storedHashes batch.")
    var batch: Int = 1024

    @Option(help: "Folder for the Ledger run without fsync: tmpfs, where fsync is a no-op.")
    var ledgerDir: String = "/dev/shm"

    @Option(parsing: .upToNextOption, help: "Writers for the Ledger run without fsync.")
    var ledgerWriters: [Int] = [1024, 4096]

    @Flag(help: "Skip the hashing measurements (e.g. to profile the Ledger run alone).")
    var skipHashing = false

    @Flag(help: "Skip the raw LevelDB writes beside the Ledger run (e.g. to profile the Ledger alone).")
    var skipRaw = false

    @Flag(help: "Skip the Ledger run without fsync.")
    var skipLedger = false

    func validate() throws {
        guard duration > 0, batch > 0, ledgerWriters.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--duration, --batch and --ledger-writers must be positive")
        }
    }

    var measurementDuration: Duration { .milliseconds(Int64(duration * 1000)) }

    func run() async throws {
        print("tamga-bench merkle: \(describeEnvironment(dir: ledgerDir))")
        let workload = try Workload()
        if !skipHashing { try hashing(workload) }
        if !skipLedger { try await ledgerWithoutSync(workload) }
    }

    // MARK: hashing, one core

    private func hashing(_ workload: Workload) throws {
        let time = try Timestamp(millisecondsSinceEpoch: 1_795_000_000_000)
        let entries = try (0..<1024).map {
            try Entry(workload[$0], seq: 1_000_000 + Int64($0), time: time).canonicalBytes
        }
        let meanEntry = entries.reduce(0) { $0 + $1.count } / entries.count

        progress("raw SHA-256, 65-byte inputs")
        let sha65 = Self.rate(measurementDuration) { count in
            var input = [UInt8](repeating: 0x01, count: 65)
            input.withUnsafeMutableBytes { buffer in
                for _ in 0..<count {
                    var sha = SHA256()
                    sha.update(bufferPointer: UnsafeRawBufferPointer(buffer))
                    // Chain the digest into the next input: every hash depends on the last.
                    sha.finalize().withUnsafeBytes {
                        UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0)
                    }
                }
            }
            blackHole(input)
        }

        progress("MerkleTree.nodeHash")
        let node = Self.rate(measurementDuration) { count in
            var hash = MerkleTree.leafHash([UInt8]())
            let right = MerkleTree.leafHash([0x2a])
            for _ in 0..<count { hash = MerkleTree.nodeHash(hash, right) }
            blackHole(hash)
        }

        progress("raw SHA-256, leaf inputs")
        let prefixed = entries.map { [0x00] + $0 }
        let shaLeaf = Self.rate(measurementDuration) { count in
            var last = SHA256.hash(data: [UInt8]())
            for i in 0..<count {
                prefixed[i & 1023].withUnsafeBytes { bytes in
                    var sha = SHA256()
                    sha.update(bufferPointer: bytes)
                    last = sha.finalize()
                }
            }
            blackHole(last)
        }

        progress("MerkleTree.leafHash")
        let leaf = Self.rate(measurementDuration) { count in
            var last = MerkleTree.emptyRoot
            for i in 0..<count { last = MerkleTree.leafHash(entries[i & 1023]) }
            blackHole(last)
        }

        progress("MerkleTree.storedHashes, batches of \(batch), in-memory reader")
        let (integrated, storedCount) = try integration()

        var table = Table(
            "Hashing and tree integration, one core (rates per CPU-second of the thread)",
            ["measure", "figure", "raw limit (same run)", "ratio", "wall-clock rate (CPU share)"])
        table.add(
            "SHA-256, 65-byte input (swift-crypto)", Format.rate(sha65.cpu, " hashes/s"), "–", "–", sha65.wallCell)
        table.add(
            "MerkleTree.nodeHash (65-byte input)", Format.rate(node.cpu, " hashes/s"),
            "SHA-256 65 B: " + Format.rate(sha65.cpu, "/s"), Format.ratio(node.cpu / sha65.cpu), node.wallCell)
        table.add(
            "SHA-256, \(meanEntry + 1)-byte input (0x00 + entry)", Format.rate(shaLeaf.cpu, " hashes/s"), "–", "–",
            shaLeaf.wallCell)
        table.add(
            "MerkleTree.leafHash, \(meanEntry)-byte entries", Format.rate(leaf.cpu, " hashes/s"),
            "SHA-256 \(meanEntry + 1) B: " + Format.rate(shaLeaf.cpu, "/s"), Format.ratio(leaf.cpu / shaLeaf.cpu),
            leaf.wallCell)
        // Appending n leaves computes n - popcount(n) node hashes: one per leaf, in the limit.
        table.add(
            "MerkleTree.storedHashes, \(batch)-leaf batches (\(Format.grouped(storedCount)) leaves)",
            Format.rate(integrated.cpu, " leaves/s"), "1 node hash per leaf: " + Format.rate(sha65.cpu, "/s"),
            Format.ratio(integrated.cpu / sha65.cpu), integrated.wallCell)
        table.print()
    }

    /// Leaves per second integrated by `storedHashes(n:leafHashes:reader:)`, batch by batch, into
    /// a tree kept in memory (every stored hash in one array, which is the reader).
    private func integration() throws -> (rate: Rate, leaves: Int) {
        var generator = SystemRandomNumberGenerator()
        let pool = (0..<65_536).compactMap { _ in
            Hash((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        var stored: [Hash] = []
        stored.reserveCapacity(1 << 25)
        var size: UInt64 = 0
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        var cpu = Duration.zero
        // Capped so the in-memory tree stays under 1 GiB.
        while elapsed < measurementDuration, size < 1 << 24 {
            let first = Int(size) % pool.count
            let leaves = (0..<batch).lazy.map { pool[(first + $0) % pool.count] }
            let leafHashes = Array(leaves)
            let start = clock.now
            let startCPU = threadCPUTime()
            let result = try MerkleTree.storedHashes(n: size, leafHashes: leafHashes, reader: stored)
            stored.append(contentsOf: result.hashes)
            cpu += threadCPUTime() - startCPU
            elapsed += start.duration(to: clock.now)
            size = result.treeSize
        }
        guard stored.count == Int(MerkleTree.storedHashCount(size)),
            try MerkleTree.treeHash(size: size, reader: stored)
                == MerkleTree.rootHash(leafHashes: (0..<Int(size)).lazy.map { pool[$0 % pool.count] })
        else { throw BenchError("the integrated tree does not match its leaves: storedHashes is wrong") }
        return (Rate(wall: Double(size) / elapsed.seconds, cpu: Double(size) / cpu.seconds), Int(size))
    }

    /// Operations per second of one thread, by the wall clock and per second of CPU the thread
    /// actually got (on a shared machine the two differ; the CPU figure is one core's rate).
    struct Rate {
        let wall: Double
        let cpu: Double
        var share: Double { wall / cpu }
        var wallCell: String { Format.rate(wall, "/s") + String(format: " (%.2f)", share) }
    }

    /// Runs `body(count)` with growing counts until `duration` has passed.
    private static func rate(_ duration: Duration, _ body: (Int) -> Void) -> Rate {
        let clock = ContinuousClock()
        var count = 1000
        var operations = 0
        var elapsed = Duration.zero
        var cpu = Duration.zero
        while elapsed < duration {
            let start = clock.now
            let startCPU = threadCPUTime()
            body(count)
            cpu += threadCPUTime() - startCPU
            let took = start.duration(to: clock.now)
            elapsed += took
            operations += count
            if took < .milliseconds(50) { count *= 2 }
        }
        return Rate(wall: Double(operations) / elapsed.seconds, cpu: Double(operations) / cpu.seconds)
    }

    // MARK: the ledger, fsync taken away

    private func ledgerWithoutSync(_ workload: Workload) async throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: ledgerDir, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--ledger-dir \(ledgerDir) is not an existing folder")
        }
        let fileSystem = fileSystemName(ledgerDir)
        let scratch = try ScratchFolder(under: ledgerDir, "merkle")
        defer { scratch.remove() }

        var raw: RawJournal.Result?
        if !skipRaw {
            progress("raw LevelDB writes of 4096-record batches in \(ledgerDir)")
            raw = try RawJournal.measure(workload, batchSize: 4096, duration: measurementDuration, folder: scratch)
        }

        var loads: [ClosedLoop] = []
        for writers in ledgerWriters {
            progress("Ledger.append, \(writers) writers, in \(ledgerDir)")
            loads.append(
                try await ClosedLoop.onFreshChain(
                    under: scratch.path, workload, writers: writers, duration: measurementDuration))
        }

        var table = Table(
            "Ledger.append with the data folder in \(ledgerDir) (\(fileSystem)): CPU per append",
            [
                "measure", "figure: CPU per append, all threads", "raw limit: CPU per entry, all threads", "ratio",
                "appends/s (cores busy)", "busiest thread",
            ])
        if let raw {
            table.add(
                "raw: prepare 4096-record batches + one LevelDB write each", Format.micros(raw.processCPUPerEntry),
                "writer thread: prepare " + Format.micros(raw.prepareCPU.seconds / Double(raw.entries)) + " + write "
                    + Format.micros(raw.writeCPU.seconds / Double(raw.entries)),
                "–",
                Format.rate(Double(raw.entries) / (raw.prepareTime + raw.writeTime).seconds)
                    + String(format: " (%.2f)", raw.processCPU.seconds / (raw.prepareTime + raw.writeTime).seconds))
            table.add(
                "raw: one writer thread with a whole core (1 / its CPU per entry)",
                Format.micros(raw.threadCPUPerEntry),
                "–", "–", Format.rate(1 / raw.threadCPUPerEntry) + " (bound)")
        }
        for load in loads {
            table.add(
                "Ledger.append, \(load.writers) writers (\(String(format: "%.0f", load.meanBatch)) appends/commit)",
                Format.micros(load.cpuPerAppend), raw.map { Format.micros($0.processCPUPerEntry) } ?? "not measured",
                raw.map { Format.ratio(load.cpuPerAppend / $0.processCPUPerEntry) } ?? "–",
                Format.rate(load.appendsPerSecond) + String(format: " (%.2f)", load.cpuLoad), load.busiestThread)
        }
        table.print()
    }
}
