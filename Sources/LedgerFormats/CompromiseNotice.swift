import Codecs

/// A published compromise notice (R13): when a key was found compromised, which key (by
/// fingerprint only, never by owner) and the measures taken. SignCore writes it in the same
/// batch as the `key.compromise` event; `GET /compromises` and the explorer publish it.
///
/// Its bytes are the canonical JSON object `{"keyFingerprint","measures","time"}` and nothing
/// else: a reader that gets anything more or less refuses it (`init(parsing:)`), so no other
/// data can leak through the route that publishes notices.
public struct CompromiseNotice: Sendable, Hashable {
    /// Lowercase hex SHA-256 of the key's public key.
    public let keyFingerprint: String
    /// What was done to limit the damage, as the operator wrote it (1 to 4096 bytes).
    public let measures: String
    public let time: Timestamp
    /// The canonical JSON object: what is stored and published.
    public let canonicalBytes: [UInt8]

    public static let maxMeasuresBytes = 4096
    /// Notices live among the ledger's records under this prefix, named so that name order
    /// is time order (`recordName`).
    package static let recordPrefix = "compromise/"

    public init(keyFingerprint: String, measures: String, time: Timestamp) throws(LedgerFormatsError) {
        try self.init(keyFingerprint: keyFingerprint, measures: measures, time: time, code: .invalidArgument)
    }

    private init(keyFingerprint: String, measures: String, time: Timestamp, code: LedgerFormatsError.Code)
        throws(LedgerFormatsError)
    {
        guard keyFingerprint.utf8.count == 64, let digits = bytes(hex: keyFingerprint), hex(digits) == keyFingerprint
        else {
            throw LedgerFormatsError(code, "a notice's keyFingerprint is 64 lowercase hex digits (SHA-256 of the public key)")
        }
        guard (1...Self.maxMeasuresBytes).contains(measures.utf8.count) else {
            throw LedgerFormatsError(code, "a notice's measures are 1 to \(Self.maxMeasuresBytes) bytes, not \(measures.utf8.count)")
        }
        self.keyFingerprint = keyFingerprint
        self.measures = measures
        self.time = time
        canonicalBytes = try JSONValue.object([
            "keyFingerprint": .string(keyFingerprint), "measures": .string(measures),
            "time": .string(time.rfc3339Milliseconds),
        ]).canonicalBytes()
    }

    /// Reads a stored notice: exactly the canonical object of the three fields.
    public init(parsing bytes: [UInt8]) throws(LedgerFormatsError) {
        guard case .object(let fields) = try JSONValue(parsingCanonical: bytes), fields.count == 3,
            case .string(let fingerprint)? = fields["keyFingerprint"], case .string(let measures)? = fields["measures"],
            case .string(let time)? = fields["time"]
        else {
            throw LedgerFormatsError(.malformed, "a compromise notice is exactly {\"keyFingerprint\",\"measures\",\"time\"}, all strings")
        }
        try self.init(
            keyFingerprint: fingerprint, measures: measures, time: try Timestamp(rfc3339Milliseconds: time),
            code: .malformed)
    }

    /// `compromise/<milliseconds, 15 digits>-<fingerprint>`: zero-padded to the width of year
    /// 9999, so that record-name order is time order.
    package var recordName: String {
        let digits = String(time.millisecondsSinceEpoch)
        return Self.recordPrefix + String(repeating: "0", count: max(0, 15 - digits.count)) + digits + "-"
            + keyFingerprint
    }
}
