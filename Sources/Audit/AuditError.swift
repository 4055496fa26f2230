/// The one error type of `Audit`. A failed verification is `verificationFailed` and names the
/// first thing that did not check out: its `subject` (`block 12`, `entry 17`, `checkpoint`,
/// `tile/1/000`...), the `field` (`prev`, `dayRoot`, `signature`...), and what was `expected`
/// and `found`. The other codes mean the audit could not be carried out at all: the tool maps
/// `verificationFailed` to exit status 1 and the others to 2.
public struct AuditError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case verificationFailed, invalidInput, unavailable
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// The public data contradicts itself, the genesis, or what was verified before.
        public static let verificationFailed = Code(.verificationFailed)
        /// An input the auditor gave is unusable: an unreadable or malformed genesis, state or
        /// journal file, a bad option value.
        public static let invalidInput = Code(.invalidInput)
        /// The source could not be read: network error, timeout, HTTP error, I/O error.
        public static let unavailable = Code(.unavailable)

        public var description: String {
            switch wrapped {
            case .verificationFailed: "verificationFailed"
            case .invalidInput: "invalidInput"
            case .unavailable: "unavailable"
            }
        }
    }

    public let code: Code
    /// What was wrong and what to do about it.
    public let message: String
    /// For `verificationFailed`: what failed, e.g. `block 12`, `entry 17`, `checkpoint`.
    public let subject: String?
    /// For `verificationFailed`: which field or check, e.g. `prev`, `dayRoot`, `signature`.
    public let field: String?
    public let expected: String?
    public let found: String?

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
        self.subject = nil
        self.field = nil
        self.expected = nil
        self.found = nil
    }

    /// A verification failure of `field` of `subject`.
    public init(
        failed subject: String, _ field: String, expected: String? = nil, found: String? = nil, _ message: String
    ) {
        self.code = .verificationFailed
        self.message = message
        self.subject = subject
        self.field = field
        self.expected = expected
        self.found = found
    }

    public var description: String {
        var text = "AuditError.\(code): "
        if let subject, let field { text += "\(subject), \(field): " }
        text += message
        if let expected { text += " (expected \(expected)" + (found.map { ", found \($0)" } ?? "") + ")" }
        return text
    }
}
