import Audit
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import PublicAPI
import Sodium
import TestSupport
import Testing

/// A real node's chain, built once per test run with the Ledger API: it starts five days ago
/// (Asia/Almaty), has 80 events on each of days 0, 1, 3 and 4, none on day 2, 40 more in the
/// still open day 5, and five sealed blocks. Tests copy `export` and tamper with the copy.
struct ChainFixture: Sendable {
    let folder: DataFolder
    /// The static export of the final chain (pristine; copy it before changing anything).
    let export: String
    /// The export as it was after block 1 was sealed, for `--state` runs and rollbacks, and
    /// when it was taken (ms): days after that have no block in it.
    let earlyExport: String
    let earlyTime: Int64
    /// The pinned genesis document (a copy outside the export).
    let genesisFile: String
    let genesis: Genesis
    let entries: [[UInt8]]
    let blocks: [Block]
    /// Receipts (.tlog-proof): of day 1's first entry, taken while day 1 was open; of the same
    /// entry at the end (checkpoint after block 1); of an entry of the open day.
    let earlyReceipt: [UInt8]
    let lateReceipt: [UInt8]
    let openReceipt: [UInt8]

    static let eventsPerDay = 80
    static let openDayEvents = 40
    static let emptyDay = 2

    static func shared() async throws -> ChainFixture {
        try await FixtureCache.shared.get()
    }

    /// The log key, opened from the data folder as the node does: for forks and rewrites.
    func logKey() throws -> LogKey {
        let master = try MasterKey.load(from: folder.masterKey)
        return try LogKey.load(origin: genesis.origin, masterKey: master, path: folder.logKey)
    }

    /// A fresh copy of the export to tamper with.
    func copy(_ source: String? = nil) throws -> String {
        let target = try temporaryFolder("copy") + "/export"
        try FileManager.default.copyItem(atPath: source ?? export, toPath: target)
        return target
    }

    var leafHashes: [Hash] { entries.map { MerkleTree.leafHash($0) } }
}

/// Builds the fixture once, whichever test asks first. A memoised `Task` (test code only) so
/// that concurrent tests wait for the same build instead of starting another.
actor FixtureCache {
    static let shared = FixtureCache()
    private var building: Task<ChainFixture, any Error>?

    func get() async throws -> ChainFixture {
        if let building { return try await building.value }
        let task = Task { try await buildFixture() }
        building = task
        return try await task.value
    }
}

private func buildFixture() async throws -> ChainFixture {
    let root = try temporaryFolder("fixture")
    let folder = DataFolder(root + "/data")
    let zone = try #require(TimeZone(identifier: "Asia/Almaty"))
    let today = try DayCalendar(timeZone: zone, startDate: LocalDate.earliest).localDate(containing: Timestamp(Date()))
    let start = try today.adding(days: -5)
    _ = try Ledger.create(folder: folder, origin: "audit.tamga.local/log", timeZone: "Asia/Almaty", startDate: start)

    let calendar = DayCalendar(timeZone: zone, startDate: start)
    let clock = ManualClock(try calendar.day(atHeight: 0).start.millisecondsSinceEpoch + 3_600_000)
    let ledger = try Ledger.open(folder: folder, clock: clock)
    ledger.start()
    defer { ledger.shutdown() }

    var earlyReceipt: [UInt8] = []
    var dayOneFirst: UInt64 = 0
    var earlyExport = ""
    var earlyTime: Int64 = 0
    for height in 0...5 {
        let day = try calendar.day(atHeight: Int64(height))
        clock.set(day.start.millisecondsSinceEpoch + 3_600_000)
        try await ledger.sealDueDays()
        if height == 2 {
            earlyExport = root + "/early"
            earlyTime = clock.now()
            try writeExport(ledger, to: earlyExport)
        }
        let count = height == ChainFixture.emptyDay ? 0 : height == 5 ? ChainFixture.openDayEvents : ChainFixture.eventsPerDay
        for i in 0..<count {
            clock.advance(60_000 + Int64(i % 7) * 1000)
            let event: EventName = [.keyCreate, .keyUse, .authOK, .consent][i % 4]
            let appended = try await ledger.append(
                try EventRecord(
                    event: event, owner: "9001013001\(height)\(i % 10)",
                    fields: event.rawValue.hasPrefix("key.")
                        ? ["key": .string("k-\(height)-\(i)")]
                            .merging(event == .keyUse ? ["doc": .string(String(repeating: "ab", count: 32)), "alg": "Ed25519"] : [:]) { $1 }
                        : [:]))
            if height == 1 && i == 0 { dayOneFirst = appended.seq }
            if height == 1 && i == 10 {
                earlyReceipt = Array(try ledger.receipt(seq: dayOneFirst).formatted.utf8)
            }
        }
    }
    let head = ledger.head
    #expect(head.blockCount == 5 && head.treeSize == UInt64(4 * ChainFixture.eventsPerDay + ChainFixture.openDayEvents))

    let export = root + "/export"
    try writeExport(ledger, to: export)
    let genesisFile = root + "/pinned-genesis.json"
    try Data(ledger.genesis.canonicalBytes).write(to: URL(fileURLWithPath: genesisFile))
    let entries = try ledger.entries(from: 0, count: Int(head.treeSize))
    let blocks = try (0..<head.blockCount).map { height in
        try Block(note: SignedNote(parsing: try #require(try ledger.blockNote(height))), verifier: ledger.verifier)
    }
    return ChainFixture(
        folder: folder, export: export, earlyExport: earlyExport, earlyTime: earlyTime, genesisFile: genesisFile, genesis: ledger.genesis,
        entries: entries, blocks: blocks, earlyReceipt: earlyReceipt,
        lateReceipt: Array(try ledger.receipt(seq: dayOneFirst).formatted.utf8),
        openReceipt: Array(try ledger.receipt(seq: head.treeSize - 3).formatted.utf8))
}

/// Writes the public API as files with the node's own exporter (PublicAPI's `StaticExport`):
/// the auditor checks exactly what an operator publishes.
func writeExport(_ ledger: Ledger, to path: String) throws {
    let summary = try StaticExport.write(log: ledger, to: path)
    #expect(summary.treeSize == ledger.head.treeSize)
}

func write(_ bytes: [UInt8], to root: String, _ path: String) throws {
    let url = URL(fileURLWithPath: root).appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
}

func read(_ root: String, _ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: root).appendingPathComponent(path)))
}

/// Changes one character of a file to another character of the base64 alphabet (so the text
/// stays well formed and only what it says changes).
func alter(_ root: String, _ path: String, at offset: Int) throws {
    var bytes = try read(root, path)
    bytes[offset] = bytes[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
    try write(bytes, to: root, path)
}

/// The offset of the first byte of the line starting with `prefix` (0 for the first line).
func offset(ofLine prefix: String, in bytes: [UInt8]) throws -> Int {
    let text = String(decoding: bytes, as: UTF8.self)
    let range = try #require(text.range(of: "\n" + prefix))
    return text.utf8.distance(from: text.startIndex, to: range.lowerBound) + 1
}

/// Re-signs `blocks` with the real log key, chaining each `prev` to the block before (block 0
/// to `genesisHash`), and writes them (and blocks/latest) into the export `root`.
func writeBlocks(_ blocks: [Block], genesisHash: [UInt8], key: LogKey, to root: String) throws {
    var previous = genesisHash
    try? FileManager.default.removeItem(atPath: root + "/blocks")
    for (height, block) in blocks.enumerated() {
        let rechained = try Block(
            origin: block.origin, treeSize: block.treeSize, rootHash: block.rootHash, height: UInt64(height),
            date: block.date, start: block.start, end: block.end, previousHash: previous, dayFirst: block.dayFirst,
            dayRoot: block.dayRoot)
        let note = Array(try rechained.signed(by: key).formatted.utf8)
        try write(note, to: root, "blocks/\(height)")
        if height + 1 == blocks.count { try write(note, to: root, "blocks/latest") }
        previous = rechained.hash
    }
}

/// A whole export rebuilt from `leaves` with MerkleLog: tiles, and blocks with the days of
/// `template` (sizes taken from `daySizes`), signed by `key`, and a checkpoint of all leaves.
func writeRebuiltExport(
    leaves: [Hash], daySizes: [UInt64], template: [Block], genesis: Genesis, key: LogKey, to root: String
) throws {
    let stored = try MerkleTree.storedHashes(n: 0, leafHashes: leaves, reader: [Hash]()).hashes
    try write(genesis.canonicalBytes, to: root, "genesis")
    for tile in try Tile.tiles(to: UInt64(leaves.count)) {
        try write(try tile.readData(from: stored), to: root, tile.path)
    }
    var first: UInt64 = 0
    var blocks: [Block] = []
    for (block, size) in zip(template, daySizes) {
        blocks.append(
            try Block(
                origin: block.origin, treeSize: size, rootHash: try MerkleTree.treeHash(size: size, reader: stored).bytes,
                height: block.height, date: block.date, start: block.start, end: block.end, previousHash: block.previousHash,
                dayFirst: first, dayRoot: MerkleTree.rootHash(leafHashes: leaves[Int(first)..<Int(size)]).bytes))
        first = size
    }
    try writeBlocks(blocks, genesisHash: genesis.hash, key: key, to: root)
    let checkpoint = try Checkpoint(
        origin: genesis.origin, size: UInt64(leaves.count),
        rootHash: try MerkleTree.treeHash(size: UInt64(leaves.count), reader: stored).bytes)
    try write(Array(try checkpoint.signed(by: key).formatted.utf8), to: root, "checkpoint")
    try write(Array("[]".utf8), to: root, "compromises")
}

/// Runs a chain audit of `dir` and returns its failure (the test expects one).
func chainFailure(_ dir: String, genesis: Genesis, state: AuditState? = nil) async throws -> AuditError {
    do {
        let report = try await ChainAudit(source: DirectorySource(path: dir), genesis: genesis, state: state).run()
        Issue.record("expected the audit to fail, it verified: \(report)")
        throw CancellationError()
    } catch let error as AuditError {
        return error
    }
}

// MARK: - The built executable

/// Runs the built `tamga-audit` with `arguments` and waits for it.
func runAudit(_ arguments: [String]) throws -> ProcessRun {
    try runProcess(try builtExecutable("tamga-audit"), arguments)
}

// MARK: - A tiny HTTP server for the --url paths

/// Serves GET requests from `respond` (path without the leading slash -> body, nil for 404)
/// on 127.0.0.1 at an ephemeral port, one connection at a time, `Connection: close`.
final class TestHTTPServer: Sendable {
    let port: UInt16
    private let socket: Int32

    init(respond: @escaping @Sendable (String) -> [UInt8]?) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socket = fd
        port = UInt16(bigEndian: address.sin_port)
        // Ends when `stop` closes the socket and accept fails.
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                TestHTTPServer.serve(client, respond)
            }
        }
    }

    var url: String { "http://127.0.0.1:\(port)/" }

    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }

    private static func serve(_ client: Int32, _ respond: @Sendable (String) -> [UInt8]?) {
        defer { close(client) }
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.ends(with: Array("\r\n\r\n".utf8)) {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            request += buffer[0..<n]
        }
        let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self).split(separator: " ")
        let path = line.count >= 2 ? String(line[1].dropFirst()) : ""
        let body = respond(path)
        let head = body == nil
            ? "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n"
            : "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body?.count ?? 0)\r\nConnection: close\r\n\r\n"
        let response = Array(head.utf8) + (body ?? [])
        var sent = 0
        while sent < response.count {
            let n = response[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
