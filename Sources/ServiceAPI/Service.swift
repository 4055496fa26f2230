import Codecs
import Crypto
import Foundation
import Hummingbird
import LedgerFormats
import Logging
import MerkleLog
import PublicLog
import SignCore
import Sodium

/// The handlers behind `ServiceAPI`'s routes, with the state they share: sessions and rate
/// limiters (in memory: a restart resets both, which is safe).
final class Service: Sendable {
    let journal: any ServiceJournal
    let core: SignCore
    let configuration: ServiceAPI.Configuration
    let clock: any LedgerClock
    let sessions: Sessions
    let ownerLimiter: RateLimiter
    let addressLimiter: RateLimiter
    let challengeLimiter: RateLimiter
    let credentialLimiter: RateLimiter
    let requestLimiter: RateLimiter
    let operatorFailures: RateLimiter

    static let sha256OID = "2.16.840.1.101.3.4.2.1"
    static let ed25519OID = "1.3.101.112"
    static let multisign = 1000
    static let defaultPage = 50
    static let maxPage = 500
    /// Entries one cabinet page may read before it returns what it found with a `next` cursor.
    static let maxScan = 5000

    init(journal: any ServiceJournal, core: SignCore, configuration: ServiceAPI.Configuration, clock: any LedgerClock) {
        self.journal = journal
        self.core = core
        self.configuration = configuration
        self.clock = clock
        sessions = Sessions(
            lifetime: configuration.sessionLifetime, capacity: configuration.maxSessions, clock: clock)
        ownerLimiter = RateLimiter(configuration.ownerLimit, clock: clock)
        addressLimiter = RateLimiter(configuration.addressLimit, clock: clock)
        challengeLimiter = RateLimiter(configuration.challengeLimit, clock: clock)
        credentialLimiter = RateLimiter(configuration.credentialLimit, clock: clock)
        requestLimiter = RateLimiter(configuration.requestLimit, clock: clock)
        operatorFailures = RateLimiter(configuration.operatorFailureLimit, clock: clock)
    }

    // MARK: CSC API v2

    func info() throws -> Response {
        Self.json(
            .object([
                ("specs", .string("2.0.0.2")), ("name", .string("Tamga")), ("logo", .string("")),
                ("region", .string("KZ")), ("lang", .string("en")),
                ("description", .string("Tamga cloud EDS: Ed25519 keys held in an embedded HSM, every use journaled")),
                ("authType", .array([.string("external")])),
                (
                    "methods",
                    .array(
                        [
                            "credentials/list", "credentials/info", "credentials/authorize", "signatures/signHash",
                            "signatures/signDoc",
                        ].map { .string($0) })
                ),
                ("signAlgorithms", .object([("algos", .array([.string(Self.ed25519OID)]))])),
            ]))
    }

    struct ListBody: Decodable {
        var userID: String?
        var credInfo: Bool?
        var onlyValid: Bool?
    }

    /// Which keys an owner has is personal data: the list needs the owner's session (the CSC
    /// service authorization), and a `userID`, if sent, must be the session's owner.
    func credentialsList(_ request: Request) async throws -> Response {
        let owner = try sessionOwner(request)
        let body = try await Body.decode(ListBody.self, request)
        if let userID = body.userID, userID != owner {
            throw ServiceAPIError(.invalidRequest, "userID is not the session's owner; omit it or open that owner's session")
        }
        var keys = try core.keys(owner: owner)
        if body.onlyValid == true { keys = keys.filter { $0.state == .active } }
        var members: [(String, JSONText)] = [("credentialIDs", .array(keys.map { .string($0.id) }))]
        if body.credInfo == true {
            members.append(("credentialInfos", .array(keys.map { credentialInfo($0, withID: true, certificate: true) })))
        }
        return Self.json(.object(members))
    }

    struct CredentialBody: Decodable {
        var credentialID: String
    }

    func credentialsInfo(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let body = try await Body.decode(CredentialBody.self, request)
        context.note.key = body.credentialID
        let key = try await credential(body.credentialID, csc: true, purpose: "info")
        // The certificate names its subject (in Kazakhstan, the owner's IIN): only for the owner's session.
        let ownersSession = bearer(request).flatMap { sessions.owner(token: $0) } == key.owner
        return Self.json(credentialInfo(key, withID: false, certificate: ownersSession))
    }

    func credentialInfo(_ key: KeyInfo, withID: Bool, certificate withCertificate: Bool) -> JSONText {
        var members: [(String, JSONText)] = withID ? [("credentialID", .string(key.id))] : []
        members.append(("description", .string("Ed25519 key")))
        members.append(
            (
                "key",
                .object([
                    ("status", .string(key.state == .active ? "enabled" : "disabled")),
                    ("algo", .array([.string(Self.ed25519OID)])), ("len", .integer(256)),
                ])
            ))
        if withCertificate, let certificate = key.certificate {
            let expired = (key.certificateNotAfter ?? 0) <= clock.now()
            members.append(
                (
                    "cert",
                    .object([
                        ("status", .string(expired ? "expired" : key.state == .compromised ? "revoked" : "valid")),
                        ("certificates", .array([.string(Base64.encode(certificate))])),
                    ])
                ))
        }
        var objects: [JSONText] = [
            .object([("type", .string("Password")), ("id", .string("password"))]),
            .object([("type", .string("Biometric")), ("id", .string("biometric"))]),
        ]
        if key.totpEnrolled { objects.append(.object([("type", .string("OTP")), ("id", .string("otp"))])) }
        members.append(("auth", .object([("mode", .string("explicit")), ("objects", .array(objects))])))
        members.append(("SCAL", .string("SCAL2")))
        members.append(("multisign", .integer(Int64(Self.multisign))))
        members.append(
            (
                "tamga",
                .object([
                    ("publicKey", .string(Base64.encode(key.publicKey))),
                    ("fingerprint", .string(key.fingerprint)), ("state", .string(key.state.rawValue)),
                ])
            ))
        return .object(members)
    }

    struct AuthorizeBody: Decodable {
        var credentialID: String
        var numSignatures: Int
        var hashes: [String]
        var hashAlgorithmOID: String
        var authData: [AuthDataItem]
    }

    func authorize(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let body = try await Body.decode(AuthorizeBody.self, request)
        context.note.key = body.credentialID
        try Self.checkHashAlgorithm(body.hashAlgorithmOID)
        let hashes = try Self.hashes(body.hashes)
        guard body.numSignatures == hashes.count else {
            throw ServiceAPIError(
                .invalidRequest,
                "Invalid parameter numSignatures: \(body.numSignatures), but \(hashes.count) hashes were sent")
        }
        let factors = try AuthDataItem.factors(body.authData)
        let key = try await limitedKey(body.credentialID, csc: true, purpose: "sign", context)
        let activation = try await core.authorize(keyID: key.id, owner: key.owner, hashes: hashes, factors: factors)
        let expiresIn = max(1, (activation.expiresAt - clock.now() + 999) / 1000)
        return Self.json(.object([("SAD", .string(activation.sad)), ("expiresIn", .integer(expiresIn))]))
    }

    struct SignHashBody: Decodable {
        var credentialID: String
        var sad: String
        var hashes: [String]
        var hashAlgorithmOID: String
        var signAlgo: String

        enum CodingKeys: String, CodingKey {
            case credentialID, sad = "SAD", hashes, hashAlgorithmOID, signAlgo
        }
    }

    func signHash(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let body = try await Body.decode(SignHashBody.self, request)
        context.note.key = body.credentialID
        try Self.checkHashAlgorithm(body.hashAlgorithmOID)
        try Self.checkSignAlgorithm(body.signAlgo, "signAlgo")
        let hashes = try Self.hashes(body.hashes)
        let key = try await credential(body.credentialID, csc: true, purpose: "sign")
        let signatures = try await core.sign(keyID: key.id, owner: key.owner, sad: body.sad, hashes: hashes)
        return Self.json(.object([("signatures", .array(signatures.map { .string(Base64.encode($0)) }))]))
    }

    struct SignDocBody: Decodable {
        struct Document: Decodable {
            var document: String
            var signAlgo: String
        }
        var credentialID: String
        var sad: String
        var documents: [Document]

        enum CodingKeys: String, CodingKey {
            case credentialID, sad = "SAD", documents
        }
    }

    func signDoc(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let body = try await Body.decode(SignDocBody.self, request)
        context.note.key = body.credentialID
        let documents = try body.documents.enumerated().map { index, document in
            try Self.checkSignAlgorithm(document.signAlgo, "documents[\(index)].signAlgo")
            return try Field.base64(document.document, "documents[\(index)].document")
        }
        let key = try await credential(body.credentialID, csc: true, purpose: "sign")
        let signatures = try await core.sign(keyID: key.id, owner: key.owner, sad: body.sad, documents: documents)
        return Self.json(
            .object([("SignatureObject", .array(signatures.map { .string(Base64.encode($0)) }))]))
    }

    // MARK: owner routes

    /// The newest transport key and its statement signed by the log key, which apps verify
    /// with the genesis key before sealing a password to the key.
    func transportKey() throws -> Response {
        let (statement, note) = try core.transportKey()
        return Self.json(
            .object([
                ("transportKey", .string(Base64.encode(statement.publicKey))),
                ("algorithm", .string("crypto_box_seal")),
                ("validFrom", .string(BlockTime.formatInstant(statement.validFrom))),
                ("validUntil", .string(BlockTime.formatInstant(statement.validUntil))),
                ("statement", .string(note.formatted)),
            ]))
    }

    struct OwnerBody: Decodable {
        var owner: String
    }

    func challenge(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let body = try await Body.decode(OwnerBody.self, request)
        try await limit(
            [(challengeLimiter, "address " + addressPrefix(context), "address"), (challengeLimiter, "owner " + body.owner, "owner")],
            keyID: nil, purpose: "challenge")
        let challenge = try core.challenge(owner: body.owner)
        return Self.json(
            .object([
                ("challenge", .string(Base64.encode(challenge.bytes))),
                ("expiresAt", .string(try Self.time(challenge.expiresAt))),
            ]))
    }

    struct ConsentBody: Decodable {
        var owner: String
        var termsHash: String
        var challenge: String
        var biometric: BiometricBody
    }

    /// Consent is the owner's: it needs a challenge and that owner's biometric assertion for it.
    func consent(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let body = try await Body.decode(ConsentBody.self, request)
        let termsHash = try Field.hex(body.termsHash, "termsHash", count: 32)
        let challenge = try Field.base64(body.challenge, "challenge")
        let biometric = try body.biometric.assertion("biometric")
        try await limitFactors(owner: body.owner, keyID: nil, purpose: "consent", context)
        try await core.recordConsent(owner: body.owner, termsHash: termsHash, challenge: challenge, biometric: biometric)
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }

    struct CreateKeyBody: Decodable {
        var owner: String
        var factors: FactorsBody
    }

    func createKey(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let body = try await Body.decode(CreateKeyBody.self, request)
        let factors = try body.factors.factors()
        try await limitFactors(owner: body.owner, keyID: nil, purpose: "key.create", context)
        let key = try await core.createKey(owner: body.owner, factors: factors)
        context.note.key = key.id
        return Self.json(try keyJSON(key, created: false), status: .created)
    }

    struct FactorsOnlyBody: Decodable {
        var factors: FactorsBody
    }

    func destroyKey(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let keyID = context.parameters.get("keyID") ?? ""
        context.note.key = keyID
        let factors = try await Body.decode(FactorsOnlyBody.self, request).factors.factors()
        let key = try await limitedKey(keyID, csc: false, purpose: "destroy", context)
        try await core.destroyKey(keyID: key.id, owner: key.owner, factors: factors)
        return Self.json(.object([("keyID", .string(key.id)), ("state", .string(KeyState.destroyed.rawValue))]))
    }

    struct TOTPBody: Decodable {
        var factors: FactorsBody
        var algorithm: String?
        var digits: Int?
    }

    func enrolTOTP(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let keyID = context.parameters.get("keyID") ?? ""
        context.note.key = keyID
        let body = try await Body.decode(TOTPBody.self, request)
        let factors = try body.factors.factors()
        guard let algorithm = TOTP.Algorithm(rawValue: body.algorithm ?? "SHA1") else {
            throw ServiceAPIError(.invalidRequest, "Invalid parameter algorithm: use SHA1, SHA256 or SHA512")
        }
        let key = try await limitedKey(keyID, csc: false, purpose: "totp.enrol", context)
        let uri = try await core.enrolTOTP(
            keyID: key.id, owner: key.owner, factors: factors, algorithm: algorithm, digits: body.digits ?? 6)
        return try Self.secretJSON(member: "otpauthURI", uri)
    }

    struct SessionBody: Decodable {
        var keyID: String
        var factors: FactorsBody
    }

    func openSession(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let body = try await Body.decode(SessionBody.self, request)
        context.note.key = body.keyID
        let factors = try body.factors.factors()
        let key = try await limitedKey(body.keyID, csc: false, purpose: "cabinet", context)
        let info = try await core.openCabinet(keyID: key.id, owner: key.owner, factors: factors)
        let session = sessions.open(owner: info.owner)
        return Self.json(
            .object([("token", .string(session.token)), ("expiresAt", .string(try Self.time(session.expiresAt)))]),
            status: .created)
    }

    func cabinetKeys(_ request: Request) throws -> Response {
        let owner = try sessionOwner(request)
        let keys = try core.keys(owner: owner).sorted { $0.created > $1.created }
        return Self.json(.object([("keys", .array(try keys.map { try keyJSON($0, created: true) }))]))
    }

    func cabinetSignatures(_ request: Request) throws -> Response {
        let owner = try sessionOwner(request)
        let limit = try Self.queryNumber(request, "limit").map(Int.init) ?? Self.defaultPage
        guard (1...Self.maxPage).contains(limit) else {
            throw ServiceAPIError(.invalidRequest, "Invalid parameter limit: 1 to \(Self.maxPage)")
        }
        var cursor = try Self.queryNumber(request, "before") ?? UInt64.max
        var found: [JSONText] = []
        var scanned = 0
        var exhausted = false
        scan: while found.count < limit, scanned < Self.maxScan {
            let batch = min(256, Self.maxScan - scanned)
            let seqs = try read { try journal.seqs(owner: owner, before: cursor, limit: batch) }
            for seq in seqs {
                scanned += 1
                cursor = seq
                guard let bytes = try read({ try journal.entry(seq) }) else { continue }  // pruned (retention)
                let entry: Entry
                do {
                    entry = try Entry(parsing: bytes)
                } catch {
                    throw ServiceAPIError(.serverError, "journal entry \(seq) does not parse: \(error.message)")
                }
                guard case .keyUse(let keyID, let document, let algorithm)? = JournalEvent(entry.record) else { continue }
                found.append(
                    .object([
                        ("seq", .integer(entry.seq)), ("time", .string(entry.time.rfc3339Milliseconds)),
                        ("keyID", .string(keyID)), ("documentHash", .string(hex(document))),
                        ("algorithm", .string(algorithm)),
                        ("receipt", .string("/owner/v1/receipts/\(seq)")),
                    ]))
                if found.count == limit { break scan }
            }
            if seqs.count < batch {
                exhausted = true
                break
            }
        }
        let next: JSONText =
            exhausted || cursor == 0 ? .null : .string("/owner/v1/cabinet/signatures?limit=\(limit)&before=\(cursor)")
        return Self.json(.object([("signatures", .array(found)), ("next", next)]))
    }

    func receipt(_ request: Request, _ context: ServiceRequestContext) throws -> Response {
        let owner = try sessionOwner(request)
        let text = context.parameters.get("seq") ?? ""
        let notFound = ServiceAPIError(.unknownObject, "the session's owner has no event \(text)")
        guard let seq = CanonicalDecimal.parse(text) else {
            throw ServiceAPIError(.invalidRequest, "Invalid parameter seq: a decimal event number")
        }
        guard seq < journal.head.treeSize, let bytes = try read({ try journal.entry(seq) }) else { throw notFound }
        guard let entry = try? Entry(parsing: bytes), entry.owner == owner else { throw notFound }
        let receipt = try read { try journal.receipt(seq: seq) }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: receipt.formatted)))
    }

    // MARK: operator routes

    struct CompromiseBody: Decodable {
        var measures: String
    }

    func compromise(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        try await checkOperator(request, context)
        let keyID = context.parameters.get("keyID") ?? ""
        context.note.key = keyID
        let body = try await Body.decode(CompromiseBody.self, request)
        let notice = try await core.markCompromised(
            keyID: keyID, operator: configuration.operatorID, measures: body.measures)
        return Self.json(
            .object([
                ("recordName", .string(notice.recordName)), ("keyFingerprint", .string(notice.keyFingerprint)),
                ("measures", .string(notice.measures)), ("time", .string(notice.time.rfc3339Milliseconds)),
            ]))
    }

    struct EraseBody: Decodable {
        var reason: String
    }

    /// Erases a key its owner cannot destroy (locked, compromised): journaled with the reason.
    func erase(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        try await checkOperator(request, context)
        let keyID = context.parameters.get("keyID") ?? ""
        context.note.key = keyID
        let body = try await Body.decode(EraseBody.self, request)
        let key = try await core.eraseKey(keyID: keyID, operator: configuration.operatorID, reason: body.reason)
        return Self.json(try keyJSON(key, created: true))
    }

    func attachCertificate(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        try await checkOperator(request, context)
        let keyID = context.parameters.get("keyID") ?? ""
        context.note.key = keyID
        let certificate = try await Body.bytes(request)
        let key = try await core.attachCertificate(
            keyID: keyID, certificate: certificate, operator: configuration.operatorID)
        return Self.json(try keyJSON(key, created: true))
    }

    func status(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        try await checkOperator(request, context)
        let head = journal.head
        return Self.json(
            .object([
                ("treeSize", .integer(Int64(head.treeSize))),
                ("rootHash", .string(Base64.encode(head.rootHash.bytes))),
                ("blocks", .integer(Int64(head.blockCount))), ("sequencing", .bool(journal.isSequencing)),
            ]))
    }

    // MARK: dev

    struct DevBiometricBody: Decodable {
        var owner: String
        var challenge: String
        var score: Int64?
        var result: String?
    }

    func devBiometric(_ request: Request) async throws -> Response {
        guard let serviceKey = configuration.devBiometricKey else {
            throw ServiceAPIError(.routeNotFound, "the dev biometric route runs only with --dev")
        }
        let body = try await Body.decode(DevBiometricBody.self, request)
        let assertion = try SignCoreClient.biometricAssertion(
            owner: body.owner, challenge: try Field.base64(body.challenge, "challenge"), time: clock.now(),
            score: body.score ?? 1000, result: body.result ?? "match", serviceKey: serviceKey)
        return Self.json(
            .object([
                ("payload", .string(Base64.encode(assertion.payload))),
                ("signature", .string(Base64.encode(assertion.signature))),
            ]))
    }
}
