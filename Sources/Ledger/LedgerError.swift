/// The one error type of the `Ledger` module.
public struct LedgerError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable { case invalidEvent, secrets, mismatch, stopped, storage, corrupt, notFound }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The event was refused before anything was written.
        public static let invalidEvent = Code(.invalidEvent)
        /// A key file is missing, unreadable, too open or does not match.
        public static let secrets = Code(.secrets)
        /// The store, the genesis and the log key do not belong together.
        public static let mismatch = Code(.mismatch)
        /// The sequencer has stopped (shutdown, or a failed write: restart the node).
        public static let stopped = Code(.stopped)
        /// The store could not be written; nothing of that batch was acknowledged.
        public static let storage = Code(.storage)
        /// The stored log contradicts itself.
        public static let corrupt = Code(.corrupt)
        /// No such entry, block or proof.
        public static let notFound = Code(.notFound)

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
