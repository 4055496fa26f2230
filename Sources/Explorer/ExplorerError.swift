/// Why an explorer page could not be served as asked.
public struct ExplorerError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case badRequest, notFound, storage }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The request names nothing the explorer can look up (a malformed height or hash).
        public static let badRequest = Code(.badRequest)
        /// The request is well formed but the object does not exist (yet).
        public static let notFound = Code(.notFound)
        /// The ledger's store could not be read or holds something unreadable.
        public static let storage = Code(.storage)

        public var description: String {
            switch value {
            case .badRequest: "badRequest"
            case .notFound: "notFound"
            case .storage: "storage"
            }
        }
    }

    public let code: Code
    /// What was wrong and what to do, fit to show a visitor (no paths, no secrets).
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "ExplorerError.\(code): \(message)" }
}
