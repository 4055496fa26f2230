import Codecs
import Crypto
import Foundation
public import GOST28147
public import HSMBoundary
public import LedgerFormats
public import Sodium
import Synchronization

/// The embedded HSM of the cloud EDS (R4-R14, R20): owners' Ed25519 keys are generated here,
/// kept wrapped at rest, and used only after multi-factor authorization.
///
/// **Boundary.** Everything that needs the node's master secret runs in an `HSMBackend`: the
/// software one (`SoftwareHSM`, the master key from `master.key` in locked memory) by default,
/// a PKCS#11 token in production (R4 asks for a certified hardware module). SignCore itself
/// never holds the master secret. See `docs/hsm.md`.
///
/// **Journal.** Every operation is journaled through an `HSMJournal`: SignCore appends its
/// events with the record writes they explain, and reads its records; it sees nothing else
/// of the ledger.
///
/// **Keys.** A private key exists in the clear only in locked memory: from a successful
/// authorization until its SAD is spent, expires (5 minutes at most) or is revoked, and is zeroed
/// then. At rest its seed is wrapped (RFC 4357 CryptoPro, GOST 28147-89) under a KEK derived
/// from the owner's password and the master key (`KeyWrapping`).
/// No API, log line, error or file returns it.
///
/// **Factors.** The password reaches the HSM sealed to the transport key (`transportKey()`, a
/// statement signed by the log key) together with a single-use challenge and the digest of the
/// operation it is for (R10); the biometric factor is an assertion signed by the CA's
/// biometric service (`BiometricAssertion`); TOTP is a third factor where the policy asks.
/// Default policy: password and biometric for every use and for destroy.
///
/// **State.** Durable state (keys, failure counters, locks, TOTP, consent) is in journal
/// records, each written in the same batch as the event that explains it. Challenges and SADs
/// are in memory: a restart voids them, which is safe (clients ask again).
///
/// **Memory.** One authorization runs one Argon2id of `configuration.argon2.memoryBytes`
/// (19 MiB by default); at most `maxConcurrentDerivations` run at once (default 2, so ~38 MiB),
/// the rest wait in order.
public final class SignCore: Sendable {
    public struct Configuration: Sendable {
        /// The Ed25519 public key of the CA's biometric verification service.
        public var biometricServiceKey: [UInt8]
        /// The log's origin: the transport key statements are signed by its log key.
        public var origin: String
        /// How long, in seconds, one transport key may be used (at least 10 minutes, at most 7
        /// days); a new one is made after half of it.
        public var transportKeyLifetime: Int64 = 86_400
        /// Argon2id cost for new wraps. Keys made with less are re-wrapped at this cost on their
        /// next successful authorization. Never below OWASP's minimum outside tests.
        public var argon2: Argon2id.Parameters = .owaspMinimum
        /// The S-box new keys are wrapped with; each key records its own.
        public var parameterSet: GOST28147ParameterSet = .cryptoProA
        /// Whether every key needs TOTP as a third factor (keys with TOTP enrolled always do).
        public var requireTOTP = false
        /// The lowest biometric `score` (per mille) accepted with a `match`.
        public var minimumBiometricScore: Int64 = 700
        /// Failed password or TOTP checks in a row that lock a key.
        public var maxFailures = 5
        public var maxConcurrentDerivations = 2
        /// Challenge lifetime in ms (at most 120 s).
        public var challengeLifetime: Int64 = 120_000
        /// SAD lifetime in ms (at most 5 minutes).
        public var activationLifetime: Int64 = 300_000
        /// Most document hashes one SAD may cover.
        public var maxHashesPerActivation = 1000
        public var minimumPasswordLength = 8
        /// The issuer shown in authenticator apps.
        public var totpIssuer = "Tamga"
        /// Who the node's own entries are journaled as: the counts of refused requests.
        public var operatorID = "operator"

        public init(biometricServiceKey: [UInt8], origin: String) {
            self.biometricServiceKey = biometricServiceKey
            self.origin = origin
        }
    }

    /// A single-use server nonce for one authorization or key creation.
    public struct Challenge: Sendable, Hashable {
        public let bytes: [UInt8]
        /// Milliseconds since the epoch.
        public let expiresAt: Int64
    }

    /// What the owner presents to authorize: the password sealed with the challenge (see
    /// `SignCoreClient.sealPassword`), the biometric assertion for that challenge, and a TOTP
    /// code where the policy asks.
    public struct Factors: Sendable {
        public var challenge: [UInt8]
        public var sealedPassword: [UInt8]
        public var biometric: BiometricAssertion
        public var totp: String?

        public init(challenge: [UInt8], sealedPassword: [UInt8], biometric: BiometricAssertion, totp: String? = nil) {
            self.challenge = challenge
            self.sealedPassword = sealedPassword
            self.biometric = biometric
            self.totp = totp
        }
    }

    /// Signature activation data (CSC `credentials/authorize`): an opaque bearer token for one
    /// key, one owner and the listed hashes, each usable once, until `expiresAt`.
    public struct Activation: Sendable, CustomStringConvertible {
        public let sad: String
        public let keyID: String
        public let expiresAt: Int64

        /// A SAD is a bearer token: a log line says only which key and until when.
        public var description: String { "Activation(key \(keyID), expires \(expiresAt), SAD redacted)" }
    }

    public static let algorithm = "Ed25519"
    static let challengeLength = 32
    static let maxPendingChallenges = 100_000
    static let maxActivations = 100_000
    static let maxPasswordLength = 1024

    let journal: any HSMJournal
    let backend: any HSMBackend
    let configuration: Configuration
    let clock: any LedgerClock
    let transport: TransportKeys
    let volatile = Mutex(Volatile())
    let keyLocks = KeyLocks()
    let refusals = RefusalCounts()
    let derivations: DerivationLimiter

    /// - Parameters:
    ///   - journal: where every operation is journaled (the started ledger).
    ///   - backend: the HSM backend holding the master secret (`SoftwareHSM` by default).
    ///   - clock: the clock for challenges, SADs, assertions and TOTP (the ledger's, in tests).
    public init(
        journal: any HSMJournal, backend: any HSMBackend, configuration: Configuration,
        clock: any LedgerClock = SystemClock()
    ) throws {
        guard configuration.biometricServiceKey.count == Ed25519.publicKeyLength else {
            throw SignCoreError(.invalidRequest, "the biometric service key must be a 32-byte Ed25519 public key")
        }
        guard configuration.challengeLifetime > 0, configuration.challengeLifetime <= 120_000,
            configuration.activationLifetime > 0, configuration.activationLifetime <= 300_000
        else {
            throw SignCoreError(.invalidRequest, "challenges live at most 120 s and SADs at most 5 minutes")
        }
        guard configuration.maxFailures > 0, configuration.maxHashesPerActivation > 0 else {
            throw SignCoreError(.invalidRequest, "maxFailures and maxHashesPerActivation must be positive")
        }
        guard (600...604_800).contains(configuration.transportKeyLifetime) else {
            throw SignCoreError(.invalidRequest, "a transport key lives 10 minutes to 7 days (600-604800 s)")
        }
        let logSigner: any NoteSigner
        do {
            logSigner = try backend.logSigner(origin: configuration.origin)
        } catch {
            throw SignCoreError(
                .internalError, "the HSM holds no log key for \(configuration.origin) to sign the transport key: \(error)")
        }
        self.journal = journal
        self.backend = backend
        self.configuration = configuration
        self.clock = clock
        self.transport = TransportKeys(signer: logSigner, lifetime: configuration.transportKeyLifetime)
        self.derivations = DerivationLimiter(limit: configuration.maxConcurrentDerivations)
    }

    /// A fresh challenge for `owner`, valid once, for `challengeLifetime`.
    public func challenge(owner: String) throws -> Challenge {
        try checkOwner(owner)
        let now = clock.now()
        let bytes = Sodium.randomBytes(Self.challengeLength)
        let expiresAt = now + configuration.challengeLifetime
        let accepted = volatile.withLock { state in
            state.sweep(now: now)
            guard state.challenges.count < Self.maxPendingChallenges else { return false }
            state.challenges[bytes] = PendingChallenge(owner: owner, expiresAt: expiresAt)
            return true
        }
        guard accepted else {
            throw SignCoreError(.unavailable, "too many challenges are pending; retry in a minute")
        }
        return Challenge(bytes: bytes, expiresAt: expiresAt)
    }

    /// Public facts about a key.
    public func key(_ keyID: String) throws -> KeyInfo {
        guard isKeyID(keyID), let record = try loadKey(keyID) else {
            throw SignCoreError(.notFound, "there is no key \(isKeyID(keyID) ? keyID : "with that identifier")")
        }
        return record.info
    }

    /// Every key of an owner, destroyed ones included (the personal cabinet, R12).
    public func keys(owner: String) throws -> [KeyInfo] {
        try checkOwner(owner)
        let names = try readRecords { try journal.records(prefix: RecordName.ownerKeys(owner)) }
        return try names.compactMap { entry in
            let id = String(entry.name.dropFirst(RecordName.ownerKeys(owner).count))
            return try loadKey(id)?.info
        }
    }

    /// How many SADs still hold their unwrapped key: lets a test check that expiry zeroes them.
    package var activationsHoldingKeys: Int { volatile.withLock { $0.activations.values.filter { $0.key != nil }.count } }

    /// The most Argon2id runs seen at once since start: lets a test check the cap.
    package var peakConcurrentDerivations: Int { derivations.peak }

    // MARK: shared internals

    func checkOwner(_ owner: String) throws {
        do {
            _ = try EventRecord(event: .authOK, owner: owner)
        } catch {
            throw SignCoreError(.invalidRequest, "the owner identifier is not valid: \(error.message)")
        }
    }

    func loadKey(_ id: String) throws -> KeyRecord? {
        guard let bytes = try readRecords({ try journal.record(RecordName.key(id)) }) else { return nil }
        return try KeyRecord.decode(bytes, id: id)
    }

    func readRecords<R>(_ read: () throws -> R) throws -> R {
        do {
            return try read()
        } catch {
            throw SignCoreError(.unavailable, "the HSM's records cannot be read: \(error)")
        }
    }

    /// Appends events with the record changes they explain, in one atomic batch: consecutive
    /// entries in the order given.
    @discardableResult
    func journal(_ events: [JournalEvent], owner: String, records: [RecordWrite] = []) async throws -> [Appended] {
        let entries: [EventRecord]
        do {
            entries = try events.map { event throws(LedgerFormatsError) in try EventRecord(event, owner: owner) }
        } catch {
            throw SignCoreError(.invalidRequest, "the \(events.first?.name.rawValue ?? "") event is not valid: \(error.message)")
        }
        do {
            return try await journal.append(entries, records: records)
        } catch {
            throw SignCoreError(
                .unavailable,
                "the journal did not take the \(events.first?.name.rawValue ?? "") event (\(error)); nothing was changed, retry later")
        }
    }

    @discardableResult
    func journal(_ event: JournalEvent, owner: String, records: [RecordWrite] = []) async throws -> Appended {
        try await journal([event], owner: owner, records: records)[0]
    }

    /// Journals a refusal in the owner's name and returns the error to throw: only after the
    /// owner's live biometric verified (before, `counted`). If the journal itself fails, the
    /// request is refused all the same, with `unavailable`.
    func refusal(_ event: JournalEvent, owner: String, _ error: SignCoreError) async -> SignCoreError {
        do {
            try await journal(event, owner: owner)
            return error
        } catch let failure as SignCoreError {
            return failure
        } catch {
            return SignCoreError(.unavailable, "the journal is unavailable")
        }
    }

    func put(_ record: KeyRecord) throws -> RecordWrite {
        .put(RecordName.key(record.id), try record.encoded())
    }

    /// Drops every SAD of a key (destroy, compromise): its unwrapped key leaves memory at once.
    func revokeActivations(keyID: String) {
        volatile.withLock { state in
            for (token, activation) in state.activations where activation.keyID == keyID {
                state.activations[token]?.key = nil
                state.activations[token]?.revoked = true
            }
        }
    }
}

struct PendingChallenge {
    let owner: String
    let expiresAt: Int64
}

/// A SAD's server side, found by the SHA-256 of the token. It holds the key unwrapped once at
/// authorization, in locked memory, until the SAD expires, is used up or revoked; then it is
/// zeroed. (Holding the KEK instead would be no safer: with the stored wrap it is the key. But
/// unwrapping per call cost ~300 µs of page mapping and a scalar multiplication, most of a
/// one-hash `sign`.) Spent SADs are remembered a while longer so a replay is reported as one.
struct ActiveSAD {
    let keyID: String
    let owner: String
    let expiresAt: Int64
    var key: Ed25519.PrivateKey?
    var unused: Set<[UInt8]>
    var used: Set<[UInt8]> = []
    var revoked = false
}

struct Volatile {
    var challenges: [[UInt8]: PendingChallenge] = [:]
    var activations: [[UInt8]: ActiveSAD] = [:]
    var nextSweep: Int64 = 0

    /// How long a spent or expired SAD is remembered, to name a replay as such.
    static let memory: Int64 = 600_000

    mutating func sweep(now: Int64) {
        guard now >= nextSweep else { return }
        nextSweep = now + 5_000
        challenges = challenges.filter { $0.value.expiresAt > now }
        activations = activations.filter { $0.value.expiresAt + Self.memory > now }
        for (token, activation) in activations where activation.expiresAt <= now && activation.key != nil {
            activations[token]?.key = nil
        }
    }

    /// Takes a challenge out (single use, whatever happens next); true if it was valid for `owner`.
    mutating func consumeChallenge(_ bytes: [UInt8], owner: String, now: Int64) -> Bool {
        sweep(now: now)
        guard let pending = challenges.removeValue(forKey: bytes) else { return false }
        return pending.owner == owner && pending.expiresAt > now
    }
}
