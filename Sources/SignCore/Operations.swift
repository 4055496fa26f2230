import Codecs
import Crypto
import Foundation
import HSMBoundary
public import LedgerFormats
public import Sodium
import SwiftASN1
import Synchronization
import X509

extension SignCore {
    /// CSC `credentials/authorize`: checks the factors and returns a SAD for exactly these
    /// document hashes (SHA-256, 32 bytes each), each usable once, for `activationLifetime`.
    /// The token is kept server-side only as its SHA-256.
    public func authorize(keyID: String, owner: String, hashes: [[UInt8]], factors: Factors) async throws -> Activation
    {
        try checkOwner(owner)
        try checkKeyID(keyID)
        try checkHashes(hashes)
        return try await keyLocks.withLock(keyID) {
            let authenticated = try await authenticate(
                owner: owner, factors: factors, for: .authorize(keyID: keyID, hashes: hashes))
            guard let wrapping = authenticated.record.wrapping else { throw Self.damaged(keyID) }
            let key = try inHSM("unwrap the key") {
                try KeyWrapping.unwrap(wrapping, kek: authenticated.kek, publicKey: authenticated.record.publicKey)
            }
            let token = Sodium.randomBytes(32)
            let expiresAt = clock.now() + configuration.activationLifetime
            let activation = ActiveSAD(
                keyID: keyID, owner: owner, expiresAt: expiresAt, key: key, unused: Set(hashes))
            let handle = Array(SHA256.hash(data: token))
            let stored = volatile.withLock { state in
                state.sweep(now: clock.now())
                guard state.activations.count < Self.maxActivations else { return false }
                state.activations[handle] = activation
                return true
            }
            guard stored else {
                throw SignCoreError(.unavailable, "too many signature activations are open; retry in a minute")
            }
            // The unwrapped key is zeroed when the SAD expires, not at the next sweep (which
            // only a later request runs).
            Task { [weak self] in
                try? await Task.sleep(for: .milliseconds(self?.configuration.activationLifetime ?? 0))
                self?.volatile.withLock { $0.activations[handle]?.key = nil }
            }
            return Activation(sad: base64URL(token), keyID: keyID, expiresAt: expiresAt)
        }
    }

    /// Signs document hashes with a SAD (R9, R20). The signed message is the 32-byte SHA-256
    /// of the document. Every signature is journaled (`key.use` with `doc` and `alg`) before
    /// any is returned, all of one call in one atomic append, as consecutive entries in the
    /// order of `hashes`. No biometric comes with a signing request, so a refusal is only
    /// counted (`request.refused` per key, reason and minute), never journaled in the owner's name.
    public func sign(keyID: String, owner: String, sad: String?, hashes: [[UInt8]]) async throws -> [[UInt8]] {
        try checkOwner(owner)
        try checkKeyID(keyID)
        try checkHashes(hashes)
        return try await keyLocks.withLock(keyID) {
            try await signLocked(keyID: keyID, owner: owner, sad: sad, hashes: hashes)
        }
    }

    /// Signs documents passed whole (R9): each is hashed inside the HSM, then signed as
    /// `sign(keyID:owner:sad:hashes:)` does, so the SAD must list their SHA-256 hashes.
    public func sign(keyID: String, owner: String, sad: String?, documents: [[UInt8]]) async throws -> [[UInt8]] {
        try await sign(keyID: keyID, owner: owner, sad: sad, hashes: documents.map { Array(SHA256.hash(data: $0)) })
    }

    private enum Grant {
        case granted(Ed25519.PrivateKey)
        case refused(String)
    }

    private func signLocked(keyID: String, owner: String, sad: String?, hashes: [[UInt8]]) async throws -> [[UInt8]] {
        let record = try loadKey(keyID)
        func refuse(_ reason: String, _ error: SignCoreError) async -> SignCoreError {
            await counted(key: record.map { _ in keyID }, purpose: "sign", reason: reason, error)
        }
        guard let record, record.owner == owner else {
            throw await refuse(record == nil ? "unknown-key" : "other-owner", Self.notFound(keyID))
        }
        if case let (reason, error)? = unusable(record) { throw await refuse(reason, error) }
        guard let sad else {
            throw await refuse("no-sad", SignCoreError(.invalidSAD, "signing needs a SAD: authorize first (R20)"))
        }
        let now = clock.now()
        let handle = Self.base64URLDecode(sad).map { Array(SHA256.hash(data: $0)) }
        // Check and consume in one critical section: two requests cannot spend one hash. The
        // SAD is taken out of the table while it changes, so its sets are not copied.
        let grant = volatile.withLock { state -> Grant in
            state.sweep(now: now)
            guard let handle, var activation = state.activations.removeValue(forKey: handle) else {
                return .refused("sad-unknown")
            }
            defer { state.activations[handle] = activation }
            guard !activation.revoked else { return .refused("sad-revoked") }
            guard activation.expiresAt > now else { return .refused("sad-expired") }
            guard activation.keyID == keyID else { return .refused("sad-other-key") }
            guard activation.owner == owner else { return .refused("sad-other-owner") }
            guard !hashes.contains(where: activation.used.contains) else { return .refused("sad-replayed") }
            guard hashes.allSatisfy(activation.unused.contains) else { return .refused("hash-not-authorized") }
            guard let key = activation.key else { return .refused("sad-expired") }
            for hash in hashes {
                activation.unused.remove(hash)
                activation.used.insert(hash)
            }
            if activation.unused.isEmpty { activation.key = nil }
            return .granted(key)
        }
        let key: Ed25519.PrivateKey
        switch grant {
        case .refused(let reason):
            throw await refuse(
                reason,
                SignCoreError(
                    .invalidSAD,
                    "the SAD is not valid for this request (\(reason)): it is unknown, expired, used, revoked, "
                        + "or for another key, owner or hash; authorize again"))
        case .granted(let granted): key = granted
        }
        let signatures = hashes.map { key.signature(for: $0) }
        try await journal(
            hashes.map { .keyUse(key: keyID, document: $0, algorithm: Self.algorithm) }, owner: owner)
        return signatures
    }

    /// Destroys a key (R14) after the same factors as a use: the wrapped seed, verifier and TOTP
    /// secret are erased from its record (the public part stays for the cabinet and retention),
    /// its SADs are revoked, every later use fails, and the record's earlier values are erased
    /// from the store's files (`eraseHistory`).
    public func destroyKey(keyID: String, owner: String, factors: Factors) async throws {
        try checkOwner(owner)
        try checkKeyID(keyID)
        try await keyLocks.withLock(keyID) {
            let record = try await authenticate(owner: owner, factors: factors, for: .destroy(keyID: keyID)).record
            try await destroy(record, .keyDestroy(key: keyID))
        }
    }

    /// The operator erases a key its owner cannot destroy any more (locked, compromised) or
    /// that the CA must remove: as `destroyKey` does, journaled as `key.destroy` with the
    /// operator and the `reason`, which is kept in the journal (not public).
    public func eraseKey(keyID: String, operator operatorID: String, reason: String) async throws -> KeyInfo {
        try checkKeyID(keyID)
        try checkOwner(operatorID)
        guard !reason.isEmpty, reason.utf8.count <= CompromiseNotice.maxMeasuresBytes else {
            throw SignCoreError(.invalidRequest, "give the reason in 1 to \(CompromiseNotice.maxMeasuresBytes) bytes")
        }
        return try await keyLocks.withLock(keyID) {
            guard let record = try loadKey(keyID) else { throw SignCoreError(.notFound, "there is no key \(keyID)") }
            guard record.state != .destroyed else {
                throw SignCoreError(.invalidRequest, "key \(keyID) is destroyed already")
            }
            return try await destroy(record, .keyDestroy(key: keyID, operatorID: operatorID, reason: reason))
        }
    }

    /// Empties a key's secrets from its record, journals `event` with it, and erases the
    /// record's earlier values (which hold the wrapped seed) from the store's files.
    @discardableResult
    private func destroy(_ record: KeyRecord, _ event: JournalEvent) async throws -> KeyInfo {
        var record = record
        revokeActivations(keyID: record.id)
        record.state = .destroyed
        record.wrapping = nil
        record.totp = nil
        try await journal(event, owner: record.owner, records: [try put(record)])
        do {
            try await journal.eraseHistory(ofRecord: RecordName.key(record.id))
        } catch {
            throw SignCoreError(
                .unavailable,
                "key \(record.id) is destroyed, but its earlier values could not be erased from the store yet: \(error)")
        }
        return record.info
    }

    /// Enrols (or replaces) the key's TOTP secret after the key's factors (and the old TOTP, if
    /// any). Returns the `otpauth://` URI, in locked memory, once: it is the only copy of the
    /// secret that ever leaves the HSM, for the owner's authenticator app. From then on every
    /// use of the key needs a TOTP code.
    public func enrolTOTP(
        keyID: String, owner: String, factors: Factors, algorithm: TOTP.Algorithm = .sha1, digits: Int = 6
    ) async throws -> SecureBytes {
        try checkOwner(owner)
        try checkKeyID(keyID)
        guard TOTP.digitRange.contains(digits) else {
            throw SignCoreError(.invalidRequest, "a TOTP code has 6 to 8 digits, not \(digits)")
        }
        return try await keyLocks.withLock(keyID) {
            var record = try await authenticate(owner: owner, factors: factors, for: .enrolTOTP(keyID: keyID))
                .record
            let (secret, sealed) = try inHSM("make the TOTP secret") {
                let secret = try SecureBytes(randomCount: algorithm.secretLength)
                return (secret, try backend.seal(secret, context: Self.totpContext(keyID)))
            }
            record.totp = .init(sealedSecret: Data(sealed), algorithm: algorithm, digits: digits, lastStep: 0)
            try await journal(
                .totpEnrol(key: keyID, algorithm: algorithm.rawValue, digits: digits), owner: owner,
                records: [try put(record)])
            return try inHSM("write the otpauth URI") {
                try TOTP.provisioningURI(
                    secret: secret, issuer: configuration.totpIssuer, label: keyID, algorithm: algorithm, digits: digits
                )
            }
        }
    }

    /// The operator marks a key compromised (R13): its SADs are revoked at once, the key is
    /// blocked for good, and a public notice is stored in the same batch as `key.compromise`.
    /// `measures` is published as written: it must not name the owner.
    public func markCompromised(keyID: String, operator operatorID: String, measures: String) async throws
        -> CompromiseNotice
    {
        try checkKeyID(keyID)
        try checkOwner(operatorID)
        guard !measures.isEmpty, measures.utf8.count <= CompromiseNotice.maxMeasuresBytes else {
            throw SignCoreError(
                .invalidRequest, "describe the measures taken in 1 to \(CompromiseNotice.maxMeasuresBytes) bytes")
        }
        revokeActivations(keyID: keyID)
        return try await keyLocks.withLock(keyID) {
            guard var record = try loadKey(keyID) else { throw SignCoreError(.notFound, "there is no key \(keyID)") }
            guard record.state != .compromised else {
                throw SignCoreError(
                    .invalidRequest, "key \(keyID) is already marked compromised; its notice is published")
            }
            record.state = .compromised
            let notice = try inHSM("write the notice") {
                try CompromiseNotice(
                    keyFingerprint: record.fingerprint, measures: measures,
                    time: Timestamp(millisecondsSinceEpoch: clock.now()))
            }
            try await journal(
                .keyCompromise(key: keyID, fingerprint: record.fingerprint, operatorID: operatorID, measures: measures),
                owner: record.owner, records: [try put(record), .put(notice.recordName, notice.canonicalBytes)])
            revokeActivations(keyID: keyID)
            return notice
        }
    }

    /// The CA attaches the certificate it issued for a key (PEM or DER). It must certify this
    /// key's public key; its notAfter is kept with the key, because retention runs to a year
    /// after it (R12, R14). A later certificate replaces the earlier one.
    public func attachCertificate(keyID: String, certificate: [UInt8], operator operatorID: String) async throws
        -> KeyInfo
    {
        try checkKeyID(keyID)
        try checkOwner(operatorID)
        let der: [UInt8]
        let parsed: Certificate
        do {
            der =
                certificate.starts(with: Array("-----BEGIN".utf8))
                ? try PEMDocument(pemString: String(decoding: certificate, as: UTF8.self)).derBytes : certificate
            parsed = try Certificate(derEncoded: der)
        } catch {
            throw SignCoreError(.invalidRequest, "the certificate is not a PEM or DER X.509 certificate: \(error)")
        }
        return try await keyLocks.withLock(keyID) {
            guard var record = try loadKey(keyID) else { throw SignCoreError(.notFound, "there is no key \(keyID)") }
            guard record.state == .active || record.state == .locked else {
                throw SignCoreError(
                    .forbidden, "key \(keyID) is \(record.state.rawValue); no certificate can be attached to it")
            }
            guard let publicKey = Curve25519.Signing.PublicKey(parsed.publicKey),
                Sodium.constantTimeEqual(Array(publicKey.rawRepresentation), Array(record.publicKey))
            else {
                throw SignCoreError(
                    .invalidRequest, "the certificate does not certify key \(keyID)'s Ed25519 public key")
            }
            let notAfter = Int64((parsed.notValidAfter.timeIntervalSince1970 * 1000).rounded(.down))
            let notAfterTime = try inHSM("read notAfter") { try Timestamp(millisecondsSinceEpoch: notAfter) }
            record.certificate = .init(der: Data(der), notAfter: notAfter, attached: clock.now())
            try await journal(
                .certAttach(
                    key: keyID, notAfter: notAfterTime, serial: Array(parsed.serialNumber.bytes), operatorID: operatorID),
                owner: record.owner, records: [try put(record)])
            return record.info
        }
    }

    // MARK: input checks

    func checkKeyID(_ keyID: String) throws {
        guard isKeyID(keyID) else {
            throw SignCoreError(.invalidRequest, "a key identifier is 32 lowercase hex digits")
        }
    }

    func checkHashes(_ hashes: [[UInt8]]) throws {
        guard !hashes.isEmpty, hashes.count <= configuration.maxHashesPerActivation else {
            throw SignCoreError(
                .invalidRequest,
                "send 1 to \(configuration.maxHashesPerActivation) document hashes, not \(hashes.count)")
        }
        guard hashes.allSatisfy({ $0.count == 32 }) else {
            throw SignCoreError(.invalidRequest, "every document hash must be a 32-byte SHA-256")
        }
        guard Set(hashes).count == hashes.count else {
            throw SignCoreError(.invalidRequest, "the document hashes must be distinct")
        }
    }

    /// A SAD's 32 bytes, from its 43 base64url characters.
    static func base64URLDecode(_ text: String) -> [UInt8]? {
        guard text.utf8.count == 43 else { return nil }
        return Base64.decode(text, .url)
    }
}
