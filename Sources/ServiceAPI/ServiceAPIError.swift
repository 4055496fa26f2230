public import Hummingbird
import SignCore

/// The one error type of `ServiceAPI`. Over HTTP it is a CSC API v2 error object,
/// `{"error": <code>, "error_description": <message>}`, with the status its code maps to
/// (docs/service-api.md has the table). Messages never contain a secret.
public struct ServiceAPIError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case invalidRequest, unknownObject, consentRequired, invalidPassword, invalidBiometric, invalidOTP
            case accessDenied, invalidToken, routeNotFound, methodNotAllowed, tooLarge, unsupportedMediaType, tooManyRequests
            case unavailable, serverError
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Malformed or invalid input, a bad challenge or SAD, an unknown CSC credential (400).
        public static let invalidRequest = Code(.invalidRequest)
        /// An owner or operator route's object (key, receipt) does not exist for this caller (404).
        public static let unknownObject = Code(.unknownObject)
        /// The owner has not consented (R6) (403).
        public static let consentRequired = Code(.consentRequired)
        /// The password is wrong (400).
        public static let invalidPassword = Code(.invalidPassword)
        /// The biometric assertion is not valid for this owner, challenge and time (400).
        public static let invalidBiometric = Code(.invalidBiometric)
        /// The TOTP code is missing, wrong or used (400).
        public static let invalidOTP = Code(.invalidOTP)
        /// The key is locked or compromised, or the policy asks for an unenrolled factor (403).
        public static let accessDenied = Code(.accessDenied)
        /// The bearer token (operator or cabinet session) is missing, wrong or expired (401).
        public static let invalidToken = Code(.invalidToken)
        /// No such route (404).
        public static let routeNotFound = Code(.routeNotFound)
        /// The route exists with another method (405).
        public static let methodNotAllowed = Code(.methodNotAllowed)
        /// The body is over the 1 MiB limit (413).
        public static let tooLarge = Code(.tooLarge)
        /// A JSON body sent without `Content-Type: application/json` (415).
        public static let unsupportedMediaType = Code(.unsupportedMediaType)
        /// A rate limit was reached (429, with Retry-After).
        public static let tooManyRequests = Code(.tooManyRequests)
        /// The HSM or the journal cannot serve now (503).
        public static let unavailable = Code(.unavailable)
        /// The node's own state is inconsistent (500); the operator finds the cause in the log.
        public static let serverError = Code(.serverError)

        public var description: String { wrapped.rawValue }

        /// The CSC `error` member.
        public var error: String {
            switch wrapped {
            case .invalidRequest, .unknownObject, .methodNotAllowed, .tooLarge, .unsupportedMediaType: "invalid_request"
            case .consentRequired: "consent_required"
            case .invalidPassword: "invalid_password"
            case .invalidBiometric: "invalid_biometric"
            case .invalidOTP: "invalid_otp"
            case .accessDenied: "access_denied"
            case .invalidToken: "invalid_token"
            case .routeNotFound: "not_found"
            case .tooManyRequests: "too_many_requests"
            case .unavailable: "temporarily_unavailable"
            case .serverError: "server_error"
            }
        }

        public var status: HTTPResponse.Status {
            switch wrapped {
            case .invalidRequest, .invalidPassword, .invalidBiometric, .invalidOTP: .badRequest
            case .unknownObject, .routeNotFound: .notFound
            case .consentRequired, .accessDenied: .forbidden
            case .invalidToken: .unauthorized
            case .methodNotAllowed: .methodNotAllowed
            case .tooLarge: .contentTooLarge
            case .unsupportedMediaType: .unsupportedMediaType
            case .tooManyRequests: .tooManyRequests
            case .unavailable: .serviceUnavailable
            case .serverError: .internalServerError
            }
        }
    }

    public let code: Code
    /// What was wrong and what to do: one line, safe to show to the caller.
    public let message: String
    /// Seconds, for 429.
    public let retryAfter: Int?
    /// The route's method, for 405's `Allow`.
    let allow: HTTPRequest.Method?
    /// The cause, for the node's log only (it may name files): never sent to the caller.
    let detail: String?

    public init(_ code: Code, _ message: String, retryAfter: Int? = nil) {
        self.init(code, message, retryAfter: retryAfter, allow: nil, detail: nil)
    }

    init(_ code: Code, _ message: String, retryAfter: Int? = nil, allow: HTTPRequest.Method? = nil, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
        self.retryAfter = retryAfter
        self.allow = allow
    }

    public var description: String { "ServiceAPIError.\(code): \(message)" }

    /// 429 with `Retry-After`: `what` says which limit, `wait` (ms, from `RateLimiter`) when to retry.
    static func tooManyRequests(_ what: String, wait: Int64) -> ServiceAPIError {
        let seconds = Int(max(1, (wait + 999) / 1000))
        return ServiceAPIError(.tooManyRequests, "\(what); retry in \(seconds) s", retryAfter: seconds)
    }

    /// How a SignCore refusal reads over HTTP. `csc` routes name an unknown key as CSC does
    /// (400 "Invalid parameter credentialID"); owner routes answer 404.
    init(_ error: SignCoreError, csc: Bool) {
        switch error.code {
        case .invalidRequest: self.init(.invalidRequest, error.message)
        case .consentRequired: self.init(.consentRequired, error.message)
        case .invalidChallenge: self.init(.invalidRequest, "Invalid challenge: \(error.message)")
        case .invalidPassword: self.init(.invalidPassword, error.message)
        case .invalidBiometric: self.init(.invalidBiometric, error.message)
        case .invalidOTP: self.init(.invalidOTP, error.message)
        case .invalidSAD: self.init(.invalidRequest, "Invalid SAD: \(error.message)")
        case .locked: self.init(.accessDenied, "Credential locked: \(error.message)")
        case .notFound:
            if csc {
                self.init(.invalidRequest, "Invalid parameter credentialID: \(error.message)")
            } else {
                self.init(.unknownObject, error.message)
            }
        case .forbidden: self.init(.accessDenied, error.message)
        // Their messages may name files or storage errors: those stay in the node's log.
        case .unavailable:
            self.init(.unavailable, "the signing service is temporarily unavailable; retry later", detail: error.message)
        default: self.init(.serverError, "internal error; the operator finds the cause in the node's log", detail: error.message)
        }
    }
}

extension ServiceAPIError: HTTPResponseError {
    public var status: HTTPResponse.Status { code.status }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = JSONText.object([("error", .string(code.error)), ("error_description", .string(message))]).text
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow.rawValue }
        if code == .invalidToken { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
