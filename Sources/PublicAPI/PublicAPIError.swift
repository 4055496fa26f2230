public import Hummingbird

/// The one error type of `PublicAPI`. Over HTTP it becomes its status with `message` as a
/// one-line `text/plain` body: the public API's clients are scripts and auditors' tools, and a
/// plain sentence is what they print.
public struct PublicAPIError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable { case badRequest, notFound, methodNotAllowed, unavailable, storage, export }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A malformed or out-of-range parameter (400).
        public static let badRequest = Code(.badRequest)
        /// No such route, or the route's object does not exist (yet) (404).
        public static let notFound = Code(.notFound)
        /// A method other than GET or HEAD on a route that exists (405).
        public static let methodNotAllowed = Code(.methodNotAllowed)
        /// What the route serves does not exist yet, but will (503): no cosigned checkpoint yet.
        public static let unavailable = Code(.unavailable)
        /// The ledger could not be read (500); the details are in the node's log, not the response.
        public static let storage = Code(.storage)
        /// The static export could not write its files.
        public static let export = Code(.export)

        public var description: String { String(describing: wrapped) }

        var status: HTTPResponse.Status {
            switch wrapped {
            case .badRequest: .badRequest
            case .notFound: .notFound
            case .methodNotAllowed: .methodNotAllowed
            case .unavailable: .serviceUnavailable
            case .storage, .export: .internalServerError
            }
        }
    }

    public let code: Code
    /// What was wrong and what to do: one line, safe to show to anyone.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "PublicAPIError.\(code): \(message)" }
}

extension PublicAPIError: HTTPResponseError {
    public var status: HTTPResponse.Status { code.status }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body = ByteBuffer(string: message)
        body.writeString("\n")
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"]
        if code == .methodNotAllowed { headers[.allow] = "GET, HEAD" }
        headers[.contentLength] = String(body.readableBytes)
        return Response(
            status: status, headers: headers,
            body: request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: body))
    }
}
