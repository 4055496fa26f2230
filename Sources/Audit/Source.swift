public import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where the public data comes from: a node's read-only HTTP API or a static export of it
/// (the same paths as files). Nothing read is trusted: every byte is checked against the
/// genesis key and the roots it signed.
///
/// Contract: `fetch` returns the exact bytes at `path` (relative, e.g. `blocks/3`,
/// `tile/0/x001/234.p/17`), `nil` if the source says it has no such resource (HTTP 404, no
/// such file), and throws `unavailable` when it cannot tell (network, timeout, other HTTP
/// status, I/O error). Safe to call concurrently.
public protocol AuditSource: Sendable, CustomStringConvertible {
    func fetch(_ path: String) async throws(AuditError) -> [UInt8]?
    /// How many fetches to keep in flight at once.
    var concurrency: Int { get }
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

    public func fetch(_ path: String) async throws(AuditError) -> [UInt8]? {
        let url = root.appendingPathComponent(path, isDirectory: false)
        do {
            return Array(try Data(contentsOf: url))
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile || error.code == .fileNoSuchFile {
            return nil
        } catch {
            throw AuditError(.unavailable, "cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}

/// A node's public HTTP API at `base` (for example `https://tamga.example.kz/`), read with
/// URLSession: one session per run, so connections are reused, with a per-request timeout.
public struct HTTPSource: AuditSource {
    public let base: URL
    public let concurrency: Int
    public let timeout: TimeInterval
    private let session: URLSession

    /// - Throws: `invalidInput` unless `url` is an absolute http or https URL.
    public init(url: String, timeout: TimeInterval = 30, concurrency: Int = 16) throws(AuditError) {
        let text = url.hasSuffix("/") ? url : url + "/"
        guard let base = URL(string: text), let scheme = base.scheme?.lowercased(), scheme == "http" || scheme == "https",
            base.host != nil
        else {
            throw AuditError(.invalidInput, "--url \(url) is not an http:// or https:// URL of a Tamga node")
        }
        self.base = base
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 4
        configuration.httpMaximumConnectionsPerHost = self.concurrency
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        self.session = URLSession(configuration: configuration)
    }

    public var description: String { base.absoluteString }

    public func fetch(_ path: String) async throws(AuditError) -> [UInt8]? {
        guard let url = URL(string: path, relativeTo: base)?.absoluteURL else {
            throw AuditError(.invalidInput, "cannot form a URL for \(path) under \(base)")
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let error as URLError where error.code == .timedOut {
            throw AuditError(.unavailable, "GET \(url.absoluteString) timed out after \(Int(timeout)) s: is the node up? Try again or raise --timeout")
        } catch {
            throw AuditError(.unavailable, "GET \(url.absoluteString) failed: \(error.localizedDescription); check the URL and the network")
        }
        guard let status = (response as? HTTPURLResponse)?.statusCode else {
            throw AuditError(.unavailable, "GET \(url.absoluteString) did not answer with HTTP")
        }
        switch status {
        case 200: return Array(data)
        case 404: return nil
        default:
            throw AuditError(.unavailable, "GET \(url.absoluteString) answered HTTP \(status); try again later")
        }
    }
}
