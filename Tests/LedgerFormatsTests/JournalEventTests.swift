import Foundation
import LedgerFormats
import TestSupport
import Testing

/// The event vocabulary: every case becomes the entry fields documented in docs/formats.md and
/// reads back as itself.
@Suite struct JournalEventTests {
    static let hash = Array(repeating: UInt8(0xab), count: 32)
    static let key = String(repeating: "0f", count: 16)

    static func all() throws -> [JournalEvent] {
        [
        .keyCreate(key: key, algorithm: "Ed25519", fingerprint: String(repeating: "1", count: 64)),
        .keyUse(key: key, document: hash, algorithm: "Ed25519"),
        .keyDestroy(key: key),
        .keyDestroy(key: key, operatorID: "ca-operator", reason: "locked; the owner asked the CA"),
        .keyLock(key: key, failures: 5),
        .keyCompromise(key: key, fingerprint: "f", operatorID: "ca-operator", measures: "revoked"),
        .consent(terms: hash),
        .authOK(key: key, purpose: "sign", factors: "password+biometric"),
        .authFail(key: key, purpose: "sign", reason: "password", failures: 2),
        .authFail(key: nil, purpose: "key.create", reason: "no-consent", failures: nil),
        .refused(
            key: key, purpose: "sign", reason: "sad-expired", count: 3,
            minute: try Timestamp(millisecondsSinceEpoch: 1_830_000_000_000)),
        .refused(
            key: nil, purpose: "key.create", reason: "rate-limited-owner", count: 1,
            minute: try Timestamp(millisecondsSinceEpoch: 1_830_000_060_000)),
        .certAttach(
            key: key, notAfter: try Timestamp(millisecondsSinceEpoch: 1_830_000_000_000), serial: [1, 2, 0xff],
            operatorID: "ca-operator"),
        .totpEnrol(key: key, algorithm: "SHA1", digits: 6),
        .cabinetOpen(key: key),
        .backupCreate(archive: hash, threshold: 3, shares: 5, treeSize: 1234, set: 17),
        .backupRestore(archive: hash, treeSize: 1234, set: 17),
        .nodeStart,
        .nodeStop,
        .witnessAlarm(witness: "w1", reason: "422"),
        ]
    }

    @Test(arguments: try all())
    func everyEventRoundTripsThroughItsEntry(_ event: JournalEvent) throws {
        let record = try EventRecord(event, owner: "900101300123")
        #expect(record.event == event.name && record.event.isKnown)
        let entry = try Entry(record, seq: 7, time: try Timestamp(millisecondsSinceEpoch: 1_795_154_400_000))
        let parsed = try Entry(parsing: entry.canonicalBytes)
        #expect(JournalEvent(parsed.record) == event)
        #expect(parsed.record[field: "key"].map { $0 == .string(event.key ?? "") } ?? (event.key == nil))
    }

    @Test func fieldsAreSpelledAsDocumented() throws {
        func fields(_ event: JournalEvent) throws -> [String: FieldValue] { try EventRecord(event, owner: "o").fields }
        #expect(try fields(.keyUse(key: "k", document: Self.hash, algorithm: "Ed25519")) == [
            "key": "k", "doc": .string(String(repeating: "ab", count: 32)), "alg": "Ed25519",
        ])
        #expect(try fields(.authFail(key: nil, purpose: "key.create", reason: "no-consent", failures: nil)) == [
            "purpose": "key.create", "reason": "no-consent",
        ])
        #expect(
            try fields(.refused(key: nil, purpose: "consent", reason: "challenge", count: 12, minute: Timestamp(millisecondsSinceEpoch: 60_000)))
                == ["purpose": "consent", "reason": "challenge", "count": 12, "minute": "1970-01-01T00:01:00.000Z"])
        #expect(try fields(.keyCompromise(key: "k", fingerprint: "f", operatorID: "op", measures: "m")) == [
            "key": "k", "fingerprint": "f", "operator": "op", "measures": "m",
        ])
        #expect(try fields(.certAttach(key: "k", notAfter: Timestamp(millisecondsSinceEpoch: 0), serial: [0x0a], operatorID: "op")) == [
            "key": "k", "notAfter": "1970-01-01T00:00:00.000Z", "serial": "0a", "operator": "op",
        ])
        #expect(try fields(.nodeStart).isEmpty)
    }

    /// docs/formats.md's table of events and their fields is what the code writes: for each
    /// event, the fields written are the documented ones (the optional ones only when set).
    @Test func fieldsAreTheOnesFormatsMdDocuments() throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("docs/formats.md"), encoding: .utf8)
        let section = try #require(text.components(separatedBy: "### 3.3 Event names").last?.components(separatedBy: "\n## ").first)
        var documented: [String: (required: Set<String>, optional: Set<String>)] = [:]
        for row in section.split(separator: "\n") where row.hasPrefix("| `") {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3 else { continue }
            func names(_ text: Substring) -> Set<String> {
                Set(text.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
            }
            let parts = cells[2].split(separator: ";", maxSplits: 1)
            let required = cells[2].hasPrefix("none") || cells[2].hasPrefix("not written") ? [] : names(parts[0])
            let optional = parts.count > 1 ? names(parts[1]) : []
            for event in names(Substring(cells[0])) { documented[event] = (required, optional) }
        }
        let all = try Self.all()
        #expect(Set(all.map(\.name.rawValue)).subtracting(documented.keys).isEmpty, "every event is documented")
        #expect(Set(documented.keys).subtracting(all.map(\.name.rawValue)) == ["retention.prune"], "every documented event is written (but the reserved one)")
        for event in all {
            let written = Set(try EventRecord(event, owner: "o").fields.keys)
            let doc = try #require(documented[event.name.rawValue])
            #expect(written.isSuperset(of: doc.required) && written.isSubset(of: doc.required.union(doc.optional)), "\(event.name): writes \(written.sorted()), documented \(doc)")
        }
    }

    /// A record that lacks a field of its event, or spells one otherwise, has no typed view;
    /// fields the event does not name (a newer writer's) are ignored.
    @Test func typedReadIsStrictAboutItsFieldsOnly() throws {
        let doc = String(repeating: "ab", count: 32)
        let extra = try EventRecord(event: .keyUse, owner: "o", fields: ["key": "k", "doc": .string(doc), "alg": "a", "name": "x.pdf"])
        #expect(JournalEvent(extra) == .keyUse(key: "k", document: Self.hash, algorithm: "a"))
        let wrongType = try EventRecord(event: .keyLock, owner: "o", fields: ["key": "k", "failures": "five"])
        #expect(JournalEvent(wrongType) == nil)
        let missing = try EventRecord(event: .authOK, owner: "o", fields: ["key": "k", "purpose": "sign"])
        #expect(JournalEvent(missing) == nil)
        let badOptional = try EventRecord(event: .authFail, owner: "o", fields: ["purpose": "p", "reason": "r", "failures": "2"])
        #expect(JournalEvent(badOptional) == nil)
        #expect(throws: LedgerFormatsError.self) { try EventRecord(.keyUse(key: "", document: Self.hash, algorithm: "a"), owner: "o") }
    }
}
