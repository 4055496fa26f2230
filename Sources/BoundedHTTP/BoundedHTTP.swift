public import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// HTTP to servers Tamga does not trust (a node under audit, a witness, a log whose tiles a
/// witness checks): every request has a deadline that Tamga enforces over the head *and* the
/// whole body (AsyncHTTPClient's own ends with the head, so a server trickling a byte every
/// few seconds would otherwise hold the caller), and a body is read up to a cap and no
/// further. Bodies are never decompressed (`configuration`).
public enum BoundedHTTP {
    /// A request that did not complete within its deadline, or a 200 body over its cap.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        case deadline(Duration)
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case .deadline(let deadline): "no complete answer within \(deadline)"
            case .tooLarge(let limit): "the answer is larger than the \(limit) bytes it can be"
            }
        }
    }

    /// A client configuration for such servers: no automatic decompression (a small gzip body
    /// must not inflate into gigabytes), at most `redirects` redirects, and a connect timeout.
    public static func configuration(redirects: Int = 0, connectTimeout: Duration = .seconds(5)) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = redirects > 0 ? .follow(max: redirects, allowCycles: false) : .disallow
        configuration.timeout = .init(connect: .init(connectTimeout), read: .init(connectTimeout * 4))
        configuration.decompression = .disabled
        return configuration
    }

    /// Sends `request` and reads the answer within `deadline`. A 200 body longer than `limit`
    /// fails with `tooLarge` as soon as the cap is passed; any other status returns at most
    /// `limit` bytes of its body (an error page is read only as far as it can matter).
    /// - Throws: `Failure`, or AsyncHTTPClient's error for a connection or protocol failure.
    public static func fetch(
        _ request: HTTPClientRequest, on client: HTTPClient, limit: Int, within deadline: Duration
    ) async throws -> (status: UInt, body: [UInt8]) {
        try await withThrowingTaskGroup(of: (UInt, [UInt8])?.self) { group in
            group.addTask {
                let response = try await client.execute(request, timeout: .init(deadline))
                var body: [UInt8] = []
                for try await chunk in response.body {
                    guard body.count + chunk.readableBytes <= limit else {
                        if response.status == .ok { throw Failure.tooLarge(limit: limit) }
                        body += chunk.readableBytesView.prefix(limit - body.count)
                        break
                    }
                    body += chunk.readableBytesView
                }
                return (response.status.code, body)
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next() ?? nil else { throw Failure.deadline(deadline) }
            return answer
        }
    }
}
