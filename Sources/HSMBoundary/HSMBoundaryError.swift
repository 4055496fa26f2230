/// The one error type of the `HSMBoundary` module: a key file or backend that cannot serve.
public struct HSMBoundaryError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable { case secrets, mismatch }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A key file is missing, unreadable, too open or damaged.
        public static let secrets = Code(.secrets)
        /// A sealed value does not open under this backend (another node's, or altered).
        public static let mismatch = Code(.mismatch)

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
