import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import Logging
import ServiceAPI
import SignCore
import Sodium
import Synchronization
import TestSupport
import Testing

/// Every log line of a test, rendered with its metadata, to look for secrets in.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func logger() -> Logger {
        var logger = Logger(label: "service-test") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(rendered)") }
        }
    }
}

/// A JSON response, read loosely (the tests check members one by one).
struct Reply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: [UInt8]

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
    var text: String { String(decoding: body, as: UTF8.self) }
    func string(_ name: String) -> String? { json[name] as? String }
    var error: String? { string("error") }
}

/// A ledger in a temp folder, SignCore with tiny Argon2id, the service on 127.0.0.1 port 0,
/// and a client that plays the owner's app and the biometric service.
struct Fixture {
    let folder: DataFolder
    let ledger: Ledger
    let core: SignCore
    let clock: ManualClock
    let biometricKey: Ed25519.PrivateKey
    let client: any TestClientProtocol
    let logs: LogCapture

    static let operatorToken = "operator-token-\(UUID().uuidString)"
    static let terms = Array(SHA256.hash(data: Array("Tamga cloud EDS consent, v1".utf8)))
    static let sha256OID = "2.16.840.1.101.3.4.2.1"
    static let ed25519OID = "1.3.101.112"

    static func run(
        configure: (inout ServiceAPI.Configuration) -> Void = { _ in },
        _ body: @Sendable (Fixture) async throws -> Void
    ) async throws {
        let folder = try makeChain()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: folder.path).deletingLastPathComponent().path) }
        let clock = ManualClock(startTime)
        let ledger = try Ledger.open(folder: folder, clock: clock)
        ledger.start()
        defer { ledger.shutdown() }
        let biometricKey = try Ed25519.PrivateKey()
        var coreConfiguration = SignCore.Configuration(biometricServiceKey: biometricKey.publicKey, origin: ledger.genesis.origin)
        coreConfiguration.argon2 = .testOnly
        let core = try SignCore(
            journal: ledger, backend: try Ledger.softwareHSM(folder), configuration: coreConfiguration,
            clock: clock)
        var configuration = ServiceAPI.Configuration(
            operatorID: "ca-operator", operatorTokenSHA256: Array(SHA256.hash(data: Array(operatorToken.utf8))))
        configuration.ownerLimit = RateLimit(perMinute: 10_000, burst: 10_000)
        configuration.addressLimit = RateLimit(perMinute: 10_000, burst: 10_000)
        configuration.challengeLimit = RateLimit(perMinute: 10_000, burst: 10_000)
        configure(&configuration)
        let api = ServiceAPI(journal: ledger, signCore: core, configuration: configuration, clock: clock)
        let logs = LogCapture()
        let app = Application(
            router: api.buildRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logs.logger())
        try await app.test(.live) { client in
            try await body(
                Fixture(
                    folder: folder, ledger: ledger, core: core, clock: clock, biometricKey: biometricKey, client: client, logs: logs))
        }
    }

    // MARK: HTTP

    func send(
        _ method: HTTPRequest.Method, _ path: String, json: [String: Any]? = nil, raw: [UInt8]? = nil,
        bearer: String? = nil, contentType: String? = "application/json"
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let contentType { headers[.contentType] = contentType }
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        var body: ByteBuffer?
        if let json { body = ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: json))) }
        if let raw { body = ByteBuffer(bytes: raw) }
        let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: body)
        #expect(response.headers[.cacheControl] == "no-store", "\(method) \(path) lacks Cache-Control: no-store")
        return Reply(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
    }

    func post(_ path: String, _ json: [String: Any], bearer: String? = nil) async throws -> Reply {
        try await send(.post, path, json: json, bearer: bearer)
    }

    // MARK: the owner's side

    /// Factors for `operation` as the owner's app and the biometric service make them, fetched
    /// over HTTP: the password is sealed to the transport key of a statement verified with the
    /// log key, as an app pinning the genesis key does.
    func factors(owner: String, password: String, for operation: SignCore.Operation, otp: String? = nil) async throws
        -> [String: Any]
    {
        let (challenge, biometric) = try await liveness(owner: owner)
        let sealed = try SignCoreClient.sealPassword(
            Array(password.utf8), challenge: challenge, for: operation, transportKey: try await transportKey())
        var factors: [String: Any] = [
            "challenge": Data(challenge).base64EncodedString(), "password": Data(sealed).base64EncodedString(),
            "biometric": biometric,
        ]
        if let otp { factors["otp"] = otp }
        return factors
    }

    /// A challenge for `owner` over HTTP and the biometric service's assertion for it (as JSON).
    func liveness(owner: String) async throws -> (challenge: [UInt8], biometric: [String: String]) {
        let reply = try await post("/owner/v1/challenge", ["owner": owner])
        #expect(reply.status == .ok)
        let challenge = Array(try decode64(reply.string("challenge")))
        let assertion = try SignCoreClient.biometricAssertion(
            owner: owner, challenge: challenge, time: clock.now(), serviceKey: biometricKey)
        return (
            challenge,
            [
                "payload": Data(assertion.payload).base64EncodedString(),
                "signature": Data(assertion.signature).base64EncodedString(),
            ]
        )
    }

    /// The transport key from `GET /owner/v1/transport-key`, after checking its statement's
    /// signature by the log key, its origin and that it is valid now.
    func transportKey() async throws -> [UInt8] {
        let reply = try await send(.get, "/owner/v1/transport-key")
        let note = try SignedNote(parsing: Array(try #require(reply.string("statement")).utf8))
        let statement = try TransportKeyStatement(note: note, verifier: ledger.verifier)
        #expect(statement.isValid(at: clock.now() / 1000))
        #expect(Array(try decode64(reply.string("transportKey"))) == statement.publicKey)
        return statement.publicKey
    }

    /// The same factors as CSC `authData`.
    static func authData(_ factors: [String: Any]) -> [[String: String]] {
        let biometric = factors["biometric"] as? [String: String] ?? [:]
        var items = [
            ["id": "challenge", "value": factors["challenge"] as? String ?? ""],
            ["id": "password", "value": factors["password"] as? String ?? ""],
            ["id": "biometricPayload", "value": biometric["payload"] ?? ""],
            ["id": "biometricSignature", "value": biometric["signature"] ?? ""],
        ]
        if let otp = factors["otp"] as? String { items.append(["id": "otp", "value": otp]) }
        return items
    }

    /// The consent body: the terms, a challenge and the owner's biometric assertion for it.
    func consentBody(_ owner: String) async throws -> [String: Any] {
        let (challenge, biometric) = try await liveness(owner: owner)
        return [
            "owner": owner, "termsHash": Self.terms.map { String(format: "%02x", $0) }.joined(),
            "challenge": Data(challenge).base64EncodedString(), "biometric": biometric,
        ]
    }

    func consent(_ owner: String) async throws {
        let reply = try await post("/owner/v1/consent", try await consentBody(owner))
        #expect(reply.status == .noContent, "\(reply.text)")
    }

    /// Checks a refusal that came before any biometric: once the counts are journaled, the
    /// last entry is the node's `request.refused` with this key, purpose, reason and count.
    func expectCounted(
        purpose: String, reason: String, key: String?, count: Int = 1, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await core.flushRefusals(all: true)
        let mismatch = refusalCountMismatch(try lastEntry(), purpose: purpose, reason: reason, key: key, count: count)
        #expect(mismatch == nil, "\(mismatch ?? "")", sourceLocation: sourceLocation)
    }

    /// Consent and a new key over HTTP; returns the key ID and public key.
    func createKey(owner: String, password: String) async throws -> (id: String, publicKey: [UInt8]) {
        try await consent(owner)
        let reply = try await post(
            "/owner/v1/keys", ["owner": owner, "factors": try await factors(owner: owner, password: password, for: .createKey)])
        #expect(reply.status == .created, "\(reply.text)")
        let id = try #require(reply.string("keyID"))
        let publicKey = try decode64(reply.string("publicKey"))
        return (id, Array(publicKey))
    }

    func authorize(
        _ keyID: String, owner: String, password: String, hashes: [[UInt8]], otp: String? = nil,
        hashAlgorithmOID: String = Fixture.sha256OID, numSignatures: Int? = nil
    ) async throws -> Reply {
        try await post(
            "/csc/v2/credentials/authorize",
            [
                "credentialID": keyID, "numSignatures": numSignatures ?? hashes.count,
                "hashes": hashes.map { Data($0).base64EncodedString() }, "hashAlgorithmOID": hashAlgorithmOID,
                "authData": Self.authData(
                    try await factors(
                        owner: owner, password: password, for: .authorize(keyID: keyID, hashes: hashes), otp: otp)),
            ])
    }

    func signHash(_ keyID: String, sad: String, hashes: [[UInt8]]) async throws -> Reply {
        try await post(
            "/csc/v2/signatures/signHash",
            [
                "credentialID": keyID, "SAD": sad, "hashes": hashes.map { Data($0).base64EncodedString() },
                "hashAlgorithmOID": Self.sha256OID, "signAlgo": Self.ed25519OID,
            ])
    }

    func openSession(_ keyID: String, owner: String, password: String) async throws -> Reply {
        try await post(
            "/owner/v1/cabinet/session",
            ["keyID": keyID, "factors": try await factors(owner: owner, password: password, for: .openCabinet(keyID: keyID))])
    }

    // MARK: the journal

    func entries() throws -> [Entry] {
        try ledger.entries(from: 0, count: Int(ledger.head.treeSize)).map { try Entry(parsing: $0) }
    }

    func lastEntry() throws -> Entry {
        try #require(try entries().last)
    }

    /// The reply is the CSC error `error` with `status`, and the journal's last entry is `event`
    /// for `owner` with `reason` (when SignCore journals the refusal).
    func expectRefusal(
        _ reply: Reply, _ status: HTTPResponse.Status, _ error: String, journal event: EventName? = nil,
        owner: String? = nil, reason: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.error == error, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(
            (reply.string("error_description") ?? "").isEmpty == false, "no error_description",
            sourceLocation: sourceLocation)
        guard let event else { return }
        let entry = try lastEntry()
        #expect(entry.event == event, sourceLocation: sourceLocation)
        if let owner { #expect(entry.owner == owner, sourceLocation: sourceLocation) }
        if let reason { #expect(entry.record[field: "reason"] == .string(reason), sourceLocation: sourceLocation) }
    }
}

func randomHashes(_ count: Int) -> [[UInt8]] {
    (0..<count).map { _ in Sodium.randomBytes(32) }
}

/// Standard base64 from a reply member, required present and valid.
func decode64(_ text: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> Data {
    let text = try #require(text, sourceLocation: sourceLocation)
    return try #require(Data(base64Encoded: text), sourceLocation: sourceLocation)
}
