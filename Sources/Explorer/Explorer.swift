public import Hummingbird
import LedgerFormats
import Logging
public import PublicAPI
import PublicLog

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
/// HEAD is answered like GET; other methods answer 405, exactly as on the public API's routes.
/// The pages read the public API's own data layer (one cache, one proof path), so they can
/// show only what the public API publishes: blocks, hashes and compromise notices, never an
/// owner identifier or entry content.
///
/// The node adds them to the public API's router, after its routes and middleware:
///
///     let router = api.buildRouter()
///     addExplorerRoutes(to: router, api: api)
public func addExplorerRoutes<Context: RequestContext>(to router: some RouterMethods<Context>, api: PublicAPI) {
    let pages = Pages(data: api.data)
    let origin = api.data.log.genesis.origin

    func page(_ path: RouterPath, _ render: @escaping @Sendable (Request, Context) throws -> Page) {
        router.readOnly(path) { request, context in
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
        router.readOnly(RouterPath(asset.path)) { _, _ in ExplorerRoutes.assetResponse(asset) }
    }
}

enum ExplorerRoutes {
    /// `default-src 'self'` is the rule the explorer lives by: scripts and styles come only as
    /// files from this origin, never inline, so an escaping bug cannot become script execution.
    static let contentSecurityPolicy =
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

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
