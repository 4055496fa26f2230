import Codecs
import Crypto
import Foundation
import Hummingbird
import LedgerFormats
import Logging
import SignCore
import Sodium

extension Service {
    // MARK: keys and limits

    /// A key's public facts. An unknown key is CSC's "Invalid parameter credentialID" (400) on
    /// CSC routes and 404 elsewhere.
    func key(_ keyID: String, csc: Bool) throws -> KeyInfo {
        do {
            return try core.key(keyID)
        } catch let error as SignCoreError {
            throw ServiceAPIError(error, csc: csc)
        }
    }

    /// The key a request names, after that credential's rate limit (every route that names one).
    func credential(_ keyID: String, csc: Bool, purpose: String) async throws -> KeyInfo {
        let key = try self.key(keyID, csc: csc)
        try await limit([(credentialLimiter, key.id, "credential")], keyID: key.id, purpose: purpose)
        return key
    }

    /// The key of a factor-checking request, after the address's, the credential's and the
    /// key owner's rate limits.
    func limitedKey(_ keyID: String, csc: Bool, purpose: String, _ context: ServiceRequestContext) async throws
        -> KeyInfo
    {
        let key: KeyInfo
        do {
            key = try self.key(keyID, csc: csc)
        } catch {
            try await limit([(addressLimiter, addressPrefix(context), "address")], keyID: nil, purpose: purpose)
            throw error
        }
        try await limit([(credentialLimiter, key.id, "credential")], keyID: key.id, purpose: purpose)
        try await limitFactors(owner: key.owner, keyID: key.id, purpose: purpose, context)
        return key
    }

    func limitFactors(owner: String, keyID: String?, purpose: String, _ context: ServiceRequestContext) async throws {
        try await limit(
            [(addressLimiter, addressPrefix(context), "address"), (ownerLimiter, owner, "owner")], keyID: keyID,
            purpose: purpose)
    }

    /// The rate limiters' name for the client's network: its address prefix (`RateLimiter.prefix`).
    func addressPrefix(_ context: ServiceRequestContext) -> String {
        RateLimiter.prefix(
            context.remoteAddress, v4: configuration.addressPrefixV4, v6: configuration.addressPrefixV6)
    }

    /// Takes a token from each bucket in order; the first that is empty refuses the request
    /// with 429. A refusal by an owner's or a credential's bucket is counted by SignCore (one
    /// `request.refused` per key, reason and minute, as the node's); one by an address's bucket
    /// only answers 429: the address may name anyone.
    func limit(_ buckets: [(RateLimiter, String, String)], keyID: String?, purpose: String) async throws {
        for (limiter, name, kind) in buckets {
            guard let wait = limiter.take(name) else { continue }
            if kind != "address" { await core.countRefusal(key: keyID, purpose: purpose, reason: "rate-limited-\(kind)") }
            throw ServiceAPIError.tooManyRequests(
                "too many requests for this \(kind) (at most \(limiter.limit.perMinute) a minute)", wait: wait)
        }
    }

    // MARK: bearer tokens

    func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        let token = header.dropFirst("Bearer ".count).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    func sessionOwner(_ request: Request) throws -> String {
        guard let token = bearer(request) else {
            throw ServiceAPIError(
                .invalidToken, "send Authorization: Bearer <token> from POST /owner/v1/cabinet/session")
        }
        guard let owner = sessions.owner(token: token) else {
            throw ServiceAPIError(.invalidToken, "the session is unknown or expired; open a new one with the factors")
        }
        return owner
    }

    /// The operator's bearer, checked as SHA-256 in constant time against the configured hash.
    /// A network whose failed attempts spent its bucket (`operatorFailureLimit`) waits, right
    /// token or not; every failure is counted as the node's `request.refused` (`operator-token`).
    func checkOperator(_ request: Request, _ context: ServiceRequestContext) async throws {
        guard let expected = configuration.operatorTokenSHA256 else {
            throw ServiceAPIError(
                .routeNotFound, "operator routes are disabled: the node has no operator token configured")
        }
        let network = addressPrefix(context)
        if let wait = operatorFailures.wait(network) {
            throw ServiceAPIError.tooManyRequests("too many wrong operator tokens from this network", wait: wait)
        }
        let presented = bearer(request).map { Array(SHA256.hash(data: Array($0.utf8))) }
        guard let presented, expected.count == presented.count, Sodium.constantTimeEqual(presented, expected) else {
            _ = operatorFailures.take(network)
            await core.countRefusal(key: nil, purpose: "operator", reason: "operator-token")
            throw ServiceAPIError(
                .invalidToken,
                presented == nil ? "operator routes need Authorization: Bearer <operator token>" : "the operator token is wrong")
        }
    }

    // MARK: reading and writing

    func read<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch {
            throw ServiceAPIError(.unavailable, "the journal cannot be read now; retry later")
        }
    }

    func keyJSON(_ key: KeyInfo, created: Bool) throws -> JSONText {
        var members: [(String, JSONText)] = [
            ("keyID", .string(key.id)), ("publicKey", .string(Base64.encode(key.publicKey))),
            ("fingerprint", .string(key.fingerprint)), ("algorithm", .string(key.algorithm)),
            ("state", .string(key.state.rawValue)),
        ]
        if created { members.append(("created", .string(try Self.time(key.created)))) }
        if let notAfter = key.certificateNotAfter {
            members.append(("certificateNotAfter", .string(try Self.time(notAfter))))
        }
        return .object(members)
    }

    static func json(_ value: JSONText, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.text)))
    }

    static func time(_ milliseconds: Int64) throws -> String {
        do {
            return try Timestamp(millisecondsSinceEpoch: milliseconds).rfc3339Milliseconds
        } catch {
            throw ServiceAPIError(.serverError, "a time is out of range: \(milliseconds) ms")
        }
    }

    // MARK: parameters

    static func hashes(_ texts: [String]) throws -> [[UInt8]] {
        try texts.enumerated().map { index, text in try Field.base64(text, "hashes[\(index)]", count: 32) }
    }

    static func checkHashAlgorithm(_ oid: String) throws {
        guard oid == sha256OID else {
            throw ServiceAPIError(
                .invalidRequest, "Invalid parameter hashAlgorithmOID: only SHA-256 (\(sha256OID)) is supported")
        }
    }

    static func checkSignAlgorithm(_ oid: String, _ name: String) throws {
        guard oid == ed25519OID else {
            throw ServiceAPIError(.invalidRequest, "Invalid parameter \(name): only Ed25519 (\(ed25519OID)) is supported")
        }
    }

    static func queryNumber(_ request: Request, _ name: String) throws -> UInt64? {
        let values = request.uri.queryParameters.getAll(name)
        guard values.count <= 1 else { throw ServiceAPIError(.invalidRequest, "Invalid parameter \(name): given twice") }
        guard let text = values.first else { return nil }
        guard let value = CanonicalDecimal.parse(text) else {
            throw ServiceAPIError(.invalidRequest, "Invalid parameter \(name): a decimal number")
        }
        return value
    }

}
