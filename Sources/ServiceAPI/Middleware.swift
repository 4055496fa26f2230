import Hummingbird
import Logging
import SignCore

/// Wraps every route: takes a token from the client network's bucket (`requestLimit`), turns
/// every error into a CSC error object, marks every response
/// `no-store` (some carry a SAD, a session token or an otpauth URI), and logs one line per
/// request: method, path, status, duration, CSC error and key. Never a body, a header value,
/// or a query string (none carries a secret today; nothing later should leak through the log).
struct ServiceMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let service: Service

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        var failure: ServiceAPIError?
        do {
            let network = service.addressPrefix(context)
            if let wait = service.requestLimiter.take(network) {
                throw ServiceAPIError.tooManyRequests(
                    "too many requests from this network (\(network), at most \(service.requestLimiter.limit.perMinute) a minute)",
                    wait: wait)
            }
            response = try await next(request, context)
        } catch {
            let mapped = Self.map(error, request: request, context: context)
            failure = mapped
            response = try mapped.response(from: request, context: context)
        }
        response.headers[.cacheControl] = "no-store"
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
            "ms": "\(Int(milliseconds.rounded()))",
        ]
        if let key = context.note.key { metadata["key"] = "\(key)" }
        if let failure { metadata["error"] = "\(failure.code.error)" }
        context.logger.info("service API request", metadata: metadata)
        if let failure, let detail = failure.detail ?? (failure.code == .serverError ? failure.message : nil) {
            context.logger.error("service API: \(failure.code.error)", metadata: ["reason": "\(detail)"])
        }
        return response
    }

    static func map(_ error: any Error, request: Request, context: Context) -> ServiceAPIError {
        switch error {
        case let error as ServiceAPIError: return error
        case let error as SignCoreError: return ServiceAPIError(error, csc: request.uri.path.hasPrefix("/csc/"))
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound:
                return ServiceAPIError(
                    .routeNotFound, "no such route: \(request.method) \(request.uri.path); see docs/service-api.md")
            case .methodNotAllowed:
                return ServiceAPIError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)")
            case .contentTooLarge:
                return ServiceAPIError(.tooLarge, "the request body is over \(Body.maxBytes) bytes; send less")
            default:
                return ServiceAPIError(.invalidRequest, "the request was refused (HTTP \(error.status.code))")
            }
        default:
            // The details go to the log (by the caller), never to the client.
            context.logger.error("service API: unexpected error", metadata: ["error": "\(type(of: error))"])
            return ServiceAPIError(.serverError, "internal error; the operator finds the cause in the node's log")
        }
    }
}
