public import Foundation
import AsyncHTTPClient
import BoundedHTTP

/// Where the public data comes from: a node's read-only HTTP API or a static export of it
/// (the same paths as files). Nothing read is trusted: every byte is checked against the
/// genesis key and the roots it signed, and nothing larger than the resource can be is read.
///
/// Contract: `fetch` returns the exact bytes at `path` (relative, e.g. `blocks/3`,
/// `tile/0/x001/234.p/17`), `nil` if the source says it has no such resource (HTTP 404, no
/// such file), fails verification when the resource is longer than `limit` bytes, and throws
/// `unavailable` when it cannot tell (network, deadline, other HTTP status, I/O error). Safe
/// to call concurrently.
public protocol AuditSource: Sendable, CustomStringConvertible {
    func fetch(_ path: String, limit: Int) async throws(AuditError) -> [UInt8]?
    /// How many fetches to keep in flight at once.
    var concurrency: Int { get }
}

/// The most bytes each kind of public resource can have.
public enum ResourceLimit {
    /// A tile: 256 hashes of 32 bytes.
    public static let tile = 256 * 32
    /// A signed note (checkpoint, block, statement) with up to 100 signature lines, or the
    /// genesis document: a few KiB; 64 KiB leaves room and no more.
    public static let note = 64 * 1024
}

extension AuditError {
    static func tooLarge(_ path: String, limit: Int) -> AuditError {
        AuditError(
            failed: path, "size", expected: "at most \(limit) bytes",
            "the source serves more than a Tamga log publishes there; it is not the public data of a log")
    }
}

/// A static export: the public API written as files under `root` (`checkpoint`, `genesis`,
/// `blocks/<h>`, `blocks/latest`, `tile/<L>/<N>[.p/<W>]`).
public struct DirectorySource: AuditSource {
    public let root: URL
    public let concurrency: Int

    public init(path: String, concurrency: Int = 4) {
        self.root = URL(fileURLWithPath: path, isDirectory: true)
        self.concurrency = max(1, concurrency)
    }

    public var description: String { root.path }

    public func fetch(_ path: String, limit: Int) async throws(AuditError) -> [UInt8]? {
        let url = root.appendingPathComponent(path, isDirectory: false)
        let data: Data?
        do {
            let file = try FileHandle(forReadingFrom: url)
            defer { try? file.close() }
            data = try file.read(upToCount: limit + 1)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile || error.code == .fileNoSuchFile {
            return nil
        } catch {
            throw AuditError(.unavailable, "cannot read \(url.path): \(error.localizedDescription)")
        }
        let bytes = Array(data ?? Data())
        guard bytes.count <= limit else { throw .tooLarge(path, limit: limit) }
        return bytes
    }
}

/// A node's public HTTP API at `base` (for example `https://tamga.example.kz/`), or any web
/// server or CDN serving an export, read with AsyncHTTPClient through `BoundedHTTP`: each
/// request has a deadline over its whole answer, bodies are capped and never decompressed,
/// at most 3 redirects are followed.
public struct HTTPSource: AuditSource {
    public let base: String
    public let concurrency: Int
    /// The deadline of one request, head and body.
    public let timeout: Duration

    /// One client for the process (like `HTTPClient.shared`, it is never shut down), so
    /// connections are reused across fetches.
    private static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: BoundedHTTP.configuration(redirects: 3))

    /// - Throws: `invalidInput` unless `url` is an absolute http or https URL.
    public init(url: String, timeout: Duration = .seconds(30), concurrency: Int = 16) throws(AuditError) {
        let text = url.hasSuffix("/") ? url : url + "/"
        guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
            parsed.host != nil, parsed.query == nil, parsed.fragment == nil
        else {
            throw AuditError(.invalidInput, "--url \(url) is not an http:// or https:// URL of a Tamga node")
        }
        self.base = text
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
    }

    public var description: String { base }

    public func fetch(_ path: String, limit: Int) async throws(AuditError) -> [UInt8]? {
        let url = base + path
        let answer: (status: UInt, body: [UInt8])
        do {
            answer = try await BoundedHTTP.fetch(HTTPClientRequest(url: url), on: Self.client, limit: limit, within: timeout)
        } catch BoundedHTTP.Failure.tooLarge {
            throw .tooLarge(path, limit: limit)
        } catch let error as HTTPClientError where error != .deadlineExceeded {
            throw AuditError(.unavailable, "GET \(url) failed: \(error); check the URL and the network")
        } catch is BoundedHTTP.Failure, is HTTPClientError {
            throw AuditError(
                .unavailable, "GET \(url) did not answer in full within \(timeout): is the node up? Try again or raise --timeout")
        } catch {
            throw AuditError(.unavailable, "GET \(url) failed: \(error); check the URL and the network")
        }
        switch answer.status {
        case 200: return answer.body
        case 404: return nil
        default: throw AuditError(.unavailable, "GET \(url) answered HTTP \(answer.status); try again later")
        }
    }
}
