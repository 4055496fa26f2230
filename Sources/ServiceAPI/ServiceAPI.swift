import Crypto
import Foundation
public import Hummingbird
public import LedgerFormats
import Logging
public import SignCore
public import Sodium

/// The node's service API (issue 7): CSC API v2 remote signing, owner enrolment and the personal
/// cabinet, operator actions. It runs on its own listener, loopback by default, never on the
/// public one. The node builds the router and runs it in its own `Application`:
///
///     let api = ServiceAPI(journal: ledger, signCore: core, configuration: configuration)
///     let app = Application(
///         router: api.buildRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 8081)),
///         logger: logger)
///
/// Routes, factors, errors and limits are in docs/service-api.md. This module journals nothing
/// itself: every event, including the `auth.fail` of a rate-limited request, goes through
/// SignCore, and it reads the journal only through `ServiceJournal`.
public struct ServiceAPI: Sendable {
    public struct Configuration: Sendable {
        /// Who operator actions are journaled as (`owner` of node-level events).
        public var operatorID: String
        /// SHA-256 of the operator's bearer token; nil disables the operator routes (they answer 404).
        public var operatorTokenSHA256: [UInt8]?
        /// The stand-in for the CA's biometric service (`--dev` only): enables `POST /dev/v1/biometric`.
        public var devBiometricKey: Ed25519.PrivateKey?
        /// Per client network (address prefix), on every route.
        public var requestLimit = RateLimit(perMinute: 6_000, burst: 1_000)
        /// Per credential (key), on every route that names one: signing, info, factor routes.
        public var credentialLimit = RateLimit(perMinute: 3_000, burst: 1_000)
        /// Per owner, on every route that checks factors (Argon2id is expensive on purpose).
        public var ownerLimit = RateLimit(perMinute: 10, burst: 5)
        /// Per client network, on the same routes.
        public var addressLimit = RateLimit(perMinute: 60, burst: 20)
        /// Failed operator-token attempts per client network; when spent, even the right token
        /// waits (an online guess at the token is that slow).
        public var operatorFailureLimit = RateLimit(perMinute: 5, burst: 5)
        /// Per owner and per client network, on `challenge`.
        public var challengeLimit = RateLimit(perMinute: 120, burst: 30)
        /// How many leading bits of a client's address name its network for the limits: an
        /// IPv4 /24 and an IPv6 /64 by default (one host holds a whole /64).
        public var addressPrefixV4 = 24
        public var addressPrefixV6 = 64
        /// Cabinet session lifetime in ms.
        public var sessionLifetime: Int64 = 600_000
        public var maxSessions = 10_000

        public init(
            operatorID: String, operatorTokenSHA256: [UInt8]? = nil, devBiometricKey: Ed25519.PrivateKey? = nil
        ) {
            self.operatorID = operatorID
            self.operatorTokenSHA256 = operatorTokenSHA256
            self.devBiometricKey = devBiometricKey
        }
    }

    let service: Service

    public init(
        journal: any ServiceJournal, signCore: SignCore, configuration: Configuration,
        clock: any LedgerClock = SystemClock()
    ) {
        service = Service(journal: journal, core: signCore, configuration: configuration, clock: clock)
    }

    /// Journals the counts of refused requests whose minute has ended (all of them with `all`,
    /// at shutdown); see `SignCore.flushRefusals`.
    public func flushRefusals(all: Bool = false) async throws {
        try await service.core.flushRefusals(all: all)
    }

    public func buildRouter() -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        let service = self.service
        router.add(middleware: ServiceMiddleware(service: service))

        router.route("/csc/v2/info", .post) { _, _ in try service.info() }
        router.route("/csc/v2/credentials/list", .post) { request, _ in try await service.credentialsList(request) }
        router.route("/csc/v2/credentials/info", .post) { request, context in
            try await service.credentialsInfo(request, context)
        }
        router.route("/csc/v2/credentials/authorize", .post) { request, context in
            try await service.authorize(request, context)
        }
        router.route("/csc/v2/signatures/signHash", .post) { request, context in
            try await service.signHash(request, context)
        }
        router.route("/csc/v2/signatures/signDoc", .post) { request, context in
            try await service.signDoc(request, context)
        }

        router.route("/owner/v1/transport-key", .get) { _, _ in try service.transportKey() }
        router.route("/owner/v1/challenge", .post) { request, context in try await service.challenge(request, context) }
        router.route("/owner/v1/consent", .post) { request, context in try await service.consent(request, context) }
        router.route("/owner/v1/keys", .post) { request, context in try await service.createKey(request, context) }
        router.route("/owner/v1/keys/:keyID/destroy", .post) { request, context in
            try await service.destroyKey(request, context)
        }
        router.route("/owner/v1/keys/:keyID/totp", .post) { request, context in
            try await service.enrolTOTP(request, context)
        }
        router.route("/owner/v1/cabinet/session", .post) { request, context in
            try await service.openSession(request, context)
        }
        router.route("/owner/v1/cabinet/keys", .get) { request, _ in try service.cabinetKeys(request) }
        router.route("/owner/v1/cabinet/signatures", .get) { request, _ in try service.cabinetSignatures(request) }
        router.route("/owner/v1/receipts/:seq", .get) { request, context in try service.receipt(request, context) }

        router.route("/operator/v1/keys/:keyID/compromise", .post) { request, context in
            try await service.compromise(request, context)
        }
        router.route("/operator/v1/keys/:keyID/erase", .post) { request, context in
            try await service.erase(request, context)
        }
        router.route("/operator/v1/keys/:keyID/certificate", .post) { request, context in
            try await service.attachCertificate(request, context)
        }
        router.route("/operator/v1/status", .get) { request, context in try await service.status(request, context) }

        if service.configuration.devBiometricKey != nil {
            router.route("/dev/v1/biometric", .post) { request, _ in try await service.devBiometric(request) }
        }
        return router
    }
}

extension Router<ServiceRequestContext> {
    /// Adds a route for one method; the other usual methods answer 405 there rather than 404.
    fileprivate func route(
        _ path: RouterPath, _ method: HTTPRequest.Method,
        use handler: @Sendable @escaping (Request, ServiceRequestContext) async throws -> Response
    ) {
        on(path, method: method, use: handler)
        for other in [HTTPRequest.Method.get, .head, .post, .put, .delete, .patch, .options] where other != method {
            on(path, method: other) { request, _ -> Response in
                throw ServiceAPIError(
                    .methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path); use \(method)",
                    allow: method)
            }
        }
    }
}
