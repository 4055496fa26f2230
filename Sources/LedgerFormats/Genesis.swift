import Codecs
import Crypto
import Foundation

/// The document a chain starts from (docs/formats.md, "Genesis"): canonical JSON, no
/// trailing newline. Auditors pin its `hash` from an independent channel, and block 0's `prev`
/// is that hash, so the bytes must be reproducible exactly: version 1 has exactly five fields.
public struct Genesis: Hashable, Sendable {
    public static let version: Int64 = 1
    /// How far ahead of `startDate` the zone is scanned for skipped dates (see `DayCalendar`).
    public static let skippedDateHorizonYears: Int64 = 100

    /// The log's origin, also its key name.
    public let origin: String
    /// The C2SP verifier key string `<origin>+<hex key ID>+<base64(0x01 || Ed25519 key)>`.
    public let verifierKey: String
    /// The IANA name of the zone whose midnights close the days.
    public let timeZone: String
    /// The date block 0 closes.
    public let startDate: LocalDate
    public let canonicalBytes: [UInt8]
    /// SHA-256 of `canonicalBytes`: block 0's `prev`.
    public let hash: [UInt8]

    private static let fieldNames: Set<String> = ["v", "origin", "verifierKey", "timeZone", "startDate"]

    /// Builds and validates a genesis (for `tamga init`). Throws if the origin or verifier key
    /// is malformed, the zone is unknown or not an IANA name, or it skips a date.
    public init(origin: String, verifierKey: String, timeZone: String, startDate: LocalDate) throws(LedgerFormatsError) {
        try Self.checkOrigin(origin, code: .invalidArgument)
        try Self.checkVerifierKey(verifierKey, origin: origin, code: .invalidArgument)
        let zone = try Self.checkedTimeZone(timeZone)
        try DayCalendar.checkNoSkippedDates(in: zone, from: startDate, years: Self.skippedDateHorizonYears)
        self.origin = origin
        self.verifierKey = verifierKey
        self.timeZone = timeZone
        self.startDate = startDate
        self.canonicalBytes = try JSONValue.object([
            "v": .integer(Self.version),
            "origin": .string(origin),
            "verifierKey": .string(verifierKey),
            "timeZone": .string(timeZone),
            "startDate": .string(startDate.description),
        ]).canonicalBytes()
        self.hash = Array(SHA256.hash(data: canonicalBytes))
    }

    /// Parses a genesis document strictly: canonical bytes, exactly the version 1 fields, and
    /// the same validation as creating one (so a node and an auditor refuse the same inputs).
    public init(parsing bytes: some Collection<UInt8>) throws(LedgerFormatsError) {
        let bytes = byteArray(bytes)
        guard case .object(let members) = try JSONValue(parsing: bytes) else {
            throw LedgerFormatsError(.malformed, "genesis is not a JSON object")
        }
        guard case .integer(let version)? = members["v"] else {
            throw LedgerFormatsError(.malformed, "genesis has no integer \"v\" field")
        }
        guard version == Self.version else {
            throw LedgerFormatsError(.unsupported, "genesis version \(version); this code reads version \(Self.version)")
        }
        if let unknown = members.keys.filter({ !Self.fieldNames.contains($0) }).sorted().first {
            throw LedgerFormatsError(
                .malformed,
                "genesis has unknown field \(CanonicalWriter.quoted(unknown)); version 1 has exactly \(Self.fieldNames.sorted().joined(separator: ", "))"
            )
        }
        func string(_ name: String) throws(LedgerFormatsError) -> String {
            guard case .string(let value)? = members[name] else {
                throw LedgerFormatsError(.malformed, "genesis has no string \"\(name)\" field")
            }
            return value
        }
        let origin = try string("origin")
        let verifierKey = try string("verifierKey")
        let timeZone = try string("timeZone")
        let startDate = try LocalDate(parsing: try string("startDate"))
        try Self.checkOrigin(origin, code: .malformed)
        try Self.checkVerifierKey(verifierKey, origin: origin, code: .malformed)
        try self.init(origin: origin, verifierKey: verifierKey, timeZone: timeZone, startDate: startDate)
        guard canonicalBytes == bytes else {
            throw LedgerFormatsError(
                .malformed,
                "genesis is valid JSON but not its canonical bytes (keys sorted, no white space, no trailing newline)"
            )
        }
    }

    /// Key names in C2SP signed notes are non-empty and contain neither Unicode spaces nor
    /// `+`; the origin is also a checkpoint line, so no control characters either.
    private static func checkOrigin(_ origin: String, code: LedgerFormatsError.Code) throws(LedgerFormatsError) {
        guard !origin.isEmpty, origin.utf8.count <= 256,
            !origin.unicodeScalars.contains(where: {
                $0 == "+" || $0.properties.isWhitespace || $0.properties.generalCategory == .control
            })
        else {
            throw LedgerFormatsError(
                code,
                "genesis origin \(CanonicalWriter.quoted(origin)) must be 1-256 bytes without spaces, '+' or control characters"
            )
        }
    }

    /// Checks the shape `<origin>+<8 lowercase hex>+<base64 of 0x01 || 32 bytes>` only; the
    /// signed-note code parses the key fully (and checks the key ID).
    private static func checkVerifierKey(_ key: String, origin: String, code: LedgerFormatsError.Code) throws(LedgerFormatsError) {
        let parts = key.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw LedgerFormatsError(code, "genesis verifierKey is not of the form <name>+<key ID>+<base64 key>")
        }
        guard parts[0] == origin else {
            throw LedgerFormatsError(
                code,
                "genesis verifierKey names \(CanonicalWriter.quoted(String(parts[0]))), not the origin \(CanonicalWriter.quoted(origin)); the log key's name must be the origin"
            )
        }
        guard parts[1].utf8.count == 8,
            parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw LedgerFormatsError(code, "genesis verifierKey key ID must be 8 lowercase hex digits")
        }
        let encoded = String(parts[2])
        guard let decoded = Base64.decode(encoded), decoded.count == 33, decoded.first == 0x01
        else {
            throw LedgerFormatsError(
                code,
                "genesis verifierKey must end in canonical base64 of 0x01 followed by a 32-byte Ed25519 public key"
            )
        }
    }

    /// The zone for an IANA name: it must be in this machine's tz database under exactly that
    /// name, and not one of Foundation's custom offsets (`GMT+0500`), which are not IANA names.
    static func checkedTimeZone(_ identifier: String) throws(LedgerFormatsError) -> TimeZone {
        guard !identifier.hasPrefix("GMT+"), !identifier.hasPrefix("GMT-"),
            let zone = TimeZone(identifier: identifier), zone.identifier == identifier
        else {
            throw LedgerFormatsError(
                .unsupported,
                "time zone \(CanonicalWriter.quoted(identifier)) is not an IANA zone in this machine's tz database (for example Asia/Almaty, Etc/UTC); check the name or update tzdata"
            )
        }
        return zone
    }
}
