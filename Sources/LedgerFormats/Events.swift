import Codecs

/// Every event Tamga journals, with its own fields: the one vocabulary that SignCore, the
/// service API's cabinet, the backup and the command line write and read. A case becomes an
/// `EventRecord` with `EventRecord(_:owner:)`; `init?(_:)` reads one back.
///
/// Field names and spellings are part of the public entry format (docs/formats.md): changing
/// one makes old entries read as another shape. Adding a case is safe: older readers keep
/// verifying entries with the new name (`EventName.isKnown` is false for them).
public enum JournalEvent: Hashable, Sendable {
    /// A key made inside the HSM (R14). `fingerprint`: lowercase hex SHA-256 of the public key.
    case keyCreate(key: String, algorithm: String, fingerprint: String)
    /// One signature (R14): `document` is the 32-byte hash that was signed (the SHA-256 of the
    /// document), written as `doc` in lowercase hex.
    case keyUse(key: String, document: [UInt8], algorithm: String)
    /// A key destroyed (R14): by its owner, or erased by the operator (`operatorID`, with a
    /// `reason`), e.g. a locked or compromised key the owner can no longer destroy.
    case keyDestroy(key: String, operatorID: String? = nil, reason: String? = nil)
    /// A key locked after `failures` failed checks in a row.
    case keyLock(key: String, failures: Int)
    /// A key marked compromised by the operator (R13), with the published measures.
    case keyCompromise(key: String, fingerprint: String, operatorID: String, measures: String)
    /// The owner's consent (R6): `terms` is the SHA-256 of the text accepted.
    case consent(terms: [UInt8])
    /// Factors checked and accepted for `purpose` (`sign`, `destroy`, ...); `factors` names them
    /// (`password+biometric+totp`).
    case authOK(key: String, purpose: String, factors: String)
    /// Factors refused after the owner's live biometric verified (a wrong password, a missing
    /// TOTP, a locked key, ...). `failures` counts towards the lockout when the password or TOTP
    /// failed.
    case authFail(key: String?, purpose: String, reason: String, failures: Int?)
    /// Requests refused before any biometric of the owner verified (a bad challenge or
    /// assertion, an unknown or spent SAD, a rate limit): `count` of them for one key (nil when
    /// none or an unknown one was named), purpose and reason in the minute that began at
    /// `minute`. Journaled as the node's (its operator's), never in an owner's name.
    case refused(key: String?, purpose: String, reason: String, count: Int, minute: Timestamp)
    /// The CA attached its certificate for the key; retention runs from `notAfter` (R12, R14).
    case certAttach(key: String, notAfter: Timestamp, serial: [UInt8], operatorID: String)
    /// A TOTP secret enrolled for the key.
    case totpEnrol(key: String, algorithm: String, digits: Int)
    /// The owner opened the personal cabinet (R12) with the factors of `key`.
    case cabinetOpen(key: String)
    /// An HSM backup was made (R5): the archive's SHA-256, M of N shares, the share set.
    case backupCreate(archive: [UInt8], threshold: Int, shares: Int, treeSize: UInt64, set: Int)
    /// The HSM was restored from the archive.
    case backupRestore(archive: [UInt8], treeSize: UInt64, set: Int)
    case nodeStart
    case nodeStop
    /// A witness refused the log's history (a 409 naming another root at a size, or a 422): it
    /// saw a tree this log's does not extend. `witness` is its name in the policy.
    case witnessAlarm(witness: String, reason: String)

    public var name: EventName {
        switch self {
        case .keyCreate: .keyCreate
        case .keyUse: .keyUse
        case .keyDestroy: .keyDestroy
        case .keyLock: .keyLock
        case .keyCompromise: .keyCompromise
        case .consent: .consent
        case .authOK: .authOK
        case .authFail: .authFail
        case .refused: .requestRefused
        case .certAttach: .certAttach
        case .totpEnrol: .totpEnrol
        case .cabinetOpen: .cabinetOpen
        case .backupCreate: .backupCreate
        case .backupRestore: .backupRestore
        case .nodeStart: .nodeStart
        case .nodeStop: .nodeStop
        case .witnessAlarm: .witnessAlarm
        }
    }

    /// The key the event is about, if any.
    public var key: String? {
        switch self {
        case .keyCreate(let key, _, _), .keyUse(let key, _, _), .keyDestroy(let key, _, _), .keyLock(let key, _),
            .keyCompromise(let key, _, _, _), .authOK(let key, _, _), .certAttach(let key, _, _, _),
            .totpEnrol(let key, _, _), .cabinetOpen(let key):
            key
        case .authFail(let key, _, _, _), .refused(let key, _, _, _, _): key
        case .consent, .backupCreate, .backupRestore, .nodeStart, .nodeStop, .witnessAlarm: nil
        }
    }

    /// The event's own fields as the entry writes them.
    var fields: [(String, FieldValue?)] {
        func text(_ value: String?) -> FieldValue? { value.map(FieldValue.string) }
        func number(_ value: Int?) -> FieldValue? { value.map { .integer(Int64($0)) } }
        switch self {
        case .keyCreate(let key, let algorithm, let fingerprint):
            return [("key", text(key)), ("alg", text(algorithm)), ("fingerprint", text(fingerprint))]
        case .keyUse(let key, let document, let algorithm):
            return [("key", text(key)), ("doc", text(hex(document))), ("alg", text(algorithm))]
        case .keyDestroy(let key, let operatorID, let reason):
            return [("key", text(key)), ("operator", text(operatorID)), ("reason", text(reason))]
        case .cabinetOpen(let key):
            return [("key", text(key))]
        case .keyLock(let key, let failures):
            return [("key", text(key)), ("failures", number(failures))]
        case .keyCompromise(let key, let fingerprint, let operatorID, let measures):
            return [
                ("key", text(key)), ("fingerprint", text(fingerprint)), ("operator", text(operatorID)),
                ("measures", text(measures)),
            ]
        case .consent(let terms):
            return [("terms", text(hex(terms)))]
        case .authOK(let key, let purpose, let factors):
            return [("key", text(key)), ("purpose", text(purpose)), ("factors", text(factors))]
        case .authFail(let key, let purpose, let reason, let failures):
            return [("key", text(key)), ("purpose", text(purpose)), ("reason", text(reason)), ("failures", number(failures))]
        case .refused(let key, let purpose, let reason, let count, let minute):
            return [
                ("key", text(key)), ("purpose", text(purpose)), ("reason", text(reason)), ("count", number(count)),
                ("minute", text(minute.rfc3339Milliseconds)),
            ]
        case .certAttach(let key, let notAfter, let serial, let operatorID):
            return [
                ("key", text(key)), ("notAfter", text(notAfter.rfc3339Milliseconds)), ("serial", text(hex(serial))),
                ("operator", text(operatorID)),
            ]
        case .totpEnrol(let key, let algorithm, let digits):
            return [("key", text(key)), ("alg", text(algorithm)), ("digits", number(digits))]
        case .backupCreate(let archive, let threshold, let shares, let treeSize, let set):
            return [
                ("archive", text(hex(archive))), ("threshold", number(threshold)), ("shares", number(shares)),
                ("treeSize", .integer(Int64(clamping: treeSize))), ("set", number(set)),
            ]
        case .backupRestore(let archive, let treeSize, let set):
            return [("archive", text(hex(archive))), ("treeSize", .integer(Int64(clamping: treeSize))), ("set", number(set))]
        case .nodeStart, .nodeStop:
            return []
        case .witnessAlarm(let witness, let reason):
            return [("witness", text(witness)), ("reason", text(reason))]
        }
    }

    /// Reads a known event back from its record; nil for another event or a record that lacks
    /// one of the event's fields or spells one otherwise (fields the event does not name are
    /// ignored, as a newer writer may add some).
    public init?(_ record: EventRecord) {
        func text(_ name: String) -> String? {
            if case .string(let value)? = record[field: name] { return value }
            return nil
        }
        func number(_ name: String) -> Int? {
            if case .integer(let value)? = record[field: name] { return Int(exactly: value) }
            return nil
        }
        func digest(_ name: String) -> [UInt8]? {
            guard let value = text(name), value.utf8.count % 2 == 0, value == value.lowercased() else { return nil }
            return bytes(hex: value)
        }
        /// An optional field: absent is nil, present but of the wrong type fails the whole read.
        func optional<T>(_ name: String, _ read: (String) -> T?) -> T?? {
            guard record[field: name] != nil else { return .some(nil) }
            return read(name).map { .some($0) }
        }
        switch record.event {
        case .keyCreate:
            guard let key = text("key"), let algorithm = text("alg"), let fingerprint = text("fingerprint") else { return nil }
            self = .keyCreate(key: key, algorithm: algorithm, fingerprint: fingerprint)
        case .keyUse:
            guard let key = text("key"), let document = digest("doc"), let algorithm = text("alg") else { return nil }
            self = .keyUse(key: key, document: document, algorithm: algorithm)
        case .keyDestroy:
            guard let key = text("key") else { return nil }
            guard let operatorID = optional("operator", text), let reason = optional("reason", text) else { return nil }
            self = .keyDestroy(key: key, operatorID: operatorID, reason: reason)
        case .keyLock:
            guard let key = text("key"), let failures = number("failures") else { return nil }
            self = .keyLock(key: key, failures: failures)
        case .keyCompromise:
            guard let key = text("key"), let fingerprint = text("fingerprint"), let operatorID = text("operator"),
                let measures = text("measures")
            else { return nil }
            self = .keyCompromise(key: key, fingerprint: fingerprint, operatorID: operatorID, measures: measures)
        case .consent:
            guard let terms = digest("terms") else { return nil }
            self = .consent(terms: terms)
        case .authOK:
            guard let key = text("key"), let purpose = text("purpose"), let factors = text("factors") else { return nil }
            self = .authOK(key: key, purpose: purpose, factors: factors)
        case .authFail:
            guard let key = optional("key", text), let purpose = text("purpose"), let reason = text("reason"),
                let failures = optional("failures", number)
            else { return nil }
            self = .authFail(key: key, purpose: purpose, reason: reason, failures: failures)
        case .requestRefused:
            guard let key = optional("key", text), let purpose = text("purpose"), let reason = text("reason"),
                let count = number("count"), let minute = text("minute").flatMap({ try? Timestamp(rfc3339Milliseconds: $0) })
            else { return nil }
            self = .refused(key: key, purpose: purpose, reason: reason, count: count, minute: minute)
        case .certAttach:
            guard let key = text("key"), let notAfter = text("notAfter").flatMap({ try? Timestamp(rfc3339Milliseconds: $0) }),
                let serial = digest("serial"), let operatorID = text("operator")
            else { return nil }
            self = .certAttach(key: key, notAfter: notAfter, serial: serial, operatorID: operatorID)
        case .totpEnrol:
            guard let key = text("key"), let algorithm = text("alg"), let digits = number("digits") else { return nil }
            self = .totpEnrol(key: key, algorithm: algorithm, digits: digits)
        case .cabinetOpen:
            guard let key = text("key") else { return nil }
            self = .cabinetOpen(key: key)
        case .backupCreate:
            guard let archive = digest("archive"), let threshold = number("threshold"), let shares = number("shares"),
                let treeSize = number("treeSize").flatMap(UInt64.init(exactly:)), let set = number("set")
            else { return nil }
            self = .backupCreate(archive: archive, threshold: threshold, shares: shares, treeSize: treeSize, set: set)
        case .backupRestore:
            guard let archive = digest("archive"), let treeSize = number("treeSize").flatMap(UInt64.init(exactly:)),
                let set = number("set")
            else { return nil }
            self = .backupRestore(archive: archive, treeSize: treeSize, set: set)
        case .nodeStart: self = .nodeStart
        case .nodeStop: self = .nodeStop
        case .witnessAlarm:
            guard let witness = text("witness"), let reason = text("reason") else { return nil }
            self = .witnessAlarm(witness: witness, reason: reason)
        default: return nil
        }
    }
}

extension EventRecord {
    /// The record of a typed event, validated like any other (`init(event:owner:fields:)`).
    public init(_ event: JournalEvent, owner: String) throws(LedgerFormatsError) {
        let fields = event.fields.compactMap { name, value in value.map { Field(name: name, value: $0) } }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        try self.init(event: event.name, owner: owner, sortedFields: fields, errorCode: .invalidArgument)
    }
}
