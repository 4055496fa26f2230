/// The one error type of the `Backup` module. Messages never quote a share's words or any key.
public struct BackupError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable { case invalidArgument, locked, exists, shares, archive, storage, verification }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A threshold or share count outside what R5 allows, or another bad parameter.
        public static let invalidArgument = Code(.invalidArgument)
        /// The node is running on the data folder (LevelDB admits one process).
        public static let locked = Code(.locked)
        /// A file or folder that must not exist does (archive, share file, non-empty target).
        public static let exists = Code(.exists)
        /// The shares do not recover this archive's key: too few, repeated, mixed, wrong set, mistyped.
        public static let shares = Code(.shares)
        /// The archive is not a Tamga HSM backup, or it was altered, truncated or cut.
        public static let archive = Code(.archive)
        /// Reading or writing a file failed (disk full, permissions, I/O).
        public static let storage = Code(.storage)
        /// The restored store does not check out against the archive's own metadata.
        public static let verification = Code(.verification)

        public var description: String { String(describing: wrapped) }
    }

    public let code: Code
    /// What was wrong and what to do.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
