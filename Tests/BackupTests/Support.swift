import Backup
import Crypto
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import SignCore
import Sodium
import TestSupport
import Testing

let terms = Array(SHA256.hash(data: Array("Tamga cloud EDS consent, v1".utf8)))

/// A chain whose store holds what a backup must carry: an HSM key (wrapped seed, password
/// verifier, TOTP secret) and some events.
struct Chain {
    let root: String
    let folder: DataFolder
    let clock: ManualClock
    let biometricKey: Ed25519.PrivateKey
    let key: KeyInfo
    /// The key's TOTP enrolment (`otpauth://` URI), as the owner's authenticator keeps it.
    let otpauth: String
    static let owner = "900101300123"
    static let password = "correct horse battery"

    static func make() async throws -> Chain {
        let root = try temporaryFolder()
        let folder = DataFolder(root + "/data")
        _ = try Ledger.create(
            folder: folder, origin: "test.tamga.local/log", timeZone: "Asia/Almaty",
            startDate: LocalDate(parsing: "2026-11-20"))
        let clock = ManualClock(startTime)
        let biometricKey = try Ed25519.PrivateKey()
        let (key, otpauth) = try await withCore(folder: folder, clock: clock, biometricKey: biometricKey) { core in
            let live = try factors(core, owner: owner, for: .createKey, clock: clock, biometricKey: biometricKey)
            try await core.recordConsent(
                owner: owner, termsHash: terms, challenge: live.challenge, biometric: live.biometric)
            let key = try await core.createKey(
                owner: owner, factors: factors(core, owner: owner, for: .createKey, clock: clock, biometricKey: biometricKey))
            let uri = try await core.enrolTOTP(
                keyID: key.id, owner: owner,
                factors: factors(core, owner: owner, for: .enrolTOTP(keyID: key.id), clock: clock, biometricKey: biometricKey))
            return (key, uri.withBytes { String(decoding: $0, as: UTF8.self) })
        }
        return Chain(root: root, folder: folder, clock: clock, biometricKey: biometricKey, key: key, otpauth: otpauth)
    }

    /// Runs `body` with a SignCore on a started ledger of `folder`, and always shuts it down.
    static func withCore<R>(
        folder: DataFolder, clock: ManualClock, biometricKey: Ed25519.PrivateKey, _ body: (SignCore) async throws -> R
    ) async throws -> R {
        let ledger = try Ledger.open(folder: folder, clock: clock)
        ledger.start()
        defer { ledger.shutdown() }
        var configuration = SignCore.Configuration(biometricServiceKey: biometricKey.publicKey, origin: "test.tamga.local/log")
        configuration.argon2 = .testOnly
        let core = try SignCore(
            journal: ledger, backend: Ledger.softwareHSM(folder), configuration: configuration,
            clock: clock)
        return try await body(core)
    }

    /// Factors for `operation` as an honest owner's app and the biometric service would make them.
    static func factors(
        _ core: SignCore, owner: String, for operation: SignCore.Operation, clock: ManualClock,
        biometricKey: Ed25519.PrivateKey, totp: String? = nil
    ) throws -> SignCore.Factors {
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

    /// Backs the chain up with share files in `<root>/shares`.
    func backup(threshold: Int = 3, shares: Int = 5, name: String = "hsm.tamgabak") async throws -> HSMBackup.Created {
        try await HSMBackup.create(
            folder: folder, archive: root + "/" + name, threshold: threshold, shares: shares,
            shareFolder: root + "/shares-" + name, clock: clock)
    }

    /// Reads the chain's entries (opens and releases the ledger).
    func entries() throws -> [[UInt8]] { try Self.entries(folder) }

    static func entries(_ folder: DataFolder) throws -> [[UInt8]] {
        let ledger = try Ledger.open(folder: folder)
        return try ledger.entries(from: 0, count: Int(ledger.head.treeSize))
    }
}

func read(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int) ?? -1
}

/// Every k-element subset of `0..<n`, in order.
func subsets(_ n: Int, _ k: Int) -> [[Int]] {
    guard k > 0 else { return [[]] }
    guard n >= k else { return [] }
    return subsets(n - 1, k - 1).map { $0 + [n - 1] } + subsets(n - 1, k)
}

/// Expects `body` to throw a `BackupError` with `code`; returns it.
@discardableResult
func expectBackupError<R>(
    _ code: BackupError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> R
) async -> BackupError? {
    do {
        _ = try await body()
        Issue.record("expected BackupError.\(code), but it succeeded", sourceLocation: sourceLocation)
    } catch let error as BackupError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected BackupError.\(code), got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The names in `folder`, hidden ones included (a failed restore must leave no staging folder).
func contents(_ folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
}
