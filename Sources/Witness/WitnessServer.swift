public import Hummingbird
import Logging
import NIOCore

/// The witness's HTTP face (tlog-witness v1.0.0): `POST <prefix>/add-checkpoint` and nothing
/// else. Other methods on that path answer 405, other paths 404. The body is read up to
/// `Witness.maxBodyBytes` and no further.
public enum WitnessServer {
    /// A router serving `witness` under `prefix` (empty, or a path starting with `/`).
    public static func router(_ witness: Witness, prefix: String = "") -> Router<BasicRequestContext> {
        let router = Router()
        let path = RouterPath(prefix + "/add-checkpoint")
        router.post(path) { request, context -> Response in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: Witness.maxBodyBytes)
            } catch is NIOTooManyBytesError {
                return response(.refused(413, "a submission is at most \(Witness.maxBodyBytes) bytes"))
            }
            let outcome = await witness.addCheckpoint(Array(body.readableBytesView))
            if outcome.status == 422 || (outcome.status == 409 && outcome.contentType == "text/x.tlog.size") {
                // Possibly a log misbehaving (a fork, a rewritten block) or a client that lost its
                // state: worth an operator's look either way.
                context.logger.warning(
                    "witness: refused a checkpoint", metadata: ["status": "\(outcome.status)", "reason": "\(outcome.body.prefix(200))"])
            } else if outcome.status >= 500 {
                context.logger.error("witness: \(outcome.body)")
            }
            return response(outcome)
        }
        for method: HTTPRequest.Method in [.get, .head, .put, .delete, .patch, .options] {
            router.on(path, method: method) { _, _ in
                var headers = HTTPFields()
                headers[.allow] = "POST"
                return response(.refused(405, "add-checkpoint takes POST"), headers: headers)
            }
        }
        return router
    }

    static func response(_ outcome: Witness.Outcome, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = outcome.contentType
        headers[.cacheControl] = "no-store"
        return Response(
            status: HTTPResponse.Status(code: outcome.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: outcome.body)))
    }
}
