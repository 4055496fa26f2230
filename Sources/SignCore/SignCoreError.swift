/// The one error type of `SignCore`. Codes are chosen so the service API can map each to a CSC
/// API v2 error without reading messages; messages say what was wrong and what to do, and never
/// contain a password, a key, a seed or a token.
public struct SignCoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case invalidRequest, consentRequired, invalidChallenge, invalidPassword, invalidBiometric, invalidOTP
            case invalidSAD, locked, notFound, forbidden, unavailable, internalError
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Malformed input: a hash that is not 32 bytes, a password box that does not open, an
        /// unknown key identifier format (CSC `invalid_request`).
        public static let invalidRequest = Code(.invalidRequest)
        /// The owner has not recorded the consent R6 requires before a key is made (CSC `access_denied`).
        public static let consentRequired = Code(.consentRequired)
        /// The challenge is unknown, expired, already used, or issued to another owner: get a new one
        /// (CSC `invalid_request`).
        public static let invalidChallenge = Code(.invalidChallenge)
        /// The password did not match (CSC `invalid_password`).
        public static let invalidPassword = Code(.invalidPassword)
        /// The biometric assertion is not valid for this owner, challenge and time (CSC `invalid_request`,
        /// "invalid credentials").
        public static let invalidBiometric = Code(.invalidBiometric)
        /// The TOTP code is missing, wrong or already used (CSC `invalid_otp`).
        public static let invalidOTP = Code(.invalidOTP)
        /// No SAD, or one that expired, was used for these hashes already, or was issued for another key,
        /// owner or hash (CSC `invalid_request`, "SAD expired" / "invalid SAD").
        public static let invalidSAD = Code(.invalidSAD)
        /// The key is locked after too many failed checks; there is no password recovery (R11)
        /// (CSC `access_denied`, "credential locked").
        public static let locked = Code(.locked)
        /// No such key for this owner, or it was destroyed (CSC `invalid_request`, "credential not found").
        public static let notFound = Code(.notFound)
        /// The key may not be used: compromised, or the policy asks for a factor not enrolled (CSC `access_denied`).
        public static let forbidden = Code(.forbidden)
        /// The HSM cannot complete the operation now: the journal is stopped, or a limit is reached. Retry
        /// later (HTTP 503).
        public static let unavailable = Code(.unavailable)
        /// The HSM's own state is inconsistent (a damaged record). The operator must look (HTTP 500).
        public static let internalError = Code(.internalError)

        public var description: String { wrapped.rawValue }
    }

    public let code: Code
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "SignCoreError.\(code): \(message)" }
}
