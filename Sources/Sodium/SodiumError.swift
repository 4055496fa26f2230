/// The one error type of the `Sodium` module.
public struct SodiumError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case initialisation, invalidLength, verificationFailed, outOfMemory, operationFailed
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// libsodium could not initialise (no entropy source).
        public static let initialisation = Code(.initialisation)
        /// A key, nonce, seed or buffer had the wrong size.
        public static let invalidLength = Code(.invalidLength)
        /// A signature, MAC or ciphertext did not verify (wrong key or tampered data).
        public static let verificationFailed = Code(.verificationFailed)
        /// Locked memory could not be allocated (raise `ulimit -l` or free memory).
        public static let outOfMemory = Code(.outOfMemory)
        /// A libsodium call failed for another reason.
        public static let operationFailed = Code(.operationFailed)

        public var description: String { String(describing: wrapped) }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
