import ArgumentParser
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import Synchronization

/// Issue 2 and 3 latency: append latency under a paced open-loop load, and how long until an
/// event is covered by a signed checkpoint.
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "p50/p99/max append latency at a paced open-loop rate; checkpoint coverage.",
        discussion: """
            A new append is issued every 1/rate seconds whatever the completions, each in its own \
            task. Latency runs from the append's scheduled time (not from when the pacer got to \
            it), so a stalled pacer cannot hide latency (no coordinated omission).
            """)

    @OptionGroup var options: CommonOptions

    @Option(help: "Seconds of paced load.")
    var duration: Double = 10

    @Option(help: "Appends per second offered.")
    var rate: Int = 10_000

    @Option(help: "Target p99 append latency, in milliseconds.")
    var targetP99: Double = 20

    @Option(help: "Target p99 time to checkpoint coverage, in milliseconds.")
    var targetCoverage: Double = 250

    func validate() throws {
        guard rate > 0, duration > 0 else { throw ValidationError("--rate and --duration must be positive") }
    }

    /// One append's outcome.
    private struct Sample {
        /// When the append was due, from the start of the load.
        let due: Duration
        /// Due time to completion: what a caller sees.
        let latency: Duration
        /// Due time to the task calling `append`: queueing in the task pool, not in the ledger.
        let startLag: Duration
        let seq: UInt64
        let treeSize: UInt64
        let failed: Bool
    }

    /// Where the append tasks leave their samples.
    private final class Samples: Sendable {
        let mutex = Mutex<[Sample]>([])
    }

    func run() async throws {
        let duration = Duration.milliseconds(Int64(self.duration * 1000))
        print("tamga-bench latency: \(describeEnvironment(dir: options.dir))")
        let workload = try Workload()
        let scratch = try ScratchFolder(under: options.dir, "latency")
        defer { scratch.remove() }

        progress("fsync latency")
        let fsync = Percentiles(try measureSyncLatency(in: scratch.path, duration: .seconds(2)))

        let ledger = try Chain.started(in: scratch)
        defer { ledger.shutdown() }
        progress("warm-up")
        _ = try await ClosedLoop.run(ledger, workload, writers: 64, duration: .seconds(1))

        progress("open loop at \(rate)/s for \(duration)")
        let total = Int((duration.seconds * Double(rate)).rounded())
        let interval = Duration.seconds(1) / rate
        let samples = Samples()
        samples.mutex.withLock { $0.reserveCapacity(total) }
        let clock = ContinuousClock()
        let cpuBefore = processCPUTime()
        let scheduleBefore = SchedulerSnapshot.now()
        let sizeBefore = ledger.head.treeSize
        let start = clock.now
        var maxLag = Duration.zero
        await withDiscardingTaskGroup { group in
            var next = 0
            while next < total {
                // Issue every append whose time has come, then sleep until the next one is due.
                let now = clock.now
                while next < total, start + interval * next <= now {
                    let scheduled = start + interval * next
                    maxLag = max(maxLag, scheduled.duration(to: now))
                    let record = workload[next]
                    group.addTask {
                        let sample: Sample
                        let startLag = scheduled.duration(to: clock.now)
                        do {
                            let appended = try await ledger.append(record)
                            sample = Sample(
                                due: start.duration(to: scheduled), latency: scheduled.duration(to: clock.now),
                                startLag: startLag, seq: appended.seq, treeSize: appended.treeSize, failed: false)
                        } catch {
                            sample = Sample(
                                due: start.duration(to: scheduled), latency: scheduled.duration(to: clock.now),
                                startLag: startLag, seq: 0, treeSize: 0, failed: true)
                        }
                        samples.mutex.withLock { $0.append(sample) }
                    }
                    next += 1
                }
                if next < total { try? await clock.sleep(until: start + interval * next, tolerance: nil) }
            }
        }
        let elapsed = start.duration(to: clock.now)
        let cpu = processCPUTime() - cpuBefore
        let busiestThread = SchedulerSnapshot.now().busiestSummary(since: scheduleBefore, over: elapsed)
        let all = samples.mutex.withLock { $0 }
        let succeeded = all.filter { !$0.failed }
        let failures = all.count - succeeded.count
        let latency = Percentiles(succeeded.map(\.latency))
        let covered = succeeded.filter { $0.treeSize > $0.seq }.count
        let commits = Set(succeeded.map(\.treeSize)).count

        // Independently of what `append` returned: the latest signed checkpoint verifies under
        // the genesis key and covers every acknowledged sequence number.
        let head = ledger.head
        let checkpoint = try Checkpoint(note: head.checkpoint, verifier: ledger.verifier)
        let highest = succeeded.map(\.seq).max() ?? 0
        guard checkpoint.size > highest, head.treeSize - sizeBefore == UInt64(succeeded.count) else {
            throw BenchError(
                "the signed checkpoint (size \(checkpoint.size)) does not cover every acknowledged append "
                    + "(highest seq \(highest))"
            )
        }

        let meanBatch = Double(succeeded.count) / Double(max(commits, 1))
        let writer =
            fileSystemName(options.dir).hasPrefix("tmpfs") ? "; busiest thread (the writer): \(busiestThread)" : ""
        print(
            "offered \(Format.rate(Double(rate), " appends/s")) for \(duration): \(all.count) appends issued, "
                + "\(failures) failed, all done after \(Format.ms(elapsed)); max pacer lag \(Format.ms(maxLag)); "
                + "\(commits) commits (mean \(String(format: "%.1f", meanBatch)) appends/commit); "
                + "\(String(format: "%.2f", cpu.seconds / elapsed.seconds)) cores busy\(writer)")

        var table = Table(
            "Open loop: \(Format.rate(Double(rate), " appends/s")) for \(duration)",
            [
                "measure", "p50", "p99", "p99.9", "max", "raw limit: fsync p50 / p99", "ratio p99 / fsync p99",
                "target", "met",
            ])
        let fsyncCell = "\(Format.ms(fsync.p50)) / \(Format.ms(fsync.p99))"
        let ratio = Format.ratio(latency.p99.seconds / fsync.p99.seconds)
        table.add(
            "append latency (durable)", Format.ms(latency.p50), Format.ms(latency.p99), Format.ms(latency.p999),
            Format.ms(latency.max), fsyncCell, ratio, "p99 <= \(Format.millis(targetP99))",
            latency.p99.seconds * 1000 <= targetP99 && failures == 0 ? "yes" : "NO")
        table.add(
            "checkpoint coverage (\(covered) of \(succeeded.count) returned treeSize > seq)", Format.ms(latency.p50),
            Format.ms(latency.p99), Format.ms(latency.p999), Format.ms(latency.max), fsyncCell, ratio,
            "p99 <= \(Format.millis(targetCoverage))",
            covered == succeeded.count && latency.p99.seconds * 1000 <= targetCoverage && failures == 0 ? "yes" : "NO")
        let startLag = Percentiles(succeeded.map(\.startLag))
        let inAppend = Percentiles(succeeded.map { $0.latency - $0.startLag })
        for (name, p) in [
            ("of which: task start lag (due → append called)", startLag),
            ("of which: in append (called → resumed)", inAppend),
        ] {
            table.add(name, Format.ms(p.p50), Format.ms(p.p99), Format.ms(p.p999), Format.ms(p.max), "", "", "", "")
        }
        table.print()

        // Where the tail comes from: one stall, or all along.
        var windows = Table(
            "Append latency by second of the run (by due time)",
            ["second", "appends", "p50", "p99", "max", "commits", "appends/commit"])
        let bySecond = Dictionary(grouping: succeeded) { Int($0.due.seconds) }
        for second in bySecond.keys.sorted() {
            guard let group = bySecond[second] else { continue }
            let p = Percentiles(group.map(\.latency))
            let groupCommits = Set(group.map(\.treeSize)).count
            windows.add(
                "\(second)", "\(group.count)", Format.ms(p.p50), Format.ms(p.p99), Format.ms(p.max), "\(groupCommits)",
                String(format: "%.1f", Double(group.count) / Double(max(groupCommits, 1))))
        }
        windows.print()
    }
}
