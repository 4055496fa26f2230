import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats

/// `writers` tasks, each awaiting one `Ledger.append` at a time, for `duration`: the load of a
/// service whose every request logs one event and waits for it to be durable.
struct ClosedLoop {
    let writers: Int
    let appends: Int
    let elapsed: Duration
    /// Distinct checkpoint sizes returned: one per commit (one signed checkpoint, one fsync).
    let commits: Int
    let latency: Percentiles
    /// Process CPU time over the run (every thread: writer, tasks, LevelDB compaction).
    let cpu: Duration
    /// How the busiest thread (the ledger's writer) fared with the scheduler.
    let busiestThread: String

    var appendsPerSecond: Double { Double(appends) / elapsed.seconds }
    var meanBatch: Double { Double(appends) / Double(max(commits, 1)) }
    var cpuPerAppend: Double { cpu.seconds / Double(max(appends, 1)) }
    var cpuLoad: Double { cpu.seconds / elapsed.seconds }

    private struct Writer: Sendable {
        var latencies: [Duration] = []
        var treeSizes: [UInt64] = []
    }

    /// Runs the load on `ledger` and checks that every acknowledged append is in the tree.
    static func run(_ ledger: Ledger, _ workload: Workload, writers: Int, duration: Duration) async throws -> ClosedLoop
    {
        let clock = ContinuousClock()
        let sizeBefore = ledger.head.treeSize
        let cpuBefore = processCPUTime()
        let scheduleBefore = SchedulerSnapshot.now()
        let start = clock.now
        let deadline = start + duration
        let results = try await withThrowingTaskGroup(of: Writer.self) { group in
            for w in 0..<writers {
                group.addTask {
                    var writer = Writer()
                    writer.latencies.reserveCapacity(1024)
                    var i = w
                    while clock.now < deadline {
                        let sent = clock.now
                        let appended = try await ledger.append(workload[i])
                        writer.latencies.append(sent.duration(to: clock.now))
                        writer.treeSizes.append(appended.treeSize)
                        i += writers
                    }
                    return writer
                }
            }
            var all: [Writer] = []
            for try await writer in group { all.append(writer) }
            return all
        }
        let elapsed = start.duration(to: clock.now)
        let cpu = processCPUTime() - cpuBefore
        let busiestThread = SchedulerSnapshot.now().busiestSummary(since: scheduleBefore, over: elapsed)
        let appends = results.reduce(0) { $0 + $1.latencies.count }
        let grown = ledger.head.treeSize - sizeBefore
        guard grown == UInt64(appends) else {
            throw BenchError("the tree grew by \(grown) but \(appends) appends were acknowledged")
        }
        return ClosedLoop(
            writers: writers, appends: appends, elapsed: elapsed,
            commits: Set(results.lazy.flatMap(\.treeSizes)).count,
            latency: Percentiles(results.flatMap(\.latencies)), cpu: cpu, busiestThread: busiestThread)
    }

    /// A fresh chain in its own folder under `base`, loaded after a short warm-up, then removed.
    static func onFreshChain(
        under base: String, _ workload: Workload, writers: Int, duration: Duration
    ) async throws -> ClosedLoop {
        let folder = try ScratchFolder(under: base, "ledger-\(writers)")
        defer { folder.remove() }
        let ledger = try Chain.started(in: folder)
        defer { ledger.shutdown() }
        // Warm-up: LevelDB creates its log and first tables, the task pool spins up.
        _ = try await run(ledger, workload, writers: writers, duration: min(duration / 5, .seconds(1)))
        return try await run(ledger, workload, writers: writers, duration: duration)
    }
}
