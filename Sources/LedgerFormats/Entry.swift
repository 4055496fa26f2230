import Codecs
import Crypto
import Foundation

/// An event's name: lowercase dotted ASCII (`key.use`, `auth.fail`). The names this code writes
/// are the static members (`EventName.known`); `JournalEvent` gives each its fields.
///
/// The set is open on purpose: a reader meets entries written by newer code. An entry or
/// receipt whose event this code does not know still parses and verifies (bytes, canonical
/// form, hashes, the common fields); `isKnown` tells the reader to report the name rather than
/// reject the entry. Only writers refuse unknown names (`init(validating:)`).
public struct EventName: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// Bound on a name's length in bytes.
    public static let maxLength = 64

    /// A syntactically valid name: 1 to 64 bytes of dot-separated parts, each a lowercase ASCII
    /// letter followed by lowercase letters and digits.
    public init?(rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(known name: String) { rawValue = name }

    // Required by R14.
    public static let keyCreate = EventName(known: "key.create")
    public static let keyUse = EventName(known: "key.use")
    public static let keyDestroy = EventName(known: "key.destroy")
    // The project's own security events.
    public static let keyLock = EventName(known: "key.lock")
    public static let keyCompromise = EventName(known: "key.compromise")
    public static let consent = EventName(known: "consent")
    public static let authFail = EventName(known: "auth.fail")
    public static let authOK = EventName(known: "auth.ok")
    public static let certAttach = EventName(known: "cert.attach")
    public static let backupCreate = EventName(known: "backup.create")
    public static let backupRestore = EventName(known: "backup.restore")
    public static let retentionPrune = EventName(known: "retention.prune")
    public static let nodeStart = EventName(known: "node.start")
    public static let nodeStop = EventName(known: "node.stop")
    public static let requestRefused = EventName(known: "request.refused")
    public static let totpEnrol = EventName(known: "totp.enrol")
    public static let cabinetOpen = EventName(known: "cabinet.open")
    public static let witnessAlarm = EventName(known: "witness.alarm")

    /// Every name this code writes, in the order above.
    public static let known: [EventName] = [
        .keyCreate, .keyUse, .keyDestroy, .keyLock, .keyCompromise, .consent, .authFail, .authOK, .certAttach,
        .backupCreate, .backupRestore, .retentionPrune, .nodeStart, .nodeStop, .requestRefused, .totpEnrol, .cabinetOpen,
        .witnessAlarm,
    ]
    private static let knownSet = Set(known)

    /// Whether this code knows the event (and so checks its required fields).
    public var isKnown: Bool { Self.knownSet.contains(self) }

    /// A name a writer may use: known to this code, with an error that lists what is allowed.
    public init(validating name: String) throws(LedgerFormatsError) {
        guard let event = EventName(rawValue: name), event.isKnown else {
            throw LedgerFormatsError(
                .invalidArgument,
                "unknown event \(CanonicalWriter.quoted(name)); allowed: \(Self.known.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self = event
    }

    /// Fields a known event must carry, each a non-empty string (`doc`: 64 lowercase hex digits).
    var requiredFields: [String] {
        if self == .keyUse { return ["key", "doc", "alg"] }
        return rawValue.hasPrefix("key.") && isKnown ? ["key"] : []
    }

    private static func isValid(_ name: String) -> Bool {
        var atPartStart = true
        var count = 0
        for byte in name.utf8 {
            count += 1
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): atPartStart = false
            case UInt8(ascii: "0")...UInt8(ascii: "9") where !atPartStart: break
            case UInt8(ascii: ".") where !atPartStart: atPartStart = true
            default: return false
            }
        }
        return count > 0 && count <= maxLength && !atPartStart
    }

    public static func < (lhs: EventName, rhs: EventName) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}

/// The value of an event's own field: the formats have no floats, nulls or nesting in entries.
public enum FieldValue: Hashable, Sendable, ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral {
    case string(String)
    case integer(Int64)

    public init(stringLiteral value: String) {
        self = .string(value)
    }

    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

/// What a caller submits to be logged: the event, its owner and its own fields. Creating one
/// validates it completely, including that the entry it becomes cannot exceed 65,535 bytes
/// whatever its sequence number, so a bad input is refused before anything is written and
/// sequencing an `EventRecord` cannot fail on its content.
public struct EventRecord: Hashable, Sendable {
    public let event: EventName
    public let owner: String
    /// The event's own fields, sorted by name (their order in the canonical bytes).
    let sortedFields: [Field]

    struct Field: Hashable, Sendable {
        let name: String
        let value: FieldValue
    }

    /// Field names every entry has; an event's own fields cannot use them.
    public static let reservedFieldNames: Set<String> = ["v", "seq", "time", "event", "owner", "salt"]
    /// Bound on `owner`, `key` and `alg` (UTF-8 bytes).
    public static let maxIdentifierBytes = 256

    public init(event: EventName, owner: String, fields: [String: FieldValue] = [:]) throws(LedgerFormatsError) {
        try self.init(
            event: event,
            owner: owner,
            sortedFields: fields.map { Field(name: $0.key, value: $0.value) }
                .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) },
            errorCode: .invalidArgument
        )
    }

    /// Validates with `errorCode` (`invalidArgument` for a caller's draft, `malformed` for
    /// parsed bytes).
    init(event: EventName, owner: String, sortedFields: [Field], errorCode: LedgerFormatsError.Code) throws(LedgerFormatsError) {
        func fail(_ message: String) -> LedgerFormatsError {
            LedgerFormatsError(errorCode, "\(event) entry: \(message)")
        }
        try Self.checkIdentifier(owner, "owner", fail)
        for field in sortedFields {
            guard !Self.isReserved(field.name) else {
                throw fail("field \"\(field.name)\" is reserved for the entry itself and cannot be set by the event")
            }
            guard Self.isValidFieldName(field.name) else {
                throw fail("field name \(CanonicalWriter.quoted(field.name)) must match [a-zA-Z][a-zA-Z0-9_]*")
            }
            if case .integer(let value) = field.value, value.magnitude > JSONValue.maxSafeInteger.magnitude {
                throw fail("field \"\(field.name)\" = \(value) is outside ±(2^53 − 1)")
            }
        }
        for name in event.requiredFields {
            guard let field = sortedFields.first(where: { $0.name == name }) else {
                throw fail("missing required field \"\(name)\"")
            }
            guard case .string(let value) = field.value else {
                throw fail("field \"\(name)\" must be a string")
            }
            if name == "doc" {
                guard value.utf8.count == 64, value.utf8.allSatisfy(Self.isLowercaseHexDigit) else {
                    throw fail(
                        "field \"doc\" must be 64 lowercase hex digits (the SHA-256 of the signed document), got \(CanonicalWriter.quoted(value))"
                    )
                }
            } else {
                try Self.checkIdentifier(value, name, fail)
            }
        }
        self.event = event
        self.owner = owner
        self.sortedFields = sortedFields

        let size = maxEntrySize
        guard size <= Entry.maxSize else {
            throw fail("the entry would be up to \(size) bytes, more than \(Entry.maxSize); shorten its fields")
        }
    }

    /// The size of the entry this record becomes with the largest `seq` (2^53 − 1, 16
    /// digits); `time` and `salt` have fixed lengths. Computed, not serialized, because every
    /// event is checked before it is sequenced.
    package var maxEntrySize: Int {
        // {"event":"…","owner":"…","salt":"<24>","seq":<16>,"time":"<24>","v":1}
        var size = 2 + 5  // braces, commas between the six common members
        size += 8 + CanonicalWriter.escapedLength(of: event.rawValue)
        size += 8 + CanonicalWriter.escapedLength(of: owner)
        size += 7 + 26
        size += 6 + 16
        size += 7 + 26
        size += 4 + 1
        for field in sortedFields {
            size += 1 + CanonicalWriter.escapedLength(of: field.name) + 1
            switch field.value {
            case .string(let string): size += CanonicalWriter.escapedLength(of: string)
            case .integer(let integer): size += CanonicalWriter.decimalLength(of: integer)
            }
        }
        return size
    }

    /// The event's own fields.
    public var fields: [String: FieldValue] {
        Dictionary(uniqueKeysWithValues: sortedFields.map { ($0.name, $0.value) })
    }

    public subscript(field name: String) -> FieldValue? {
        sortedFields.first { $0.name == name }?.value
    }

    private static func checkIdentifier(
        _ value: String,
        _ name: String,
        _ fail: (String) -> LedgerFormatsError
    ) throws(LedgerFormatsError) {
        guard !value.isEmpty else { throw fail("\(name) is empty") }
        guard value.utf8.count <= maxIdentifierBytes else {
            throw fail("\(name) is \(value.utf8.count) bytes, more than \(maxIdentifierBytes)")
        }
        // General category Cc is exactly U+0000...U+001F and U+007F...U+009F. The message names
        // the character, not the value: owners are personal data and errors get logged.
        if let control = value.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            throw fail("\(name) contains the control character U+\(String(control.value, radix: 16, uppercase: true))")
        }
    }

    /// `reservedFieldNames` without hashing (this runs for every field of every event).
    private static func isReserved(_ name: String) -> Bool {
        switch name {
        case "v", "seq", "time", "event", "owner", "salt": true
        default: false
        }
    }

    private static func isValidFieldName(_ name: String) -> Bool {
        var bytes = name.utf8.makeIterator()
        guard let first = bytes.next(), isASCIILetter(first) else { return false }
        while let byte = bytes.next() {
            guard isASCIILetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
            else { return false }
        }
        return true
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isLowercaseHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}

/// One leaf of the journal: an `EventRecord` given its place (`seq`), time and salt. The leaf
/// is `canonicalBytes`, computed once; an `Entry` is immutable.
public struct Entry: Hashable, Sendable {
    public static let version: Int64 = 1
    /// The tlog-tiles entry limit.
    public static let maxSize = 65_535
    public static let saltSize = 16

    public let seq: Int64
    public let time: Timestamp
    public let record: EventRecord
    public let salt: [UInt8]
    public let canonicalBytes: [UInt8]

    public var event: EventName { record.event }
    public var owner: String { record.owner }

    /// Sequences a validated record. Throws only for a `seq` outside 0...2^53 − 1 or a salt
    /// that is not 16 bytes: the record itself was checked when it was made.
    public init(_ record: EventRecord, seq: Int64, time: Timestamp, salt: [UInt8] = Entry.randomSalt()) throws(LedgerFormatsError) {
        guard (0...JSONValue.maxSafeInteger).contains(seq) else {
            throw LedgerFormatsError(.invalidArgument, "entry seq \(seq) is outside 0...2^53 − 1")
        }
        guard salt.count == Self.saltSize else {
            throw LedgerFormatsError(.invalidArgument, "entry salt is \(salt.count) bytes; it must be \(Self.saltSize)")
        }
        self.seq = seq
        self.time = time
        self.record = record
        self.salt = salt
        self.canonicalBytes = Self.serialize(record, seq: seq, time: time, salt: salt)
    }

    /// 16 bytes from the system's cryptographically secure generator, so a published leaf
    /// hash cannot be matched by guessing the entry's low-entropy content.
    public static func randomSalt() -> [UInt8] {
        // BoringSSL's generator: seeded by the kernel, but no system call per entry.
        SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }
    }

    /// Parses an entry and requires it to be exactly the canonical bytes of a valid entry.
    public init(parsing bytes: some Collection<UInt8>) throws(LedgerFormatsError) {
        let bytes = byteArray(bytes)
        guard bytes.count <= Self.maxSize else {
            throw LedgerFormatsError(.malformed, "entry is \(bytes.count) bytes, more than \(Self.maxSize)")
        }
        guard case .object(var members) = try JSONValue(parsing: bytes) else {
            throw LedgerFormatsError(.malformed, "entry is not a JSON object")
        }
        func take(_ name: String) throws(LedgerFormatsError) -> JSONValue {
            guard let value = members.removeValue(forKey: name) else {
                throw LedgerFormatsError(.malformed, "entry has no \"\(name)\" field")
            }
            return value
        }
        func takeString(_ name: String) throws(LedgerFormatsError) -> String {
            guard case .string(let value) = try take(name) else {
                throw LedgerFormatsError(.malformed, "entry field \"\(name)\" must be a string")
            }
            return value
        }
        func takeInteger(_ name: String) throws(LedgerFormatsError) -> Int64 {
            guard case .integer(let value) = try take(name) else {
                throw LedgerFormatsError(.malformed, "entry field \"\(name)\" must be an integer")
            }
            return value
        }

        let version = try takeInteger("v")
        guard version == Self.version else {
            throw LedgerFormatsError(.unsupported, "entry version \(version); this code reads version \(Self.version)")
        }
        let seq = try takeInteger("seq")
        guard seq >= 0 else { throw LedgerFormatsError(.malformed, "entry seq \(seq) is negative") }
        let time = try Timestamp(rfc3339Milliseconds: try takeString("time"))
        let eventName = try takeString("event")
        // An unknown but well-formed name is accepted (newer writers); `event.isKnown` tells.
        guard let event = EventName(rawValue: eventName) else {
            throw LedgerFormatsError(
                .malformed, "entry event \(CanonicalWriter.quoted(eventName)) is not lowercase dotted ASCII")
        }
        let owner = try takeString("owner")
        let saltText = try takeString("salt")
        guard let salt = Base64.decode(saltText), salt.count == Self.saltSize else {
            throw LedgerFormatsError(.malformed, "entry salt must be base64 of \(Self.saltSize) bytes")
        }
        var fields: [EventRecord.Field] = []
        for (name, value) in members {
            switch value {
            case .string(let string): fields.append(.init(name: name, value: .string(string)))
            case .integer(let integer): fields.append(.init(name: name, value: .integer(integer)))
            default: throw LedgerFormatsError(.malformed, "entry field \"\(name)\" must be a string or an integer")
            }
        }
        fields.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let record = try EventRecord(event: event, owner: owner, sortedFields: fields, errorCode: .malformed)
        try self.init(record, seq: seq, time: time, salt: salt)
        guard canonicalBytes == bytes else {
            throw LedgerFormatsError(
                .malformed,
                "entry is valid JSON but not in canonical form (keys sorted, no white space, minimal escapes, canonical base64 salt)"
            )
        }
    }

    /// Writes the canonical object directly: the six common keys merged in sorted order with
    /// the event's (already sorted) fields, no intermediate `JSONValue`.
    static func serialize(_ record: EventRecord, seq: Int64, time: Timestamp, salt: [UInt8]) -> [UInt8] {
        var writer = CanonicalWriter(capacity: 160 + record.owner.utf8.count + record.sortedFields.count * 48)
        var fields = record.sortedFields[...]
        var first = true

        func beginMember() {
            writer.appendByte(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
        }
        /// Writes the event's fields that sort before `key`, then `"key":`; all of them if nil.
        func writeFields(before key: StaticString?) {
            while let field = fields.first,
                key.map({ key in key.withUTF8Buffer { field.name.utf8.lexicographicallyPrecedes($0) } }) ?? true
            {
                beginMember()
                writer.appendString(field.name)
                writer.appendByte(UInt8(ascii: ":"))
                switch field.value {
                case .string(let string): writer.appendString(string)
                case .integer(let integer): writer.appendInteger(integer)
                }
                fields.removeFirst()
            }
            if let key {
                beginMember()
                writer.appendKey(key)
            }
        }

        // The reserved keys in byte order: event < owner < salt < seq < time < v.
        writeFields(before: "event")
        writer.appendString(record.event.rawValue)
        writeFields(before: "owner")
        writer.appendString(record.owner)
        writeFields(before: "salt")
        writer.appendByte(UInt8(ascii: "\""))
        Base64.append(salt, to: &writer.bytes)
        writer.appendByte(UInt8(ascii: "\""))
        writeFields(before: "seq")
        writer.appendInteger(seq)
        writeFields(before: "time")
        writer.appendByte(UInt8(ascii: "\""))
        time.appendRFC3339(to: &writer.bytes, milliseconds: true)
        writer.appendByte(UInt8(ascii: "\""))
        writeFields(before: "v")
        writer.appendInteger(version)
        writeFields(before: nil)
        writer.appendByte(UInt8(ascii: "}"))
        return writer.bytes
    }
}
