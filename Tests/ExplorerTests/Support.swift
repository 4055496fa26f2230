import Explorer
import PublicAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

/// Owners and keys that must never appear on a public page.
let owners = ["900101300123", "850505400321", "770707350777", "owner-7f3c2e91"]
let keyIDs = ["key-a1b2c3d4", "key-e5f6a7b8", "key-c9d0e1f2"]
let documentHash = String(repeating: "5e", count: 32)

/// A running ledger with events on several days, some days sealed. `dayCounts[d]` events go
/// into day d (a 0 makes an empty day); every listed day is then sealed; the day after the
/// last one stays open and holds `openCount` events.
struct TestChain {
    let ledger: Ledger
    let clock: ManualClock
    /// Every appended event in order, with its leaf hash.
    let appended: [Appended]
    let folder: String

    static func make(
        origin: String = "test.tamga.local/log", startDate: String = "2026-11-20", dayCounts: [Int] = [7, 12, 0, 5],
        openCount: Int = 3, notices: [(name: String, json: String)] = []
    ) async throws -> TestChain {
        let folder = try temporaryFolder()
        let data = DataFolder(folder + "/data")
        let created = try Ledger.create(
            folder: data, origin: origin, timeZone: "Asia/Almaty", startDate: LocalDate(parsing: startDate))
        let calendar = try DayCalendar(genesis: created.genesis)
        let clock = ManualClock(try calendar.day(atHeight: 0).start.millisecondsSinceEpoch)
        let ledger = try Ledger.open(folder: data, clock: clock)
        ledger.start()
        var appended: [Appended] = []
        var serial = 0
        func appendEvents(_ count: Int) async throws {
            for _ in 0..<count {
                appended.append(try await ledger.append(try Self.record(serial)))
                serial += 1
            }
        }
        for (day, count) in dayCounts.enumerated() {
            clock.set(try calendar.day(atHeight: Int64(day)).start.millisecondsSinceEpoch + 3_600_000)
            try await appendEvents(count)
            if day == 0 {
                for notice in notices {
                    appended.append(
                        try await ledger.append(
                            EventRecord(event: .keyCompromise, owner: owners[0], fields: ["key": .string(keyIDs[0])]),
                            records: [.put("compromise/" + notice.name, Array(notice.json.utf8))]))
                }
            }
        }
        let open = try calendar.day(atHeight: Int64(dayCounts.count))
        clock.set(open.start.millisecondsSinceEpoch + 60_000)
        try await ledger.sealDueDays()
        try await appendEvents(openCount)
        return TestChain(ledger: ledger, clock: clock, appended: appended, folder: folder)
    }

    /// Cycles through owners, keys and all three key events, so every identifier is in the log.
    static func record(_ serial: Int) throws -> EventRecord {
        let event: EventName = [.keyCreate, .keyUse, .keyDestroy, .authFail][serial % 4]
        var fields: [String: FieldValue] = [:]
        if event != .authFail { fields["key"] = .string(keyIDs[serial % keyIDs.count]) }
        if event == .keyUse {
            fields["doc"] = .string(documentHash)
            fields["alg"] = "Ed25519"
        }
        return try EventRecord(event: event, owner: owners[serial % owners.count], fields: fields)
    }

    func block(_ height: UInt64) throws -> Block {
        let bytes = try #require(try ledger.blockNote(height))
        return try Block(note: SignedNote(parsing: bytes), verifier: ledger.verifier)
    }

    /// Runs `body` against an application serving only the explorer's routes, then stops the
    /// ledger. `witnessed`: as a node with a witness policy serves them.
    func withClient(witnessed: Bool = false, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = Router()
        let statuses: (@Sendable () -> [PublicAPI.WitnessStatus])? = witnessed ? { @Sendable in [PublicAPI.WitnessStatus]() } : nil
        addExplorerRoutes(to: router, api: try PublicAPI(log: ledger, witnesses: statuses))
        let app = Application(router: router)
        defer { ledger.shutdown() }
        try await app.test(.router) { client in try await body(client) }
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// A fetched page: status, headers and the body as text.
struct Fetched: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String
}

extension TestClientProtocol {
    func fetch(_ uri: String, method: HTTPRequest.Method = .get) async throws -> Fetched {
        try await execute(uri: uri, method: method) { response in
            Fetched(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }
}

func base64URL(_ hash: Hash) -> String {
    hash.base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

/// The text of every element `<tag ... id="id">...</tag>` (first match), for reading values back.
func element(_ id: String, in html: String) -> String? {
    guard let idRange = html.range(of: "id=\"\(id)\"") else { return nil }
    guard let open = html[idRange.upperBound...].firstIndex(of: ">") else { return nil }
    let rest = html[html.index(after: open)...]
    guard let close = rest.range(of: "</") else { return nil }
    return String(rest[..<close.lowerBound])
}

/// The items of the list `<ul ... id="id">...</ul>` as written, or nil.
func listItems(_ id: String, in html: String) -> String? {
    guard let start = html.range(of: "<ul class=\"cosigners\" id=\"\(id)\">"),
        let end = html[start.upperBound...].range(of: "</ul>")
    else { return nil }
    return String(html[start.upperBound..<end.lowerBound])
}

/// All values of the `<code class="hash">` elements inside the element with `id`.
func codes(inside id: String, of html: String) -> [String] {
    guard let start = html.range(of: "id=\"\(id)\"") else { return [] }
    let tail = html[start.upperBound...]
    let end = tail.range(of: "</ol>") ?? tail.range(of: "</dl>")
    let region = end.map { tail[..<$0.lowerBound] } ?? tail
    return region.components(separatedBy: "<code class=\"hash\">").dropFirst().compactMap {
        $0.components(separatedBy: "</code>").first
    }
}
