import ArgumentParser
import Foundation

/// Issue 2: durable appends per second through `Ledger.append`, beside what the disk and LevelDB
/// allow for the same records in the same run.
struct JournalBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Durable appends/s through Ledger.append against raw synced LevelDB batches and fsync.",
        discussion: """
            Each writer is a task awaiting one append at a time, so a commit carries at most as many \
            appends as there are writers: throughput <= writers / commit time, and a commit takes at \
            least one fsync.
            """)

    @OptionGroup var options: CommonOptions

    @Option(help: "Seconds each measurement runs.")
    var duration: Double = 5

    @Option(parsing: .upToNextOption, help: "Concurrent writers, one run each.")
    var writers: [Int] = [1, 8, 64, 256, 1024]

    @Option(parsing: .upToNextOption, help: "Raw LevelDB batch sizes (entries per synced batch).")
    var batchSizes: [Int] = [1, 8, 64, 256, 1024, 4096]

    @Option(help: "Seconds of fsync probing (at the start and again at the end).")
    var syncDuration: Double = 2

    @Option(help: "The issue's target: appends/s with 64 writers.")
    var target: Double = 100_000

    func validate() throws {
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        guard writers.allSatisfy({ $0 > 0 }), batchSizes.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("writer counts and batch sizes must be positive")
        }
    }

    var measurementDuration: Duration { .milliseconds(Int64(duration * 1000)) }

    func run() async throws {
        print("tamga-bench journal: \(describeEnvironment(dir: options.dir))")
        let workload = try Workload()
        print(
            "records: key.use events, mean entry \(Int(try workload.meanEntrySize())) bytes; "
                + "\(duration) s per measurement"
        )
        let scratch = try ScratchFolder(under: options.dir, "journal")
        defer { scratch.remove() }
        let syncProbe = Duration.milliseconds(Int64(syncDuration * 1000))

        progress("fsync latency")
        let fsyncStart = try measureSyncLatency(in: scratch.path, duration: syncProbe)
        let fdatasync = try measureSyncLatency(in: scratch.path, duration: syncProbe, dataOnly: true)

        var raws: [Int: RawJournal.Result] = [:]
        for batchSize in batchSizes {
            progress("raw LevelDB, synced batches of \(batchSize)")
            raws[batchSize] = try RawJournal.measure(
                workload, batchSize: batchSize, duration: measurementDuration, folder: scratch)
        }

        var loads: [ClosedLoop] = []
        for count in writers {
            progress("Ledger.append, \(count) writers")
            loads.append(
                try await ClosedLoop.onFreshChain(
                    under: scratch.path, workload, writers: count, duration: measurementDuration))
        }

        progress("fsync latency again")
        let fsyncEnd = try measureSyncLatency(in: scratch.path, duration: syncProbe)
        let fsync = Percentiles(fsyncStart + fsyncEnd)

        var disk = Table(
            "Disk: write 100 B + sync, repeated", ["probe", "samples", "p50", "p99", "max", "bound: 1 / p50"])
        let probes = [
            ("fsync, start", fsyncStart), ("fdatasync (LevelDB's call)", fdatasync), ("fsync, end", fsyncEnd),
            ("fsync, both", fsyncStart + fsyncEnd),
        ]
        for (name, samples) in probes {
            let p = Percentiles(samples)
            disk.add(
                name, "\(p.count)", Format.ms(p.p50), Format.ms(p.p99), Format.ms(p.max), Format.rate(1 / p.p50.seconds)
            )
        }
        disk.print()

        var raw = Table(
            "Raw LevelDB: the ledger's keys and values for N records, one Database.write(sync: true)",
            [
                "batch N", "entries/s", "commit p50", "commit p99", "bound: N / fsync p50", "ratio",
                "CPU/entry: write, prepare",
            ])
        for batchSize in batchSizes {
            guard let r = raws[batchSize] else { continue }
            let bound = Double(batchSize) / fsync.p50.seconds
            raw.add(
                "\(batchSize)", Format.rate(r.entriesPerSecond), Format.ms(r.commits.p50), Format.ms(r.commits.p99),
                Format.rate(bound), Format.ratio(r.entriesPerSecond / bound),
                Format.micros(r.writeCPU.seconds / Double(r.entries)) + ", "
                    + Format.micros(r.prepareCPU.seconds / Double(r.entries)))
        }
        raw.print()

        var ledger = Table(
            "Ledger.append: durable appends/s, W writers each awaiting one append at a time",
            [
                "writers W", "appends/s", "appends/commit", "latency p50 / p99", "raw limit: synced batch of W",
                "ratio",
                "ceiling: W / fsync p50", "CPU cores busy, per append",
            ])
        for load in loads {
            let rawLimit = raws[min(load.writers, 4096)].map { $0.entriesPerSecond }
            let ceiling = Double(load.writers) / fsync.p50.seconds
            ledger.add(
                "\(load.writers)", Format.rate(load.appendsPerSecond), String(format: "%.1f", load.meanBatch),
                "\(Format.ms(load.latency.p50)) / \(Format.ms(load.latency.p99))",
                rawLimit.map { Format.rate($0) } ?? "not measured",
                rawLimit.map { Format.ratio(load.appendsPerSecond / $0) } ?? "–",
                Format.rate(ceiling), String(format: "%.2f, ", load.cpuLoad) + Format.micros(load.cpuPerAppend))
        }
        ledger.print()

        let needed = Int((target * fsync.p50.seconds).rounded(.up))
        if let at64 = loads.first(where: { $0.writers == 64 }) {
            let verdict = at64.appendsPerSecond >= target ? "MET" : "MISSED"
            print(
                "Target: >= \(Format.rate(target, "")) appends/s with 64 writers: \(verdict) "
                    + "(\(Format.rate(at64.appendsPerSecond))).")
        }
        print(
            """
            Batch-size ceiling: a commit takes at least one fsync (p50 \(Format.ms(fsync.p50))), so W \
            single-outstanding writers cannot exceed W / fsync = \(Format.rate(64 / fsync.p50.seconds)) for W = 64; \
            \(Format.rate(target)) needs >= \(needed) appends in flight per commit.
            """)
        if let best = loads.max(by: { $0.appendsPerSecond < $1.appendsPerSecond }) {
            print(
                "Best: \(Format.rate(best.appendsPerSecond)) with \(best.writers) writers "
                    + "(\(String(format: "%.0f", best.meanBatch)) appends per commit, "
                    + "\(String(format: "%.2f", best.cpuLoad)) cores busy).")
        }
    }
}
