#if canImport(Glibc)
    // With SignCore linked, `timespec` resolves to CoreFoundation's copy of the C struct.
    import CoreFoundation
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats

/// Why a benchmark could not run (a setup step failed); never a measurement.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: output

/// A table printed as Markdown, so a run's output pastes into BENCHMARKS.md unchanged.
struct Table {
    let title: String
    let header: [String]
    private(set) var rows: [[String]] = []

    init(_ title: String, _ header: [String]) {
        self.title = title
        self.header = header
    }

    mutating func add(_ row: String...) { rows.append(row) }

    func print() {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            "| "
                + header.indices.map { column in
                    let cell = cells.indices.contains(column) ? cells[column] : ""
                    return cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }.joined(separator: " | ") + " |"
        }
        Swift.print("\n### \(title)\n")
        Swift.print(line(header))
        Swift.print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|")
        for row in rows { Swift.print(line(row)) }
        Swift.print("")
    }
}

/// Progress goes to standard error, so standard output holds only the tables.
func progress(_ message: String) {
    FileHandle.standardError.write(Data("… \(message)\n".utf8))
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

enum Format {
    /// "12,345/s", "1.23M/s".
    static func rate(_ perSecond: Double, _ unit: String = "/s") -> String {
        if perSecond >= 10_000_000 { return String(format: "%.2fM", perSecond / 1e6) + unit }
        return grouped(Int(perSecond.rounded())) + unit
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    static func ms(_ duration: Duration) -> String { millis(duration.seconds * 1000) }

    static func millis(_ value: Double) -> String {
        value < 1
            ? String(format: "%.3f ms", value)
            : value < 100 ? String(format: "%.2f ms", value) : String(format: "%.0f ms", value)
    }

    static func ratio(_ value: Double) -> String { value.isFinite ? String(format: "%.2f", value) : "–" }

    static func micros(_ seconds: Double) -> String { String(format: "%.2f µs", seconds * 1e6) }
}

// MARK: statistics

/// Order statistics of a sample of durations (sorted once; no histogram needed at these counts).
struct Percentiles {
    let count: Int
    let min: Duration
    let p50: Duration
    let p99: Duration
    let p999: Duration
    let max: Duration
    let mean: Duration

    init(_ samples: [Duration]) {
        let sorted = samples.sorted()
        count = sorted.count
        func at(_ q: Double) -> Duration {
            guard !sorted.isEmpty else { return .zero }
            // Nearest rank: the smallest sample with at least q of the samples at or below it.
            let rank = Int((q * Double(sorted.count)).rounded(.up))
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
        }
        min = sorted.first ?? .zero
        p50 = at(0.50)
        p99 = at(0.99)
        p999 = at(0.999)
        max = sorted.last ?? .zero
        mean = sorted.isEmpty ? .zero : sorted.reduce(Duration.zero, +) / sorted.count
    }

    var summary: String { "p50 \(Format.ms(p50)), p99 \(Format.ms(p99)), max \(Format.ms(max))" }
}

// MARK: the machine

/// Process CPU time (user + system, all threads): shows whether a run was CPU bound.
func processCPUTime() -> Duration {
    var usage = rusage()
    #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
        getrusage(RUSAGE_SELF, &usage)
    #endif
    func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
    return duration(usage.ru_utime) + duration(usage.ru_stime)
}

/// CPU time of the calling thread: what a measurement really got of a core on a shared machine.
func threadCPUTime() -> Duration {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
}

/// Per-thread scheduler statistics (Linux /proc/self/task/*/schedstat): time on a CPU and time
/// queued for one. For a CPU-bound thread on a shared machine the second is the starvation a
/// result suffered. (On this project's VMs a thread blocked in fsync is counted as queued too,
/// so the figure is printed only where the data folder is on tmpfs.)
struct SchedulerSnapshot {
    struct Times {
        var onCPU: Duration
        var waiting: Duration
    }

    let threads: [String: Times]

    static func now() -> SchedulerSnapshot {
        var threads: [String: Times] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/self/task/\(task)/schedstat", encoding: .utf8) else {
                continue
            }
            let fields = text.split(separator: " ").compactMap {
                Int64($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            guard fields.count >= 2 else { continue }
            threads[task] = Times(onCPU: .nanoseconds(fields[0]), waiting: .nanoseconds(fields[1]))
        }
        return SchedulerSnapshot(threads: threads)
    }

    /// The thread that ran most since `earlier` (in these benchmarks, the ledger's writer).
    func busiest(since earlier: SchedulerSnapshot) -> Times? {
        threads.compactMap { task, times -> Times? in
            let before = earlier.threads[task] ?? Times(onCPU: .zero, waiting: .zero)
            return Times(onCPU: times.onCPU - before.onCPU, waiting: times.waiting - before.waiting)
        }.max { $0.onCPU < $1.onCPU }
    }

    /// "on CPU 41%, queued for a CPU 52%" of `elapsed`, for the busiest thread since `earlier`.
    func busiestSummary(since earlier: SchedulerSnapshot, over elapsed: Duration) -> String {
        guard let times = busiest(since: earlier) else { return "n/a" }
        return String(
            format: "on CPU %.0f%%, queued for a CPU %.0f%%", 100 * times.onCPU.seconds / elapsed.seconds,
            100 * times.waiting.seconds / elapsed.seconds)
    }
}

/// The line every run prints first: results on a shared machine mean little without it.
func describeEnvironment(dir: String) -> String {
    let load =
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
        .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    let cores = ProcessInfo.processInfo.activeProcessorCount
    return "\(cores) cores, load average \(load) at start; data in \(dir) (\(fileSystemName(dir)))"
}

/// The type of the file system holding `path`: the mount in /proc/mounts with the longest
/// mount point that contains it.
func fileSystemName(_ path: String) -> String {
    let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else {
        return "file system unknown"
    }
    var best: (point: String, type: String)?
    for line in mounts.split(separator: "\n") {
        let fields = line.split(separator: " ")
        guard fields.count >= 3 else { continue }
        let point = String(fields[1])
        let inside = real == point || real.hasPrefix(point == "/" ? "/" : point + "/")
        if inside, point.count > (best?.point.count ?? -1) { best = (point, String(fields[2])) }
    }
    guard let best else { return "file system unknown" }
    return best.type == "tmpfs" ? "tmpfs: fsync is a no-op" : best.type
}

/// Keeps a computed value alive so the optimizer cannot delete the loop that made it.
@inline(never) @_optimize(none)
func blackHole<T>(_ value: T) {}

// MARK: scratch folders and ledgers

/// A fresh folder under `base`, removed by `remove()`.
struct ScratchFolder {
    let path: String

    init(under base: String, _ name: String) throws {
        path = URL(fileURLWithPath: base).appendingPathComponent("tamga-bench-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

enum Chain {
    static let origin = "bench.tamga.local/log"
    static let timeZone = "Asia/Almaty"

    /// Today in the chain's time zone: a chain starting today has no day to seal during the run.
    static func today() throws -> LocalDate {
        guard let zone = TimeZone(identifier: timeZone) else {
            throw BenchError("no time zone \(timeZone) on this machine")
        }
        let now = try Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        return try DayCalendar(timeZone: zone, startDate: .earliest).localDate(containing: now)
    }

    /// A new chain in `folder`, opened and started (`tamga init` then the node's start).
    static func started(in folder: ScratchFolder) throws -> Ledger {
        let data = DataFolder(folder.path + "/data")
        _ = try Ledger.create(folder: data, origin: origin, timeZone: timeZone, startDate: today())
        let ledger = try Ledger.open(folder: data)
        ledger.start()
        return ledger
    }
}

// MARK: the workload

/// Typical events: `key.use` with a key ID, a document hash and a GOST algorithm name, by
/// owners drawn from a pool of IINs: about 250 bytes per entry, as in production.
struct Workload: Sendable {
    let records: [EventRecord]

    init(count: Int = 4096) throws {
        var generator = SystemRandomNumberGenerator()
        records = try (0..<count).map { i in
            let owner = "\(900_101 + i % 997)\(300_000 + i)"  // 12 digits, like an IIN
            let hex = Array("0123456789abcdef".utf8)
            let doc = String(
                decoding: (0..<64).map { _ in hex[Int.random(in: 0..<16, using: &generator)] }, as: UTF8.self)
            return try EventRecord(
                event: .keyUse, owner: owner,
                fields: [
                    "key": .string("nuc-2026-\(10_000_000 + i % 1499)"), "doc": .string(doc),
                    "alg": "GOST34.10-2015-512",
                ])
        }
    }

    subscript(i: Int) -> EventRecord { records[i % records.count] }

    /// The mean size of the entries these records become (with a 7-digit seq).
    func meanEntrySize() throws -> Double {
        let time = try Timestamp(millisecondsSinceEpoch: 1_795_000_000_000)
        let total = try records.prefix(256).reduce(0) {
            $0 + (try Entry($1, seq: 1_234_567, time: time).canonicalBytes.count)
        }
        return Double(total) / Double(Swift.min(256, records.count))
    }
}

// MARK: the disk

/// Latency of the disk's durability barrier: append 100 bytes to a file, then `fsync` (or
/// `fdatasync`, what LevelDB calls on Linux), repeatedly, on the file system under test.
func measureSyncLatency(in folder: String, duration: Duration, dataOnly: Bool = false) throws -> [Duration] {
    let path = folder + "/sync-probe-\(dataOnly ? "fdatasync" : "fsync")"
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer {
        close(fd)
        unlink(path)
    }
    let record = [UInt8](repeating: 0x2a, count: 100)
    let clock = ContinuousClock()
    var samples: [Duration] = []
    let end = clock.now + duration
    while clock.now < end || samples.count < 50 {
        let start = clock.now
        let written = record.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        #if os(Linux)
            let synced = dataOnly ? fdatasync(fd) : fsync(fd)
        #else
            let synced = fsync(fd)
        #endif
        guard written == record.count, synced == 0 else {
            throw BenchError("cannot write or sync \(path): \(String(cString: strerror(errno)))")
        }
        samples.append(start.duration(to: clock.now))
    }
    return samples
}
