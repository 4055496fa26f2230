/// The one error type of this module. Messages name the input that was wrong and what to do;
/// they never contain key material.
public struct GOST28147Error: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidKeyLength
            case invalidIVLength
            case invalidDataLength
            case invalidMACLength
            case invalidWrappedKeyLength
            case unknownParameterSet
            case authenticationFailed
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A key or KEK was not 32 bytes.
        public static let invalidKeyLength = Code(.invalidKeyLength)
        /// An IV or UKM was not 8 bytes.
        public static let invalidIVLength = Code(.invalidIVLength)
        /// ECB input was not a whole number of 8-byte blocks.
        public static let invalidDataLength = Code(.invalidDataLength)
        /// A requested MAC length was outside 1...8 bytes.
        public static let invalidMACLength = Code(.invalidMACLength)
        /// A wrapped key blob was not 44 bytes.
        public static let invalidWrappedKeyLength = Code(.invalidWrappedKeyLength)
        /// An S-box OID is not one this module implements.
        public static let unknownParameterSet = Code(.unknownParameterSet)
        /// The MAC of an unwrapped key did not match: wrong KEK or parameter set, or an altered blob.
        public static let authenticationFailed = Code(.authenticationFailed)

        public var description: String { "\(wrapped)" }
    }

    public let code: Code
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "GOST28147Error.\(code): \(message)" }

    static func keyLength(_ what: String, _ count: Int) -> Self {
        .init(
            .invalidKeyLength, "\(what) is \(count) bytes; GOST 28147-89 needs exactly 32. Pass the full 256-bit key.")
    }

    static func ivLength(_ what: String, _ count: Int) -> Self {
        .init(.invalidIVLength, "\(what) is \(count) bytes; it must be exactly 8 (one GOST 28147-89 block).")
    }
}
