/// The single error type of `LedgerFormats`: every parse, validation and verification failure
/// in the public formats throws this, so callers (the node, the auditor, the HTTP layer) switch
/// on one `Code` and show one message.
public struct LedgerFormatsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure, stable across releases so callers can map it (for example to an
    /// HTTP status) without parsing messages.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case malformed
            case invalidSignature
            case unsupported
            case invalidArgument
            case verificationFailed
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// The bytes are not a well-formed instance of the format (syntax, canonical form, field).
        public static let malformed = Code(.malformed)
        /// A signature did not verify against the expected key.
        public static let invalidSignature = Code(.invalidSignature)
        /// A well-formed input uses a version, algorithm or feature this code does not know.
        public static let unsupported = Code(.unsupported)
        /// A caller passed a value the format cannot represent (refused before anything is written).
        public static let invalidArgument = Code(.invalidArgument)
        /// A proof, hash or chain link did not check out.
        public static let verificationFailed = Code(.verificationFailed)

        public var description: String {
            switch wrapped {
            case .malformed: "malformed"
            case .invalidSignature: "invalidSignature"
            case .unsupported: "unsupported"
            case .invalidArgument: "invalidArgument"
            case .verificationFailed: "verificationFailed"
            }
        }
    }

    public let code: Code
    /// Says what was wrong and, where it helps, what to do about it.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        "LedgerFormatsError.\(code): \(message)"
    }
}
