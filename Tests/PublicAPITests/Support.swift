import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import Logging
import MerkleLog
import PublicAPI
import TestSupport
import Testing

/// A running ledger with events of many owners on several days. `dayCounts[d]` events go into
/// day d (0 makes an empty day); those days are then sealed; the next day stays open with
/// `openCount` events. Every owner, key and document identifier is unique and recorded, so the
/// privacy test can look for each of them.
struct TestChain: Sendable {
    let ledger: Ledger
    let clock: ManualClock
    let folder: String
    /// Identifiers that are personal data: owners ("OWNER-<uuid>"), keys, document hashes.
    let secrets: [String]
    /// The canonical bytes of every entry, by seq.
    let entries: [[UInt8]]

    static func make(
        dayCounts: [Int] = [300, 420, 0], openCount: Int = 70, notices: [(name: String, json: String)] = []
    ) async throws -> TestChain {
        let folder = try temporaryFolder()
        let data = DataFolder(folder + "/data")
        let created = try Ledger.create(
            folder: data, origin: "test.tamga.local/log", timeZone: "Asia/Almaty",
            startDate: LocalDate(parsing: "2026-11-20"))
        let calendar = try DayCalendar(genesis: created.genesis)
        let clock = ManualClock(try calendar.day(atHeight: 0).start.millisecondsSinceEpoch + 3_600_000)
        let ledger = try Ledger.open(folder: data, clock: clock)
        ledger.start()
        var secrets: [String] = []

        func appendEvents(_ count: Int) async throws {
            var records: [EventRecord] = []
            for i in 0..<count {
                let owner = "OWNER-\(UUID().uuidString)"
                let key = "KEY-\(UUID().uuidString)"
                // A document hash no response could contain by chance: "d0c0ffee" then 56 hex digits.
                let doc =
                    "d0c0ffee" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
                    + "0123456789abcdef0123456789abcdef".prefix(24)
                secrets += [owner, key, doc]
                let event: EventName = [.keyCreate, .keyUse, .keyDestroy, .authFail][i % 4]
                var fields: [String: FieldValue] = [:]
                if event != .authFail { fields["key"] = .string(key) }
                if event == .keyUse {
                    fields["doc"] = .string(doc)
                    fields["alg"] = "Ed25519"
                }
                records.append(try EventRecord(event: event, owner: owner, fields: fields))
            }
            // Concurrent appends: the ledger group-commits them, so a chain of hundreds of
            // entries takes a few fsyncs instead of one per entry.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for record in records { group.addTask { _ = try await ledger.append(record) } }
                try await group.waitForAll()
            }
        }

        for (day, count) in dayCounts.enumerated() {
            clock.set(try calendar.day(atHeight: Int64(day)).start.millisecondsSinceEpoch + 3_600_000)
            try await appendEvents(count)
            if day == 0 {
                for notice in notices {
                    let owner = "OWNER-\(UUID().uuidString)"
                    secrets.append(owner)
                    _ = try await ledger.append(
                        EventRecord(
                            event: .keyCompromise, owner: owner, fields: ["key": .string("KEY-\(UUID().uuidString)")]),
                        records: [.put("compromise/" + notice.name, Array(notice.json.utf8))])
                }
            }
        }
        clock.set(try calendar.day(atHeight: Int64(dayCounts.count)).start.millisecondsSinceEpoch + 60_000)
        try await ledger.sealDueDays()
        try await appendEvents(openCount)
        let entries = try ledger.entries(from: 0, count: Int(ledger.head.treeSize))
        return TestChain(ledger: ledger, clock: clock, folder: folder, secrets: secrets, entries: entries)
    }

    /// Serves the public API over real HTTP on an ephemeral port while `body` runs, then stops
    /// the ledger and removes its folder.
    /// With `witnesses`, the API serves as under a witness policy (their status as given).
    func serve(
        witnesses: (@Sendable () -> [PublicAPI.WitnessStatus])? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        defer {
            ledger.shutdown()
            try? FileManager.default.removeItem(atPath: folder)
        }
        try await Self.serve(ledger: ledger, clock: clock, witnesses: witnesses, body)
    }

    static func serve(
        ledger: Ledger, clock: ManualClock, witnesses: (@Sendable () -> [PublicAPI.WitnessStatus])? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let api = try PublicAPI(log: ledger, witnesses: witnesses, clock: clock, tileCacheCapacity: 16)
        var logger = Logger(label: "public-api-test")
        logger.logLevel = .warning
        let app = Application(
            router: api.buildRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in try await body(client) }
    }

    func block(_ height: UInt64) throws -> Block {
        let bytes = try #require(try ledger.blockNote(height))
        return try Block(note: SignedNote(parsing: bytes), verifier: ledger.verifier)
    }

    var leafHashes: [Hash] { entries.map { MerkleTree.leafHash($0) } }
}

/// A response: status, headers and body bytes.
struct Fetched: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as JSON (Foundation's parser, independent of the hand-written serializer).
    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
}

extension TestClientProtocol {
    func fetch(_ uri: String, method: HTTPRequest.Method = .get) async throws -> Fetched {
        try await execute(uri: uri, method: method) { response in
            Fetched(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
        }
    }
}

func base64URL(_ hash: Hash) -> String {
    hash.base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

/// A one-line reason: non-empty text ending in exactly one newline.
func isOneLineReason(_ response: Fetched) -> Bool {
    let text = response.text
    return text.count > 10 && text.hasSuffix("\n") && text.dropLast().firstIndex(of: "\n") == nil
        && response.headers[.contentType]?.hasPrefix("text/plain") == true
}

/// Tile data served over HTTP, for MerkleLog's `TileHashReader`.
struct FetchedTiles: TileReader {
    let tiles: [Tile: [UInt8]]

    func readTiles(_ tiles: [Tile]) throws -> [[UInt8]] {
        try tiles.map { tile in
            guard let data = self.tiles[tile] else { throw CancellationError() }
            return data
        }
    }
}
