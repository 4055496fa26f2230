import ArgumentParser
import Crypto
import Foundation
import LedgerFormats
import MerkleLog

/// `tamga-bench make-chain`: writes the static export of a large synthetic chain straight to
/// disk, much faster than a node could sequence it: real canonical entries (never written out,
/// only their leaf hashes), all tiles, one block per day signed with a throwaway key, the
/// checkpoint and the genesis. The auditor's benchmark is `tamga-audit chain` on it.
///
/// It shares no code with `Audit`: the tile pyramid and the roots are computed with MerkleLog's
/// public functions and a separate, naive tile builder.
struct MakeChain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-chain",
        abstract: "Write a synthetic chain as a static export, for the auditor's benchmark.",
        discussion: """
            tamga-bench make-chain --out /tmp/audit-bench --events 10000000 --days 365
            then, from the main package: swift build -c release --product tamga-audit &&
              .build/release/tamga-audit chain --dir /tmp/audit-bench --genesis /tmp/audit-bench/genesis
            """
    )

    @Option(help: ArgumentHelp("The export folder (must not exist).", valueName: "dir")) var out: String
    @Option(help: "Events in total; 0.1% of them fall in the open day after the last block.") var events: Int = 10_000_000
    @Option(help: "Blocks (closed days).") var days: Int = 365
    @Option(help: "The log's origin.") var origin: String = "bench.tamga.local/log"
    @Option(help: "The genesis time zone.") var timeZone: String = "Asia/Almaty"

    func validate() throws {
        guard events >= 0, days >= 1, days <= 10_000 else { throw ValidationError("need --events >= 0 and 1 <= --days <= 10000") }
        guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("--out \(out) already exists") }
    }

    func run() async throws {
        let started = Date()
        let signer = try BenchSigner(name: origin)
        guard let zone = TimeZone(identifier: timeZone) else { throw ValidationError("unknown time zone \(timeZone)") }
        let today = try DayCalendar(timeZone: zone, startDate: LocalDate.earliest).localDate(containing: Timestamp(Date()))
        let genesis = try Genesis(
            origin: origin, verifierKey: signer.verifier.verifierKey, timeZone: timeZone,
            startDate: today.adding(days: -Int64(days)))
        let calendar = try DayCalendar(genesis: genesis)
        let writer = ExportWriter(root: out)
        try writer.write(genesis.canonicalBytes, to: "genesis")
        try writer.write(Array("[]".utf8), to: "compromises")

        // Events per day: a weekly rhythm, and one day of downtime with no event at all.
        let openDay = events / 1000
        let weights = (0..<days).map { day -> Double in
            days >= 3 && day == days / 3 ? 0 : [1.0, 1.1, 1.2, 1.1, 1.0, 0.4, 0.3][day % 7]
        }
        let total = weights.reduce(0, +)
        var perDay = weights.map { Int(Double(events - openDay) * $0 / total) }
        perDay[days - 1] += events - openDay - perDay.reduce(0, +)
        perDay.append(openDay)

        let records = try (0..<16).map { i in
            try EventRecord(
                event: .keyUse, owner: "bench-owner-\(i)",
                fields: ["key": .string("bench-key-\(i)"), "doc": .string(String(repeating: "0123456789abcdef", count: 4)), "alg": "Ed25519"])
        }
        var tiles = TileBuilder(writer: writer)
        var tree = RootAccumulator()
        var previousHash = genesis.hash
        var seq: Int64 = 0
        var random = SplitMix64(seed: 0x7a6d_6761)
        for (height, count) in perDay.enumerated() {
            let day = try calendar.day(atHeight: Int64(height))
            let dayFirst = UInt64(seq)
            var dayRoot = RootAccumulator()
            let span = day.end.millisecondsSinceEpoch - day.start.millisecondsSinceEpoch
            for i in 0..<count {
                let time = try Timestamp(millisecondsSinceEpoch: day.start.millisecondsSinceEpoch + span * Int64(i) / Int64(count))
                var salt = [UInt8](repeating: 0, count: Entry.saltSize)
                random.fill(&salt)
                let entry = try Entry(records[Int(seq) & 15], seq: seq, time: time, salt: salt)
                let leaf = MerkleTree.leafHash(entry.canonicalBytes)
                tree.append(leaf)
                dayRoot.append(leaf)
                try tiles.append(leaf)
                seq += 1
            }
            guard height < days else { break }  // the open day has no block
            let block = try Block(
                origin: origin, treeSize: UInt64(seq), rootHash: tree.rootHash.bytes, height: UInt64(height),
                date: day.date.description, start: day.start.millisecondsSinceEpoch / 1000,
                end: day.end.millisecondsSinceEpoch / 1000, previousHash: previousHash, dayFirst: dayFirst,
                dayRoot: dayRoot.rootHash.bytes)
            let note = Array(try block.signed(by: signer).formatted.utf8)
            try writer.write(note, to: "blocks/\(height)")
            if height == days - 1 { try writer.write(note, to: "blocks/latest") }
            previousHash = block.hash
            if height % 30 == 0 { progress("make-chain: block \(height), \(seq) events") }
        }
        try tiles.finish()
        let checkpoint = try Checkpoint(origin: origin, size: UInt64(seq), rootHash: tree.rootHash.bytes)
        try writer.write(Array(try checkpoint.signed(by: signer).formatted.utf8), to: "checkpoint")
        let seconds = Date().timeIntervalSince(started)
        print("wrote \(out): \(seq) events, \(days) blocks, \(tiles.written) tiles in \(String(format: "%.1f", seconds)) s")
        print("genesis sha256 \(genesis.hash.map { String(format: "%02x", $0) }.joined())")
    }
}

/// Writes files under the export folder, creating folders as needed.
private final class ExportWriter {
    let root: URL
    private var folders: Set<String> = []

    init(root: String) {
        self.root = URL(fileURLWithPath: root, isDirectory: true)
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        let url = root.appendingPathComponent(path)
        let folder = url.deletingLastPathComponent().path
        if !folders.contains(folder) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            folders.insert(folder)
        }
        try Data(bytes).write(to: url)
    }
}

/// Builds the C2SP tiles level by level: each tile level buffers the entries of its rightmost
/// tile; a full tile is written, and its root (MerkleLog's tree hash of its 256 entries) is the
/// next level's entry. What remains at the end are the partial tiles of the final tree.
private struct TileBuilder {
    let writer: ExportWriter
    private var levels: [[Hash]] = [[]]
    private var fullTiles: [UInt64] = [0]
    private(set) var written = 0

    init(writer: ExportWriter) {
        self.writer = writer
    }

    mutating func append(_ hash: Hash, level: Int = 0) throws {
        if level == levels.count {
            levels.append([])
            fullTiles.append(0)
        }
        levels[level].append(hash)
        guard levels[level].count == Tile.fullWidth else { return }
        try write(level: level)
        let root = MerkleTree.rootHash(leafHashes: levels[level])
        levels[level].removeAll(keepingCapacity: true)
        fullTiles[level] += 1
        try append(root, level: level + 1)
    }

    mutating func finish() throws {
        for level in levels.indices where !levels[level].isEmpty {
            try write(level: level)
        }
    }

    private mutating func write(level: Int) throws {
        let tile = try Tile(level: level, index: fullTiles[level], width: levels[level].count)
        var data: [UInt8] = []
        data.reserveCapacity(levels[level].count * Hash.byteCount)
        for hash in levels[level] { hash.withUnsafeBytes { data.append(contentsOf: $0) } }
        try writer.write(data, to: tile.path)
        written += 1
    }
}

/// A fast deterministic generator for the synthetic salts (not secrets).
private struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func fill(_ bytes: inout [UInt8]) {
        for chunk in stride(from: 0, to: bytes.count, by: 8) {
            var word = next()
            for i in chunk..<min(chunk + 8, bytes.count) {
                bytes[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
            }
        }
    }
}
