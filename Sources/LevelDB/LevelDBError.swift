/// The one error type of the `LevelDB` module. `message` carries LevelDB's own words.
public struct LevelDBError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable { case locked, corruption, io, notFound, invalidArgument, other }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Another process (or another handle in this one) has the database open.
        public static let locked = Code(.locked)
        /// LevelDB found damaged files.
        public static let corruption = Code(.corruption)
        /// The file system refused a read or write (full disk, permissions).
        public static let io = Code(.io)
        /// The folder holds no database and creation was not asked for.
        public static let notFound = Code(.notFound)
        public static let invalidArgument = Code(.invalidArgument)
        public static let other = Code(.other)

        public var description: String { String(describing: wrapped) }

        /// Classifies LevelDB's status string ("IO error: ...", "Corruption: ...").
        static func classify(_ status: String) -> Code {
            if status.contains("LOCK") && (status.contains("lock") || status.contains("Resource temporarily unavailable")) {
                return .locked
            }
            if status.hasPrefix("Corruption") { return .corruption }
            if status.hasPrefix("Invalid argument") {
                return status.contains("does not exist") ? .notFound : .invalidArgument
            }
            if status.hasPrefix("IO error") { return .io }
            if status.hasPrefix("NotFound") { return .notFound }
            return .other
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
