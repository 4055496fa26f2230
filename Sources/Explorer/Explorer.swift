public import Hummingbird
public import Ledger
import LedgerFormats
import Logging

/// Adds the block explorer's pages and assets to the node's public router:
///
/// - `GET /`: the current checkpoint, the latest daily blocks, compromise notices, a search box
///   and (with JavaScript) a receipt checker; `/?check=<leaf hash>` also checks that leaf's
///   inclusion proof in the browser.
/// - `GET /explorer/blocks[?before=H]`, `GET /explorer/blocks/<h>`, `GET /explorer/compromises`,
///   `GET /explorer/search?q=<leaf hash | height | YYYY-MM-DD>`.
/// - `GET /explorer/assets/explorer.css|explorer.js`.
///
/// Every page is rendered on the server, so it works without JavaScript; explorer.js only adds
/// checks that run in the browser against the JSON routes of the public API (`/checkpoint`,
/// `/proof/inclusion`, `/proof/consistency`), which the node serves from module `PublicAPI`.
/// HEAD is answered like GET; other methods answer 405. Pages carry no owner identifier and no
/// entry content: they show only blocks, hashes and compromise notices (the ledger records
/// under `compromise/` that `/compromises` publishes).
///
/// The node adds them to the public API's router, after its routes and middleware:
///
///     let app = api.buildApplication(configuration: configuration, logger: logger) { router in
///         addExplorerRoutes(to: router, ledger: ledger)
///     }
public func addExplorerRoutes<Context: RequestContext>(to router: some RouterMethods<Context>, ledger: Ledger) {
    let pages = Pages(chain: ChainView(ledger: ledger))
    let origin = ledger.genesis.origin

    func page(_ path: RouterPath, _ render: @escaping @Sendable (Request, Context) throws -> Page) {
        ExplorerRoutes.add(path, to: router) { request, context in
            let result: Page
            do {
                result = try render(request, context)
            } catch {
                context.logger.error("explorer: \(request.uri.path) failed: \(error)")
                result = .error(
                    .internalServerError, "Unavailable",
                    "The explorer could not read the ledger just now. Try again in a moment; the raw routes /checkpoint and /blocks may still answer."
                )
            }
            return ExplorerRoutes.response(result, origin: origin)
        }
    }

    page("/") { request, _ in try pages.home(check: request.uri.queryParameters["check"].map(String.init)) }
    page("/explorer/blocks") { request, _ in
        try pages.blockList(before: request.uri.queryParameters["before"].map(String.init))
    }
    page("/explorer/blocks/:height") { _, context in try pages.block(context.parameters.get("height") ?? "") }
    page("/explorer/compromises") { _, _ in try pages.compromises() }
    page("/explorer/search") { request, _ in try pages.search(request.uri.queryParameters["q"].map(String.init)) }

    for asset in Assets.all {
        ExplorerRoutes.add(RouterPath(asset.path), to: router) { _, _ in
            ExplorerRoutes.assetResponse(asset)
        }
    }
}

enum ExplorerRoutes {
    /// `default-src 'self'` is the rule the explorer lives by: scripts and styles come only as
    /// files from this origin, never inline, so an escaping bug cannot become script execution.
    static let contentSecurityPolicy =
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

    /// Every method but GET and HEAD that the HTTP/1 parser (llhttp) accepts: each answers 405
    /// on a page, as on the public API's routes, rather than the router's 404. SwiftNIO names
    /// the wire's `M-SEARCH` "MSEARCH", so both spellings are listed.
    static let refusedMethods: [HTTPRequest.Method] = [
        "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "COPY", "LOCK", "MKCOL", "MOVE",
        "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY",
        "CHECKOUT", "MERGE", "M-SEARCH", "MSEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PURGE", "MKCALENDAR", "LINK",
        "UNLINK", "SOURCE", "QUERY",
    ].compactMap { HTTPRequest.Method($0) }

    /// GET and HEAD share one handler (the router does not generate HEAD unless asked, and the
    /// node owns the router's options); every other method answers 405 with `Allow`.
    static func add<Context: RequestContext>(
        _ path: RouterPath, to router: some RouterMethods<Context>,
        _ handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) {
        router.on(path, method: .get, use: handler)
        router.on(path, method: .head) { request, context in
            try await handler(request, context).createHeadResponse()
        }
        for method in refusedMethods {
            router.on(path, method: method) { request, _ in
                var headers = HTTPFields()
                headers[.allow] = "GET, HEAD"
                headers[.contentType] = "text/plain; charset=utf-8"
                return Response(
                    status: .methodNotAllowed, headers: headers,
                    body: ResponseBody(
                        byteBuffer: ByteBuffer(
                            string:
                                "\(request.method) is not allowed here: the explorer's pages answer only GET and HEAD\n"
                        )))
            }
        }
    }

    static func response(_ page: Page, origin: String) -> Response {
        var headers = securityHeaders()
        switch page.kind {
        case .redirect(let location):
            headers[.location] = location
            headers[.cacheControl] = "no-store"
            return Response(status: page.status, headers: headers)
        case .html(let title, let body):
            headers[.contentType] = "text/html; charset=utf-8"
            // Pages change as days close and entries arrive; a few seconds of caching is enough.
            headers[.cacheControl] = page.status == .ok ? "public, max-age=10" : "no-store"
            let text = Layout.page(title: title, origin: origin, body: body)
            return Response(
                status: page.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }

    static func assetResponse(_ asset: Assets.Asset) -> Response {
        var headers = securityHeaders()
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = "public, max-age=300"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: asset.text)))
    }

    private static func securityHeaders() -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        return headers
    }
}
