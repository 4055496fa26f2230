import Crypto
import Foundation
import GOST28147
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import SignCore
import Sodium
import TestSupport
import Testing

/// Which journal a harness runs SignCore on: the contract (`HSMJournal`) alone, or the real ledger.
enum JournalKind: String, CaseIterable, Sendable {
    case memory, ledger
}

/// A SignCore on a journal (the real ledger in a fresh data folder, or the in-memory one), the
/// software HSM backend over that folder's master key, and the biometric service's key.
struct Harness {
    let kind: JournalKind
    let folder: DataFolder
    let journal: any HSMJournal
    /// The started ledger when `kind` is `.ledger`.
    let ledger: Ledger?
    let memory: InMemoryJournal?
    let core: SignCore
    let clock: ManualClock
    let biometricKey: Ed25519.PrivateKey
    let masterKey: SecureBytes
    let backend: SoftwareHSM

    static let origin = "test.tamga.local/log"
    static let terms = Array(SHA256.hash(data: Array("Tamga cloud EDS consent, v1".utf8)))

    /// Runs `body` on a fresh harness for each of `journals` (by default: on the in-memory
    /// journal, then on the real ledger), and always shuts the ledger down. A failure names
    /// the journal it happened on.
    static func with<R>(
        journals: [JournalKind] = JournalKind.allCases, configure: (inout SignCore.Configuration) -> Void = { _ in },
        _ body: (Harness) async throws -> R
    ) async throws -> R {
        var result: R?
        for kind in journals {
            let folder = try makeChain()
            defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: folder.path).deletingLastPathComponent().path) }
            let clock = ManualClock(startTime)
            var ledger: Ledger?
            var memory: InMemoryJournal?
            let journal: any HSMJournal
            switch kind {
            case .ledger:
                let opened = try Ledger.open(folder: folder, clock: clock)
                opened.start()
                ledger = opened
                journal = opened
            case .memory:
                let inMemory = InMemoryJournal(clock: clock)
                memory = inMemory
                journal = inMemory
            }
            defer { ledger?.shutdown() }
            let biometricKey = try Ed25519.PrivateKey()
            var configuration = SignCore.Configuration(biometricServiceKey: biometricKey.publicKey, origin: Self.origin)
            configuration.argon2 = .testOnly
            configure(&configuration)
            let masterKey = try MasterKey.load(from: folder.masterKey)
            let backend = try SoftwareHSM(master: masterKey, logKeyPath: folder.logKey)
            let core = try SignCore(journal: journal, backend: backend, configuration: configuration, clock: clock)
            let harness = Harness(
                kind: kind, folder: folder, journal: journal, ledger: ledger, memory: memory, core: core, clock: clock,
                biometricKey: biometricKey, masterKey: masterKey, backend: backend)
            do {
                result = try await body(harness)
            } catch {
                throw HarnessFailure(kind: kind, error: error)
            }
        }
        guard let result else { throw HarnessFailure(kind: nil, error: CancellationError()) }
        return result
    }

    /// Another SignCore (new transport key, other configuration) on the same journal and backend.
    func reconfigured(_ configure: (inout SignCore.Configuration) -> Void) throws -> Harness {
        var configuration = SignCore.Configuration(biometricServiceKey: biometricKey.publicKey, origin: Self.origin)
        configuration.argon2 = .testOnly
        configure(&configuration)
        let core = try SignCore(journal: journal, backend: backend, configuration: configuration, clock: clock)
        return Harness(
            kind: kind, folder: folder, journal: journal, ledger: ledger, memory: memory, core: core, clock: clock,
            biometricKey: biometricKey, masterKey: masterKey, backend: backend)
    }

    /// Factors as an honest owner's app and the biometric service would make them for `operation`.
    func factors(owner: String, password: String, for operation: SignCore.Operation, totp: String? = nil) throws
        -> SignCore.Factors
    {
        let challenge = try core.challenge(owner: owner).bytes
        return SignCore.Factors(
            challenge: challenge,
            sealedPassword: try SignCoreClient.sealPassword(
                Array(password.utf8), challenge: challenge, for: operation,
                transportKey: core.transportKey().statement.publicKey),
            biometric: try SignCoreClient.biometricAssertion(
                owner: owner, challenge: challenge, time: clock.now(), serviceKey: biometricKey),
            totp: totp)
    }

    /// The owner's consent, with a challenge and the owner's biometric assertion for it.
    func consent(owner: String) async throws {
        let challenge = try core.challenge(owner: owner).bytes
        try await core.recordConsent(
            owner: owner, termsHash: Self.terms, challenge: challenge,
            biometric: try SignCoreClient.biometricAssertion(
                owner: owner, challenge: challenge, time: clock.now(), serviceKey: biometricKey))
    }

    func createKey(owner: String, password: String, consent: Bool = true) async throws -> KeyInfo {
        if consent { try await self.consent(owner: owner) }
        return try await core.createKey(owner: owner, factors: factors(owner: owner, password: password, for: .createKey))
    }

    func authorize(_ key: KeyInfo, password: String, hashes: [[UInt8]], totp: String? = nil) async throws
        -> SignCore.Activation
    {
        try await core.authorize(
            keyID: key.id, owner: key.owner, hashes: hashes,
            factors: factors(owner: key.owner, password: password, for: .authorize(keyID: key.id, hashes: hashes), totp: totp))
    }

    /// Every entry of the journal, read back from its bytes.
    func entries() throws -> [Entry] {
        if let ledger {
            return try ledger.entries(from: 0, count: Int(ledger.head.treeSize)).map { try Entry(parsing: $0) }
        }
        return try (memory?.entries ?? []).map { try Entry(parsing: $0.canonicalBytes) }
    }

    /// How many entries the journal holds.
    var size: Int {
        get throws { try entries().count }
    }

    func lastEntry() throws -> Entry {
        try #require(try entries().last)
    }
}

/// A failure inside `Harness.with`, naming the journal it ran on.
struct HarnessFailure: Error, CustomStringConvertible {
    let kind: JournalKind?
    let error: any Error
    var description: String { kind.map { "on the \($0.rawValue) journal: \(error)" } ?? "no journal was given" }
}

func randomHashes(_ count: Int) -> [[UInt8]] {
    (0..<count).map { _ in Sodium.randomBytes(32) }
}

/// Expects `body` to throw a `SignCoreError` with `code`; returns it.
@discardableResult
func expectRefusal<R>(
    _ code: SignCoreError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> R
) async -> SignCoreError? {
    do {
        _ = try await body()
        Issue.record("expected SignCoreError.\(code), but it succeeded", sourceLocation: sourceLocation)
    } catch let error as SignCoreError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected SignCoreError.\(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Checks the journal's last entry: the refusal's event, owner and reason.
func expectJournaled(
    _ harness: Harness, _ event: EventName, owner: String, reason: String, key: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let entry = try harness.lastEntry()
    #expect(entry.event == event, sourceLocation: sourceLocation)
    #expect(entry.owner == owner, sourceLocation: sourceLocation)
    #expect(entry.record[field: "reason"] == .string(reason), sourceLocation: sourceLocation)
    if let key { #expect(entry.record[field: "key"] == .string(key), sourceLocation: sourceLocation) }
}

/// Checks a refusal that came before any biometric: once the counts are journaled, the last
/// entry is the node's `request.refused` (not the owner's) with this key, purpose, reason and count.
func expectCounted(
    _ harness: Harness, purpose: String, reason: String, key: String?, count: Int = 1,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    try await harness.core.flushRefusals(all: true)
    let mismatch = refusalCountMismatch(try harness.lastEntry(), purpose: purpose, reason: reason, key: key, count: count)
    #expect(mismatch == nil, "\(mismatch ?? "")", sourceLocation: sourceLocation)
}

// MARK: an independent unwrap, from the documented construction (docs/hsm.md)

struct Locked: ContiguousBytes {
    let secret: SecureBytes
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try secret.withBytes(body) }
}

/// What the test knows of a key's record, read as plain JSON (not through SignCore's types).
struct StoredWrapping {
    let wrappedSeed: [UInt8]
    let parameterSetOID: String
    let salt: [UInt8]
    let parameters: Argon2id.Parameters
    let verifier: [UInt8]

    init(_ harness: Harness, keyID: String) throws {
        let bytes = try #require(try harness.journal.record("signcore/key/\(keyID)"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let wrapping = try #require(object["wrapping"] as? [String: Any])
        let argon2 = try #require(wrapping["argon2"] as? [String: Any])
        func data(_ name: String) throws -> [UInt8] {
            let text = try #require(wrapping[name] as? String)
            return Array(try #require(Data(base64Encoded: text)))
        }
        wrappedSeed = try data("wrappedSeed")
        salt = try data("salt")
        verifier = try data("verifier")
        parameterSetOID = try #require(wrapping["parameterSetOID"] as? String)
        parameters = Argon2id.Parameters(
            iterations: UInt64(try #require(argon2["iterations"] as? Int)),
            memoryBytes: try #require(argon2["memoryBytes"] as? Int))
    }

    /// BLAKE2b-256 keyed with the master key over "tamga signcore v1 <context>" || 0 || id || 0 || Argon2id(password).
    func derived(_ context: String, password: String, keyID: String, masterKey: SecureBytes) throws -> SecureBytes {
        let stretched = try Argon2id.derive(password: Array(password.utf8), salt: salt, parameters: parameters)
        let label = Array("tamga signcore v1 \(context)\0\(keyID)\0".utf8)
        let input = try SecureBytes(count: label.count + stretched.count) { out in
            out.copyBytes(from: label)
            stretched.withBytes { UnsafeMutableRawBufferPointer(rebasing: out[label.count...]).copyMemory(from: $0) }
        }
        return try Blake2b.keyedHash(input, key: masterKey)
    }

    /// The seed, unwrapped with the test's own derivation and GOST28147 directly.
    func seed(password: String, keyID: String, masterKey: SecureBytes, parameterSet: GOST28147ParameterSet? = nil)
        throws -> SecureBytes
    {
        let kek = try derived("kek", password: password, keyID: keyID, masterKey: masterKey)
        let set = try parameterSet ?? GOST28147ParameterSet(oid: parameterSetOID)
        return try GOST28147KeyWrap.unwrapCryptoPro(wrappedSeed, kek: Locked(secret: kek), parameterSet: set) { raw in
            try SecureBytes(count: raw.count) { $0.copyMemory(from: raw) }
        }
    }
}

/// Every file under `path`, read whole.
func filesUnder(_ path: String) throws -> [(String, Data)] {
    let manager = FileManager.default
    var out: [(String, Data)] = []
    guard let walker = manager.enumerator(atPath: path) else { return out }
    while let relative = walker.nextObject() as? String {
        var isDirectory: ObjCBool = false
        let full = path + "/" + relative
        if manager.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
            out.append((relative, try Data(contentsOf: URL(fileURLWithPath: full))))
        }
    }
    return out
}

/// The forms a secret could be written in: raw, lowercase hex, base64.
func encodings(of secret: [UInt8]) -> [Data] {
    [Data(secret), Data(hexString(secret).utf8), Data(Data(secret).base64EncodedString().utf8)]
}
