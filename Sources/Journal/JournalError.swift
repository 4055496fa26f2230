/// The one error type of the `Journal` module.
public struct JournalError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable { case notAStore, wrongVersion, locked, exists, storage, corrupt }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The folder holds no Tamga store.
        public static let notAStore = Code(.notAStore)
        /// The store was written by another format version.
        public static let wrongVersion = Code(.wrongVersion)
        /// Another process has the store open.
        public static let locked = Code(.locked)
        /// `create` found a store already there.
        public static let exists = Code(.exists)
        /// LevelDB failed to read or write (full disk, I/O error).
        public static let storage = Code(.storage)
        /// The store's records contradict each other.
        public static let corrupt = Code(.corrupt)

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
