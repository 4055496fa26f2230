/// The one error type of the `Witness` module: a configuration, key or store that cannot serve.
/// (A refused submission is not an error: it is a `Witness.Outcome` with its HTTP status.)
public struct WitnessError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable { case configuration, storage, exists, unavailable }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The logs file or a setting is malformed.
        public static let configuration = Code(.configuration)
        /// The witness's store could not be read or written (the submission was not cosigned).
        public static let storage = Code(.storage)
        /// `init` found a witness already there.
        public static let exists = Code(.exists)
        /// A log's published tiles could not be fetched (try again).
        public static let unavailable = Code(.unavailable)

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
