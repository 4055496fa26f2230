import Foundation
import LedgerFormats
import Testing

@Suite struct EntryTests {
    static let doc = String(repeating: "ab", count: 32)
    static var time: Timestamp {
        get throws { try Timestamp(millisecondsSinceEpoch: 1_795_601_730_123) }
    }

    static func keyUse(owner: String = "Әлия Қасымова", extra: [String: FieldValue] = [:]) throws -> EventRecord {
        var fields: [String: FieldValue] = ["key": "k-1", "doc": .string(doc), "alg": "ECGOST34310"]
        fields.merge(extra) { _, new in new }
        return try EventRecord(event: .keyUse, owner: owner, fields: fields)
    }

    /// The same entry as the fixture's "entry-like" case, whose bytes Python wrote.
    @Test func bytesEqualPythons() throws {
        let fixture = try CanonicalJSONFixture.named("entry-like")
        let entry = try Entry(
            try Self.keyUse(),
            seq: 42,
            time: try Timestamp(rfc3339Milliseconds: "2026-11-25T10:15:30.123Z"),
            salt: Array(0..<16)
        )
        #expect(entry.canonicalBytes == fixture.canonicalBytes)
        #expect(try Entry(parsing: fixture.canonicalBytes) == entry)
    }

    /// The entry serializer writes bytes directly; the general serializer must agree with it
    /// for fields sorting before, between and after the reserved keys.
    @Test func directSerializerAgreesWithGeneralOne() throws {
        let names = ["A", "Z", "a", "alg", "eventual", "ev", "f", "owner_", "ownerX", "p", "salt2", "sea", "seq0",
            "t", "tim", "timeZ", "u", "v0", "vv", "w", "z", "key", "doc"]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            var extra: [String: FieldValue] = [:]
            for name in names.shuffled(using: &generator).prefix(round % 8) where name != "key" && name != "doc" {
                extra[name] = Bool.random(using: &generator)
                    ? .integer(Int64.random(in: -JSONValue.maxSafeInteger...JSONValue.maxSafeInteger, using: &generator))
                    : .string("x\u{0}\"\\\u{2028}қ\(round)")
            }
            let event = EventName.known.randomElement(using: &generator) ?? .keyUse
            var fields = extra
            fields["key"] = "k"
            fields["doc"] = .string(Self.doc)
            fields["alg"] = "Ed25519"
            let record = try EventRecord(event: event, owner: "owner \(round)", fields: fields)
            let seq = Int64.random(in: 0...JSONValue.maxSafeInteger, using: &generator)
            let entry = try Entry(record, seq: seq, time: try Self.time)
            let largest = try Entry(record, seq: JSONValue.maxSafeInteger, time: try Self.time)
            #expect(record.maxEntrySize == largest.canonicalBytes.count)

            var members = fields.mapValues { value -> JSONValue in
                switch value {
                case .string(let string): .string(string)
                case .integer(let integer): .integer(integer)
                }
            }
            members["v"] = .integer(1)
            members["seq"] = .integer(seq)
            members["time"] = .string(try Self.time.rfc3339Milliseconds)
            members["event"] = .string(event.rawValue)
            members["owner"] = .string("owner \(round)")
            members["salt"] = .string(Data(entry.salt).base64EncodedString())
            #expect(entry.canonicalBytes == (try JSONValue.object(members).canonicalBytes()))
            #expect(try Entry(parsing: entry.canonicalBytes) == entry)
        }
    }

    @Test func entryExposesItsParts() throws {
        let record = try Self.keyUse(extra: ["n": 7])
        let time = try Self.time
        let entry = try Entry(record, seq: 3, time: time)
        #expect(entry.event == .keyUse && entry.owner == "Әлия Қасымова" && entry.seq == 3 && entry.time == time)
        #expect(record[field: "n"] == .integer(7) && record[field: "missing"] == nil)
        #expect(record.fields == ["key": "k-1", "doc": .string(Self.doc), "alg": "ECGOST34310", "n": 7])
        #expect(entry.salt.count == 16)
        #expect(JSONValue.isCanonical(entry.canonicalBytes))
    }

    @Test func randomSaltsAreFreshAndSized() {
        let salts = Set((0..<100).map { _ in Entry.randomSalt() })
        #expect(salts.count == 100)
        #expect(salts.allSatisfy { $0.count == Entry.saltSize })
    }

    @Test func eventNamesAreOneListOfLowercaseDottedASCII() {
        let names = EventName.known.map(\.rawValue)
        #expect(Set(names).count == names.count)
        for name in names {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            #expect(parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { (0x61...0x7A).contains($0) } }, "\(name)")
        }
        for required in ["key.create", "key.use", "key.destroy"] {
            #expect(names.contains(required))
        }
    }

    /// A reader meets entries of newer writers: a well-formed name it does not know parses and
    /// keeps its bytes (so its leaf hash verifies); only its required fields are not checked.
    @Test func unknownEventNamesParseAndAreReportedAsUnknown() throws {
        let record = try EventRecord(event: try #require(EventName(rawValue: "witness.cosign2")), owner: "w", fields: ["n": 1])
        let entry = try Entry(record, seq: 4, time: try Self.time)
        let parsed = try Entry(parsing: entry.canonicalBytes)
        #expect(parsed == entry && parsed.canonicalBytes == entry.canonicalBytes)
        #expect(!parsed.event.isKnown && parsed.event.rawValue == "witness.cosign2")
        #expect(JournalEvent(parsed.record) == nil, "no typed view of an unknown event")
        #expect(EventName.known.allSatisfy { $0.isKnown })
        for bad in ["", "Key", "key.", ".key", "a..b", "a b", "a-b", "1a", "a.1b", String(repeating: "a", count: 65)] {
            #expect(EventName(rawValue: bad) == nil, "\(bad)")
        }
        #expect(EventName(rawValue: String(repeating: "a", count: 64)) != nil)
    }

    @Test func unknownEventIsRefusedWithTheAllowedList() {
        let error = requireFormatsError(.invalidArgument) { _ = try EventName(validating: "key.steal") }
        #expect(error?.message.contains("key.steal") == true)
        #expect(error?.message.contains("key.create") == true)
        requireFormatsError(.invalidArgument) { _ = try EventName(validating: "Key.Create") }
        #expect((try? EventName(validating: "key.create")) == .keyCreate)
    }

    @Test(arguments: [
        ("", "empty"), ("a\u{7}b", "control"), ("line\nbreak", "control"), ("c1\u{85}", "control"),
        ("del\u{7F}", "control"), (String(repeating: "ы", count: 129), "more than 256"),
    ])
    func badOwnerIsRefused(_ owner: String, _ reason: String) {
        let error = requireFormatsError(.invalidArgument) { _ = try EventRecord(event: .nodeStart, owner: owner) }
        #expect(error?.message.contains("owner") == true)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func ownerAtTheLimitIsAccepted() throws {
        _ = try EventRecord(event: .nodeStart, owner: String(repeating: "ы", count: 128))
    }

    @Test(arguments: [
        (EventName.keyCreate, [String: FieldValue](), "missing required field \"key\""),
        (.keyDestroy, ["doc": "x"], "missing required field \"key\""),
        (.keyLock, [:], "missing required field \"key\""),
        (.keyCompromise, [:], "missing required field \"key\""),
        (.keyCreate, ["key": 5], "\"key\" must be a string"),
        (.keyCreate, ["key": ""], "key is empty"),
        (.keyCreate, ["key": "a\u{0}"], "control"),
        (.keyUse, ["key": "k", "alg": "a"], "missing required field \"doc\""),
        (.keyUse, ["key": "k", "doc": .string(String(repeating: "0", count: 64))], "missing required field \"alg\""),
        (.keyUse, ["doc": .string(String(repeating: "0", count: 64)), "alg": "a"], "missing required field \"key\""),
        (.keyUse, ["key": "k", "alg": "a", "doc": .string(String(repeating: "A", count: 64))], "64 lowercase hex"),
        (.keyUse, ["key": "k", "alg": "a", "doc": .string(String(repeating: "0", count: 63))], "64 lowercase hex"),
        (.keyUse, ["key": "k", "alg": "a", "doc": .string(String(repeating: "0", count: 65))], "64 lowercase hex"),
        (.keyUse, ["key": "k", "alg": "a", "doc": .string(String(repeating: "g", count: 64))], "64 lowercase hex"),
        (.keyUse, ["key": "k", "alg": "a", "doc": 12], "\"doc\" must be a string"),
        (.keyUse, ["key": "k", "alg": "", "doc": .string(String(repeating: "0", count: 64))], "alg is empty"),
    ] as [(EventName, [String: FieldValue], String)])
    func missingOrBadEventFieldsAreRefused(_ event: EventName, _ fields: [String: FieldValue], _ reason: String) {
        let error = requireFormatsError(.invalidArgument) { _ = try EventRecord(event: event, owner: "o", fields: fields) }
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
        #expect(error?.message.contains(event.rawValue) == true)
    }

    @Test(arguments: ["v", "seq", "time", "event", "owner", "salt"])
    func reservedFieldsCannotBeOverridden(_ name: String) {
        let error = requireFormatsError(.invalidArgument) { _ = try Self.keyUse(extra: [name: "x"]) }
        #expect(error?.message.contains("reserved") == true)
        #expect(error?.message.contains("\"\(name)\"") == true)
    }

    @Test(arguments: ["", "1a", "_a", "a-b", "a.b", "a b", "ключ", "a\u{0}"])
    func badFieldNamesAreRefused(_ name: String) {
        let error = requireFormatsError(.invalidArgument) { _ = try Self.keyUse(extra: [name: 1]) }
        #expect(error?.message.contains("[a-zA-Z][a-zA-Z0-9_]*") == true)
    }

    @Test func extraIntegersMustBeSafe() throws {
        _ = try Self.keyUse(extra: ["n": .integer(JSONValue.maxSafeInteger), "m": .integer(-JSONValue.maxSafeInteger)])
        requireFormatsError(.invalidArgument) { _ = try Self.keyUse(extra: ["n": .integer(JSONValue.maxSafeInteger + 1)]) }
        requireFormatsError(.invalidArgument) { _ = try Self.keyUse(extra: ["n": .integer(Int64.min)]) }
    }

    /// The size check is done on the draft against the largest possible `seq`, so the largest
    /// accepted draft makes exactly a 65,535-byte entry and one byte more is refused.
    @Test func sizeLimitIsExactAndCheckedBeforeSequencing() throws {
        let probe = try Entry(Self.keyUse(extra: ["pad": ""]), seq: JSONValue.maxSafeInteger, time: try Self.time)
        let padding = Entry.maxSize - probe.canonicalBytes.count
        let largest = try Self.keyUse(extra: ["pad": .string(String(repeating: "x", count: padding))])
        #expect(try Entry(largest, seq: JSONValue.maxSafeInteger, time: try Self.time).canonicalBytes.count == Entry.maxSize)
        let error = requireFormatsError(.invalidArgument) {
            _ = try Self.keyUse(extra: ["pad": .string(String(repeating: "x", count: padding + 1))])
        }
        #expect(error?.message.contains("65535") == true)
        // Escapes count: one control character is six bytes in the entry.
        requireFormatsError(.invalidArgument) {
            _ = try Self.keyUse(extra: ["pad": .string(String(repeating: "x", count: padding - 1) + "\u{1}")])
        }
    }

    @Test func sequencingRefusesBadSeqAndSalt() throws {
        let record = try Self.keyUse()
        requireFormatsError(.invalidArgument) { _ = try Entry(record, seq: -1, time: try Self.time) }
        requireFormatsError(.invalidArgument) { _ = try Entry(record, seq: JSONValue.maxSafeInteger + 1, time: try Self.time) }
        requireFormatsError(.invalidArgument) { _ = try Entry(record, seq: 0, time: try Self.time, salt: Array(repeating: 0, count: 15)) }
        requireFormatsError(.invalidArgument) { _ = try Entry(record, seq: 0, time: try Self.time, salt: Array(repeating: 0, count: 17)) }
    }

    /// Mutates a valid entry's JSON and checks that parsing refuses the result.
    func parsingRefuses(
        _ code: LedgerFormatsError.Code,
        _ mutate: (inout [String: JSONValue]) -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let entry = try Entry(try Self.keyUse(), seq: 9, time: try Self.time)
        guard case .object(var members) = try JSONValue(parsing: entry.canonicalBytes) else {
            Issue.record("entry is not an object")
            return
        }
        mutate(&members)
        let bytes = try JSONValue.object(members).canonicalBytes()
        requireFormatsError(code, sourceLocation: sourceLocation) { _ = try Entry(parsing: bytes) }
    }

    @Test func parsingRefusesInvalidEntries() throws {
        try parsingRefuses(.unsupported) { $0["v"] = .integer(2) }
        try parsingRefuses(.malformed) { $0["v"] = .string("1") }
        try parsingRefuses(.malformed) { $0["v"] = nil }
        try parsingRefuses(.malformed) { $0["seq"] = .integer(-1) }
        try parsingRefuses(.malformed) { $0["seq"] = nil }
        try parsingRefuses(.malformed) { $0["time"] = .string("2026-11-25T10:15:30Z") }
        try parsingRefuses(.malformed) { $0["time"] = .string("2026-11-25T10:15:30.123+00:00") }
        for bad in ["Key.Use", "key..use", ".key", "key.", "key use", "ключ", "1key", String(repeating: "a", count: 65)] {
            try parsingRefuses(.malformed) { $0["event"] = .string(bad) }
        }
        try parsingRefuses(.malformed) { $0["owner"] = .string("") }
        try parsingRefuses(.malformed) { $0["owner"] = .integer(1) }
        try parsingRefuses(.malformed) { $0["salt"] = nil }
        try parsingRefuses(.malformed) { $0["salt"] = .string(Data(count: 15).base64EncodedString()) }
        try parsingRefuses(.malformed) { $0["salt"] = .string("AAECAwQFBgcICQoLDA0ODx==") }  // non-zero pad bits
        try parsingRefuses(.malformed) { $0["salt"] = .string("AAECAwQFBgcICQoLDA0ODw") }  // unpadded
        try parsingRefuses(.malformed) { $0["doc"] = .string(String(repeating: "F", count: 64)) }
        try parsingRefuses(.malformed) { $0["alg"] = nil }
        try parsingRefuses(.malformed) { $0["flag"] = .bool(true) }
        try parsingRefuses(.malformed) { $0["list"] = .array([]) }
        try parsingRefuses(.malformed) { $0["bad-name"] = .integer(1) }
    }

    @Test func parsingRefusesNonCanonicalAndOversizedBytes() throws {
        let entry = try Entry(try Self.keyUse(), seq: 9, time: try Self.time)
        let text = String(decoding: entry.canonicalBytes, as: UTF8.self)
        requireFormatsError(.malformed) { _ = try Entry(parsing: Array((text + "\n").utf8)) }
        requireFormatsError(.malformed) { _ = try Entry(parsing: Array(text.replacingOccurrences(of: ",", with: ", ").utf8)) }
        requireFormatsError(.malformed) {
            _ = try Entry(parsing: Array(text.replacingOccurrences(of: "\"v\":1", with: "\"v\":1.0").utf8))
        }
        // Owner escaped needlessly: same value, different bytes.
        requireFormatsError(.malformed) {
            _ = try Entry(parsing: Array(text.replacingOccurrences(of: "Ә", with: "\\u04d8").utf8))
        }
        requireFormatsError(.malformed) { _ = try Entry(parsing: Array("[]".utf8)) }
        let huge = Array(repeating: UInt8(ascii: " "), count: Entry.maxSize) + entry.canonicalBytes
        let error = requireFormatsError(.malformed) { _ = try Entry(parsing: huge) }
        #expect(error?.message.contains("65535") == true)
    }
}
