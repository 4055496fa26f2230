import Codecs
public import Hummingbird
public import LedgerFormats
import Logging
import MerkleLog
public import Prometheus
public import PublicLog

/// The node's read-only public HTTP API (docs/formats.md, "Public HTTP API"): checkpoint,
/// hash tiles, genesis, blocks, proofs, compromise notices, health and metrics.
///
/// The node builds one over its ledger (any `PublicLogReader`: a mirror's store serves the same
/// way), lets the explorer add its pages to the router, and runs the application in its
/// service group:
///
///     let api = try PublicAPI(log: ledger, registry: registry)
///     let router = api.buildRouter()
///     addExplorerRoutes(to: router, api: api)                    // the explorer's pages
///     let app = Application(
///         router: router, configuration: .init(address: .hostname("0.0.0.0", port: 8080)), logger: logger)
///     // ServiceGroup(services: [app, ...]) ... run
///
/// Handlers can read only what `PublicLogReader` offers: tree hashes, signed notes, blocks,
/// the genesis and compromise notices, never entries or owner indexes. They read on the
/// request's task rather than through a thread pool: the reads are a few point lookups or one
/// short range scan, mostly from LevelDB's block cache, and cheaper than the hop. Full tiles
/// and the tree hashes proofs need are also kept in bounded in-memory caches (they never
/// change), and the checkpoint comes from the reader's in-memory head.
public struct PublicAPI: Sendable {
    /// What `/health` and `/metrics` say of one witness (the node's witness client knows it).
    public struct WitnessStatus: Sendable, Hashable {
        public let name: String
        public let cosignedSize: UInt64?
        /// The witness's timestamp on its last cosignature, Unix seconds.
        public let cosignedTime: UInt64?
        /// Failed submissions in a row.
        public let failures: Int
        /// Refusals of this log's history (409 with another root, 422).
        public let alarms: Int

        public init(name: String, cosignedSize: UInt64?, cosignedTime: UInt64?, failures: Int, alarms: Int) {
            self.name = name
            self.cosignedSize = cosignedSize
            self.cosignedTime = cosignedTime
            self.failures = failures
            self.alarms = alarms
        }
    }

    /// The data layer the routes read, shared with the explorer's pages (one cache).
    package let data: PublicData
    let metrics: PublicMetrics
    let witnesses: (@Sendable () -> [WitnessStatus])?

    /// - Parameters:
    ///   - registry: where request metrics go and what `/metrics` emits; pass the node's own to
    ///     publish its other metrics on the same page.
    ///   - clock: the time `/metrics` measures the checkpoint's age against.
    ///   - tileCacheCapacity: how many full tiles (8 KiB each) to keep serialized in memory.
    ///   - hashCacheCapacity: how many tree hashes (about 100 bytes each with the map) proofs
    ///     keep in memory.
    ///   - witnesses: the witnesses' status, when the node has a witness policy: `/checkpoint`
    ///     then serves only the newest checkpoint their quorum cosigned.
    /// - Throws: when this machine's time zone database cannot build the genesis calendar.
    public init(
        log: any PublicLogReader, witnesses: (@Sendable () -> [WitnessStatus])? = nil,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), clock: any LedgerClock = SystemClock(),
        tileCacheCapacity: Int = 8192, hashCacheCapacity: Int = 1 << 18
    ) throws {
        data = try PublicData(
            log: log, witnessed: witnesses != nil, tileCacheCapacity: tileCacheCapacity, hashCacheCapacity: hashCacheCapacity)
        metrics = PublicMetrics(registry: registry, clock: clock)
        self.witnesses = witnesses
    }

    /// The registry `/metrics` emits.
    public var registry: PrometheusCollectorRegistry { metrics.registry }

    /// A router with every public route and no `GET /`. Routes the caller adds afterwards get the
    /// same error handling and metrics; add them with `readOnly(_:use:)` so that other methods
    /// answer 405 there too.
    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        // First, so it wraps every route added later and the router's "not found".
        router.add(middleware: PublicMiddleware(metrics: metrics))
        let data = self.data
        let metrics = self.metrics
        let witnesses = self.witnesses

        router.readOnly("/checkpoint") { _, _ in
            guard let served = data.checkpoint() else {
                throw PublicAPIError(
                    .unavailable,
                    "no checkpoint meets the witness policy's quorum yet; /latest-checkpoint serves the newest, uncosigned")
            }
            return Self.ok(served.body, type: ContentType.text, cache: CacheControl.short)
        }
        router.readOnly("/latest-checkpoint") { _, _ in
            Self.ok(data.latestCheckpoint(), type: ContentType.text, cache: CacheControl.short)
        }
        router.readOnly("/tile/**") { request, _ in
            let tile = try Self.tile(request.uri.path)
            let body = try data.tile(tile)
            return Self.ok(
                body, type: ContentType.binary, cache: tile.isPartial ? CacheControl.short : CacheControl.immutable)
        }
        router.readOnly("/genesis") { _, _ in
            Self.ok(data.genesis, type: ContentType.json, cache: CacheControl.immutable)
        }
        router.readOnly("/blocks") { request, _ in
            let query = Query(request)
            let from = try query.number("from") ?? 0
            let limit = try query.number("limit") ?? PublicData.defaultBlocksPerPage
            guard (1...PublicData.maxBlocksPerPage).contains(limit) else {
                throw PublicAPIError(
                    .badRequest, "limit must be between 1 and \(PublicData.maxBlocksPerPage), not \(limit)")
            }
            let (end, overflow) = from.addingReportingOverflow(limit)
            let blocks = try data.blocks(from: from, until: overflow ? .max : end)
            return Self.ok(ByteBuffer(bytes: Self.json(blocks)), type: ContentType.json, cache: CacheControl.short)
        }
        router.readOnly("/blocks/:height") { _, context in
            let height = context.parameters.get("height") ?? ""
            if height == "latest" {
                return Self.ok(
                    ByteBuffer(bytes: try data.latestBlockNote().note), type: ContentType.text,
                    cache: CacheControl.short)
            }
            guard let h = CanonicalDecimal.parse(height) else {
                throw PublicAPIError(
                    .badRequest, "block height must be a decimal number or \"latest\", not \(Query.quoted(height[...]))"
                )
            }
            return Self.ok(
                ByteBuffer(bytes: try data.blockNote(h)), type: ContentType.text,
                cache: data.witnessed ? CacheControl.cosigning : CacheControl.sealed)
        }
        router.readOnly("/proof/inclusion") { request, _ in
            let query = Query(request)
            let leaf: PublicData.Leaf
            switch (try query.number("index"), try query.string("hash")) {
            case (let index?, nil): leaf = .index(index)
            case (nil, let text?):
                guard let bytes = Base64.decode(text, .url), let hash = Hash(bytes) else {
                    throw PublicAPIError(
                        .badRequest,
                        "hash must be a 32-byte leaf hash in base64url without padding (43 characters), "
                            + "not \(Query.quoted(text))"
                    )
                }
                leaf = .hash(hash)
            default:
                throw PublicAPIError(
                    .badRequest, "give exactly one of index=<leaf index> or hash=<base64url leaf hash>")
            }
            let tree: PublicData.TreeSize
            switch (try query.number("size"), try query.number("block")) {
            case (nil, nil): tree = .latest
            case (let size?, nil): tree = .size(size)
            case (nil, let height?): tree = .block(height)
            default: throw PublicAPIError(.badRequest, "give at most one of size=<tree size> or block=<height>")
            }
            let cache = if case .latest = tree { CacheControl.short } else { CacheControl.immutable }
            return Self.ok(
                ByteBuffer(bytes: Self.json(try data.inclusionProof(leaf, in: tree))), type: ContentType.json,
                cache: cache)
        }
        router.readOnly("/proof/consistency") { request, _ in
            let query = Query(request)
            guard let from = try query.number("from") else {
                throw PublicAPIError(
                    .badRequest, "from=<old tree size> is required (and to=<new tree size>, by default the latest)")
            }
            let to = try query.number("to")
            let proof = try data.consistencyProof(from: from, to: to)
            var json = JSONWriter(capacity: 96 + proof.hashes.count * 47)
            json.beginObject()
            json.key("from")
            json.number(from)
            json.key("to")
            json.number(proof.to)
            json.key("hashes")
            Self.write(proof.hashes, to: &json)
            json.endObject()
            return Self.ok(
                ByteBuffer(bytes: json.bytes), type: ContentType.json,
                cache: to == nil ? CacheControl.short : CacheControl.immutable)
        }
        router.readOnly("/compromises") { _, context in
            let (json, unpublished) = try data.compromises()
            for name in unpublished {
                context.logger.error(
                    "public API: record \(name) is not a compromise notice; not published",
                    metadata: ["expected": "{keyFingerprint, measures, time}"])
            }
            return Self.ok(ByteBuffer(bytes: json), type: ContentType.json, cache: CacheControl.short)
        }
        router.readOnly("/health") { _, _ in
            let head = data.log.head
            let sequencing = data.log.isLive
            var json = JSONWriter(capacity: 96)
            json.beginObject()
            json.key("sequencing")
            json.bool(sequencing)
            json.key("treeSize")
            json.number(head.treeSize)
            json.key("blockCount")
            json.number(head.blockCount)
            if let witnesses {
                // How far the served, cosigned checkpoint lags the tree, and each witness.
                let cosigned = data.checkpoint()?.size
                json.key("cosignedTreeSize")
                if let cosigned { json.number(cosigned) } else { json.null() }
                json.key("witnesses")
                json.beginArray()
                for witness in witnesses() {
                    json.beginObject()
                    json.key("name")
                    json.string(witness.name)
                    json.key("cosignedSize")
                    if let size = witness.cosignedSize { json.number(size) } else { json.null() }
                    json.key("cosignedTime")
                    if let time = witness.cosignedTime { json.number(time) } else { json.null() }
                    json.key("failures")
                    json.number(UInt64(witness.failures))
                    json.key("alarms")
                    json.number(UInt64(witness.alarms))
                    json.endObject()
                }
                json.endArray()
            }
            json.endObject()
            var response = Self.ok(ByteBuffer(bytes: json.bytes), type: ContentType.json, cache: CacheControl.none)
            response.status = sequencing ? .ok : .serviceUnavailable
            return response
        }
        router.readOnly("/metrics") { _, _ in
            Self.ok(
                ByteBuffer(bytes: try metrics.exposition(data: data, witnesses: witnesses?() ?? [])), type: ContentType.prometheus,
                cache: CacheControl.none)
        }
        return router
    }

    // MARK: JSON bodies

    /// `GET /blocks`: `[{"height","date","start","end","treeSize","rootHash","dayFirst",
    /// "dayCount","dayRoot","hash"}, ...]`.
    static func json(_ blocks: [SealedBlock]) -> [UInt8] {
        var json = JSONWriter(capacity: 64 + blocks.count * 400)
        json.beginArray()
        for sealed in blocks {
            let block = sealed.block
            json.beginObject()
            json.key("height")
            json.number(block.height)
            json.key("date")
            json.string(block.date)
            json.key("start")
            json.string(BlockTime.formatInstant(block.start))
            json.key("end")
            json.string(BlockTime.formatInstant(block.end))
            json.key("treeSize")
            json.number(block.treeSize)
            json.key("rootHash")
            json.base64(block.rootHash)
            json.key("dayFirst")
            json.number(block.dayFirst)
            json.key("dayCount")
            json.number(block.dayCount)
            json.key("dayRoot")
            json.base64(block.dayRoot)
            json.key("hash")
            json.base64(block.hash)
            json.endObject()
        }
        json.endArray()
        return json.bytes
    }

    /// `GET /proof/inclusion`: `{"index","treeSize","leafHash","hashes"}`.
    static func json(_ proof: PublicData.InclusionProof) -> [UInt8] {
        var json = JSONWriter(capacity: 128 + proof.hashes.count * 47)
        json.beginObject()
        json.key("index")
        json.number(proof.index)
        json.key("treeSize")
        json.number(proof.treeSize)
        json.key("leafHash")
        proof.leafHash.withUnsafeBytes { json.base64($0) }
        json.key("hashes")
        write(proof.hashes, to: &json)
        json.endObject()
        return json.bytes
    }

    private static func write(_ hashes: [Hash], to json: inout JSONWriter) {
        json.beginArray()
        for hash in hashes { hash.withUnsafeBytes { json.base64($0) } }
        json.endArray()
    }

    // MARK: helpers

    enum ContentType {
        static let text = "text/plain; charset=utf-8"
        static let json = "application/json"
        static let binary = "application/octet-stream"
        static let prometheus = "text/plain; version=0.0.4; charset=utf-8"
    }

    enum CacheControl {
        /// Changes with every checkpoint.
        static let short = "public, max-age=1"
        /// A sealed block's note never changes without witnesses.
        static let sealed = "public, max-age=3600"
        /// With witnesses, a block's note gains their lines in the seconds after the seal (or
        /// when they come back): caches must look again soon.
        static let cosigning = "public, max-age=60"
        /// Full tiles, the genesis, proofs against a stated tree size: the same bytes forever.
        static let immutable = "public, max-age=31536000, immutable"
        static let none = "no-store"
    }

    static func ok(_ body: ByteBuffer, type: String, cache: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: cache], body: ResponseBody(byteBuffer: body))
    }

    /// The tile a request path names. Entry bundles are refused outright: entries are personal
    /// data and never public.
    static func tile(_ path: String) throws(PublicAPIError) -> Tile {
        let relative = path.utf8.first == UInt8(ascii: "/") ? String(path.dropFirst()) : path
        if relative == "tile/entries" || relative.hasPrefix("tile/entries/") {
            throw PublicAPIError(
                .notFound, "entry bundles are not public: entries are personal data; only hash tiles are served")
        }
        do {
            return try Tile(path: relative)
        } catch {
            throw PublicAPIError(
                .badRequest,
                "\(Query.quoted(relative[...])) is not a hash tile path: "
                    + "expected tile/<L>/<N>[.p/<W>] as in c2sp.org/tlog-tiles"
            )
        }
    }
}

/// HTTP methods other than GET and HEAD: every one the HTTP/1 parser (llhttp) accepts, so that
/// a read-only route answers 405 to all of them rather than the router's 404. SwiftNIO names
/// the wire's `M-SEARCH` "MSEARCH", so both spellings are listed.
let refusedMethods: [HTTPRequest.Method] = [
    "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "COPY", "LOCK", "MKCOL", "MOVE",
    "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY",
    "CHECKOUT", "MERGE", "M-SEARCH", "MSEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PURGE", "MKCALENDAR", "LINK",
    "UNLINK", "SOURCE", "QUERY",
].compactMap { HTTPRequest.Method($0) }

extension RouterMethods {
    /// Adds a read-only route: `handler` answers GET, and HEAD with the same status and headers
    /// but no body; every other method answers 405 with `Allow: GET, HEAD`.
    @discardableResult
    public func readOnly(
        _ path: RouterPath, use handler: @Sendable @escaping (Request, Context) async throws -> Response
    ) -> Self {
        get(path, use: handler)
        head(path) { request, context in try await handler(request, context).createHeadResponse() }
        for method in refusedMethods {
            on(path, method: method) { request, _ -> Response in
                throw PublicAPIError(
                    .methodNotAllowed,
                    "\(request.method) is not allowed on \(Query.quoted(request.uri.path[...])): "
                        + "the public API is read-only (GET and HEAD)"
                )
            }
        }
        return self
    }
}

/// A request's query parameters, read strictly: a parameter given twice or not in canonical
/// form is a 400, so one question has one spelling (and one cache entry).
struct Query {
    private let pairs: Parameters

    init(_ request: Request) {
        pairs = request.uri.queryParameters
    }

    func string(_ name: String) throws(PublicAPIError) -> Substring? {
        var found: Substring?
        for (key, value) in pairs where key == name {
            guard found == nil else { throw PublicAPIError(.badRequest, "parameter \(name) is given more than once") }
            found = value
        }
        return found
    }

    func number(_ name: String) throws(PublicAPIError) -> UInt64? {
        guard let text = try string(name) else { return nil }
        guard let value = CanonicalDecimal.parse(text) else {
            throw PublicAPIError(
                .badRequest, "\(name) must be a decimal number without sign or leading zeros, not \(Self.quoted(text))")
        }
        return value
    }

    /// A value for a one-line message: at most 60 characters, printable ASCII only.
    static func quoted(_ text: Substring) -> String {
        let scalars = text.unicodeScalars
        let printable = scalars.prefix(60).map {
            $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f ? Character($0) : "?"
        }
        return "\"" + String(printable) + (scalars.count > 60 ? "...\"" : "\"")
    }
}
