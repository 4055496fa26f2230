import Codecs
import Crypto
import Foundation
import GOST28147
import HSMBoundary
import LedgerFormats
import Sodium
import Synchronization

extension SignCore {
    struct Authenticated {
        var record: KeyRecord
        let kek: SecureBytes
    }

    /// Records the owner's consent (R6) to the processing of personal data and to keeping the
    /// key in the cloud EDS: `termsHash` is the SHA-256 of the consent text the owner accepted.
    /// A key cannot be created before this. Consent is the owner's own act: it needs a challenge
    /// and that owner's biometric assertion for it; refused without them, and then nothing is
    /// journaled in the owner's name.
    public func recordConsent(
        owner: String, termsHash: [UInt8], challenge: [UInt8], biometric: BiometricAssertion
    ) async throws {
        try checkOwner(owner)
        guard termsHash.count == 32 else {
            throw SignCoreError(
                .invalidRequest, "the consent terms hash must be a 32-byte SHA-256, got \(termsHash.count) bytes")
        }
        if let (reason, error) = checkLiveness(challenge: challenge, biometric, owner: owner, now: clock.now()) {
            throw await counted(key: nil, purpose: "consent", reason: reason, error)
        }
        let consent = ConsentRecord(terms: hex(termsHash), time: clock.now())
        let value: [UInt8]
        do {
            value = Array(try JSONEncoder().encode(consent))
        } catch {
            throw SignCoreError(.internalError, "cannot encode the consent record: \(error)")
        }
        try await journal(.consent(terms: termsHash), owner: owner, records: [.put(RecordName.consent(owner), value)])
    }

    /// Creates a key inside the HSM (R4, R6): needs a biometric identification for the
    /// challenge, a recorded consent, and the new password sealed with the challenge
    /// (`factors.totp` is not used: TOTP is enrolled on an existing key).
    public func createKey(owner: String, factors: Factors) async throws -> KeyInfo {
        try checkOwner(owner)
        let now = clock.now()
        if let (reason, error) = checkLiveness(challenge: factors.challenge, factors.biometric, owner: owner, now: now) {
            throw await counted(key: nil, purpose: Purpose.create.rawValue, reason: reason, error)
        }
        func refuse(_ reason: String, _ error: SignCoreError) async -> SignCoreError {
            await refusal(
                .authFail(key: nil, purpose: Purpose.create.rawValue, reason: reason, failures: nil), owner: owner, error)
        }
        guard try readRecords({ try journal.record(RecordName.consent(owner)) }) != nil else {
            throw await refuse(
                "no-consent",
                SignCoreError(
                    .consentRequired, "the owner has not consented (R6); record the consent, then create the key"))
        }
        let password: SecretSlice
        switch openPassword(factors, for: .createKey, now: now) {
        case .refused(let reason, let error): throw await refuse(reason, error)
        case .opened(let opened): password = opened
        }
        if let weakness = weakness(of: password, owner: owner) {
            throw await refuse("weak-password", SignCoreError(.invalidRequest, "the new password \(weakness); choose another"))
        }

        let keyID = hex(Sodium.randomBytes(16))
        let salt = Sodium.randomBytes(Argon2id.saltLength)
        let parameters = configuration.argon2
        let secrets = try KeyWrapping.secrets(
            stretched: try await stretch(password, salt: salt, parameters: parameters), backend: backend, keyID: keyID)
        let (publicKey, wrappedSeed) = try inHSM("generate the key") {
            let key = try Ed25519.PrivateKey()
            return (
                key.publicKey,
                try KeyWrapping.wrap(seed: key.seed(), kek: secrets.kek, parameterSet: configuration.parameterSet)
            )
        }
        let fingerprint = hex(SHA256.hash(data: publicKey))
        let record = KeyRecord(
            id: keyID, owner: owner, alg: Self.algorithm, publicKey: Data(publicKey), fingerprint: fingerprint,
            state: .active,
            created: now,
            wrapping: .init(
                wrappedSeed: Data(wrappedSeed), parameterSetOID: configuration.parameterSet.oid, salt: Data(salt),
                argon2: parameters, verifier: secrets.verifier.withBytes { Data($0) }),
            failures: 0)
        try await journal(
            .keyCreate(key: keyID, algorithm: Self.algorithm, fingerprint: fingerprint), owner: owner,
            records: [try put(record), .put(RecordName.ownerKey(owner, keyID), [])])
        return record.info
    }

    /// Checks every factor the policy asks for and journals the outcome. The caller holds the
    /// key's lock. The challenge and the biometric assertion come first: until they pass,
    /// a refusal is only counted (`counted`), so nothing is journaled in an owner's name, no
    /// failure counts towards the lockout and no Argon2id runs without that owner's live
    /// biometric. Then the key, the password and TOTP, each refusal journaled as `auth.fail`.
    func authenticate(owner: String, factors: Factors, for operation: Operation) async throws -> Authenticated {
        let (keyID, purpose) = (operation.keyID, operation.purpose)
        let now = clock.now()
        let found = try loadKey(keyID)
        if let (reason, error) = checkLiveness(challenge: factors.challenge, factors.biometric, owner: owner, now: now) {
            throw await counted(key: found.map { _ in keyID }, purpose: purpose.rawValue, reason: reason, error)
        }
        func refuse(_ reason: String, _ error: SignCoreError) async -> SignCoreError {
            await refusal(
                .authFail(key: keyID, purpose: purpose.rawValue, reason: reason, failures: nil), owner: owner, error)
        }
        guard var record = found else { throw await refuse("unknown-key", Self.notFound(keyID)) }
        // Another owner's key is "not found": its existence is not confirmed to strangers.
        guard record.owner == owner else { throw await refuse("other-owner", Self.notFound(keyID)) }
        if case let (reason, error)? = unusable(record) { throw await refuse(reason, error) }
        if record.failures >= configuration.maxFailures {
            // The key.lock after the last auth.fail was not written (a crash between the two): write it now.
            record.state = .locked
            try await journal(.keyLock(key: keyID, failures: record.failures), owner: owner, records: [try put(record)])
            throw Self.lockedError(keyID)
        }
        let password: SecretSlice
        switch openPassword(factors, for: operation, now: now) {
        case .refused(let reason, let error): throw await refuse(reason, error)
        case .opened(let opened): password = opened
        }
        // Enrolling the first TOTP is the one use that cannot already need it.
        let needsTOTP =
            (configuration.requireTOTP || record.totp != nil) && !(purpose == .totpEnrol && record.totp == nil)
        if needsTOTP {
            guard record.totp != nil else {
                throw await refuse(
                    "totp-not-enrolled",
                    SignCoreError(
                        .forbidden, "the policy asks for TOTP and none is enrolled for key \(keyID); enrol TOTP first"))
            }
            guard factors.totp != nil else {
                throw await refuse(
                    "totp-missing", SignCoreError(.invalidOTP, "the policy asks for a TOTP code; send the current one"))
            }
        }
        guard let wrapping = record.wrapping else { throw Self.damaged(keyID) }

        let secrets = try KeyWrapping.secrets(
            stretched: try await stretch(password, salt: Array(wrapping.salt), parameters: wrapping.argon2),
            backend: backend, keyID: keyID)
        guard Sodium.constantTimeEqual(secrets.verifier, Array(wrapping.verifier)) else {
            throw await countFailure(
                record, reason: "password", purpose: purpose, SignCoreError(.invalidPassword, "the password is wrong"))
        }
        var factorNames = "password+biometric"
        if needsTOTP, let totp = record.totp, let code = factors.totp {
            let secret = try openTOTPSecret(totp, keyID: keyID)
            let step = try TOTP.matchingStep(
                code, secret: secret, algorithm: totp.algorithm, digits: totp.digits, now: now, after: totp.lastStep)
            guard let step else {
                // A right code already used (a replay, a double submit) proves the secret is
                // known: refused, but it does not count towards the lock.
                if try TOTP.matchingStep(
                    code, secret: secret, algorithm: totp.algorithm, digits: totp.digits, now: now, after: Int64.min) != nil
                {
                    throw await refuse(
                        "totp-reused",
                        SignCoreError(.invalidOTP, "the TOTP code was used already; wait for the next code"))
                }
                throw await countFailure(
                    record, reason: "totp", purpose: purpose,
                    SignCoreError(
                        .invalidOTP, "the TOTP code is wrong, too old, or was used already; wait for the next code"))
            }
            record.totp?.lastStep = step
            factorNames += "+totp"
        }
        record.failures = 0
        var kek = secrets.kek
        let target = Argon2id.Parameters(
            iterations: max(wrapping.argon2.iterations, configuration.argon2.iterations),
            memoryBytes: max(wrapping.argon2.memoryBytes, configuration.argon2.memoryBytes))
        if target != wrapping.argon2, purpose != .destroy {
            (record.wrapping, kek) = try await rewrap(record, kek: kek, password: password, parameters: target)
        }
        try await journal(
            .authOK(key: keyID, purpose: purpose.rawValue, factors: factorNames), owner: owner, records: [try put(record)])
        return Authenticated(record: record, kek: kek)
    }

    /// Why a new password is refused, or nil: shorter than the minimum, one of the most common
    /// passwords (`CommonPasswords`), or holding the owner's identifier. Read in place, in
    /// locked memory.
    func weakness(of password: SecretSlice, owner: String) -> String? {
        guard password.range.count >= configuration.minimumPasswordLength else {
            return "is shorter than \(configuration.minimumPasswordLength) bytes"
        }
        if CommonPasswords.contains(password) { return "is one of the most common passwords" }
        let identifier = Array(owner.utf8)
        let holdsOwner = password.withBytes { bytes in
            identifier.count >= 4 && bytes.count >= identifier.count
                && (0...(bytes.count - identifier.count)).contains { start in
                    identifier.indices.allSatisfy { bytes[start + $0] == identifier[$0] }
                }
        }
        return holdsOwner ? "contains the owner's identifier" : nil
    }

    /// Re-wraps a key at a higher Argon2id cost (new salt) while its password is at hand: how
    /// recorded parameters are raised without asking owners for anything.
    private func rewrap(
        _ record: KeyRecord, kek: SecureBytes, password: SecretSlice, parameters: Argon2id.Parameters
    ) async throws -> (KeyRecord.Wrapping, SecureBytes) {
        guard let old = record.wrapping else { throw Self.damaged(record.id) }
        let salt = Sodium.randomBytes(Argon2id.saltLength)
        let secrets = try KeyWrapping.secrets(
            stretched: try await stretch(password, salt: salt, parameters: parameters), backend: backend,
            keyID: record.id)
        let wrapped = try inHSM("re-wrap the key") {
            let seed = try KeyWrapping.unwrap(old, kek: kek, publicKey: record.publicKey).seed()
            return try KeyWrapping.wrap(
                seed: seed, kek: secrets.kek, parameterSet: GOST28147ParameterSet(oid: old.parameterSetOID))
        }
        let wrapping = KeyRecord.Wrapping(
            wrappedSeed: Data(wrapped), parameterSetOID: old.parameterSetOID, salt: Data(salt), argon2: parameters,
            verifier: secrets.verifier.withBytes { Data($0) })
        return (wrapping, secrets.kek)
    }

    /// A failed password or TOTP check: counted in the key's record in the same batch as the
    /// `auth.fail`; the one that reaches `maxFailures` also locks the key (`key.lock`).
    private func countFailure(_ record: KeyRecord, reason: String, purpose: Purpose, _ error: SignCoreError) async
        -> SignCoreError
    {
        var record = record
        record.failures += 1
        do {
            try await journal(
                .authFail(key: record.id, purpose: purpose.rawValue, reason: reason, failures: record.failures),
                owner: record.owner, records: [try put(record)])
            let left = configuration.maxFailures - record.failures
            guard left <= 0 else {
                return SignCoreError(
                    error.code, "\(error.message) (\(left) more failure\(left == 1 ? "" : "s") lock the key)")
            }
            record.state = .locked
            try await journal(
                .keyLock(key: record.id, failures: record.failures), owner: record.owner, records: [try put(record)])
            return Self.lockedError(record.id)
        } catch let failure as SignCoreError {
            return failure
        } catch {
            return SignCoreError(.unavailable, "the journal is unavailable")
        }
    }

    /// The refusal for a key that may not be used at all, by state.
    func unusable(_ record: KeyRecord) -> (String, SignCoreError)? {
        switch record.state {
        case .active: nil
        case .destroyed: ("key-destroyed", SignCoreError(.notFound, "key \(record.id) was destroyed; create a new key"))
        case .compromised:
            (
                "key-compromised",
                SignCoreError(.forbidden, "key \(record.id) is marked compromised and blocked; create a new key")
            )
        case .locked: ("key-locked", Self.lockedError(record.id))
        }
    }

    /// Takes the challenge out (single use, whatever happens next) and checks the biometric
    /// assertion for it: the reason and error of a refusal, nil when the owner is live.
    func checkLiveness(challenge: [UInt8], _ biometric: BiometricAssertion, owner: String, now: Int64)
        -> (String, SignCoreError)?
    {
        guard volatile.withLock({ $0.consumeChallenge(challenge, owner: owner, now: now) }) else {
            return ("challenge", Self.challengeError)
        }
        let refusal = biometric.refusal(
            serviceKey: configuration.biometricServiceKey, owner: owner, challenge: challenge,
            minimumScore: configuration.minimumBiometricScore, now: now)
        return refusal.map { ($0, Self.biometricError) }
    }

    enum OpenedPassword {
        case opened(SecretSlice)
        case refused(String, SignCoreError)
    }

    /// Opens `password || challenge || operation digest` and checks that the challenge and the
    /// operation inside are this request's: a sealed password cannot be replayed with a later
    /// challenge or spent on another operation.
    func openPassword(_ factors: Factors, for operation: Operation, now: Int64) -> OpenedPassword {
        guard let message = transport.open(factors.sealedPassword, now: now) else {
            return .refused(
                "password-box",
                SignCoreError(
                    .invalidRequest,
                    "the sealed password does not open with a current transport key: fetch it again (keys are "
                        + "replaced regularly and at every node start) and seal password || challenge || operation "
                        + "digest to it"))
        }
        let length = message.count - Self.challengeLength - 32
        guard length > 0, length <= Self.maxPasswordLength else {
            return .refused(
                "password-box",
                SignCoreError(
                    .invalidRequest,
                    "the sealed message must be a 1-\(Self.maxPasswordLength) byte password followed by the "
                        + "32-byte challenge and the 32-byte operation digest"))
        }
        let digestStart = length + Self.challengeLength
        guard Sodium.constantTimeEqual(SecretSlice(secret: message, range: length..<digestStart), factors.challenge) else {
            return .refused("challenge", Self.challengeError)
        }
        guard Sodium.constantTimeEqual(SecretSlice(secret: message, range: digestStart..<message.count), operation.digest)
        else {
            return .refused(
                "operation",
                SignCoreError(
                    .invalidRequest,
                    "the password was sealed for another operation: seal it with the digest of this \(operation.purpose.rawValue)"
                        + (operation.keyID.isEmpty ? "" : " of key \(operation.keyID)")
                        + (operation.hashes.isEmpty ? "" : " and these hashes")))
        }
        return .opened(SecretSlice(secret: message, range: 0..<length))
    }

    func stretch(_ password: SecretSlice, salt: [UInt8], parameters: Argon2id.Parameters) async throws -> SecureBytes {
        do {
            return try await derivations.run {
                try Argon2id.derive(password: password, salt: salt, parameters: parameters)
            }
        } catch {
            throw SignCoreError(.unavailable, "Argon2id could not run: \(error); retry later")
        }
    }

    func openTOTPSecret(_ totp: KeyRecord.TOTPState, keyID: String) throws -> SecureBytes {
        do {
            return try backend.open(Array(totp.sealedSecret), context: Self.totpContext(keyID))
        } catch {
            throw SignCoreError(
                .internalError,
                "the TOTP secret of key \(keyID) does not open under this master key; the record is damaged")
        }
    }

    static func totpContext(_ keyID: String) -> [UInt8] { Array("tamga signcore v1 totp\0\(keyID)".utf8) }

    /// Runs a step that can only fail if the HSM itself is broken, with a message that says so.
    func inHSM<R>(_ what: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as SignCoreError {
            throw error
        } catch {
            throw SignCoreError(.internalError, "could not \(what): \(error)")
        }
    }

    static let challengeError = SignCoreError(
        .invalidChallenge, "the challenge is unknown, expired, used already or not this owner's; request a new one")
    static let biometricError = SignCoreError(
        .invalidBiometric, "the biometric assertion is not valid for this owner, challenge and time; identify again")

    static func notFound(_ keyID: String) -> SignCoreError {
        SignCoreError(.notFound, "the owner has no key \(keyID)")
    }

    static func lockedError(_ keyID: String) -> SignCoreError {
        SignCoreError(
            .locked,
            "key \(keyID) is locked after repeated failed checks; passwords cannot be recovered (R11): create a new key"
        )
    }

    static func damaged(_ keyID: String) -> SignCoreError {
        SignCoreError(
            .internalError, "the record of key \(keyID) has no wrapped key although it is active; the record is damaged"
        )
    }
}
