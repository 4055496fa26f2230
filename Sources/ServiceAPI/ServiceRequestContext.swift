public import Hummingbird
public import NIOCore
import Synchronization

/// The service API's request context: the client's address (for rate limits) and a note the
/// handler leaves for the request log (the key it acted on).
public struct ServiceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    let note = RequestNote()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Shared by the copies of one request's context: the middleware reads what the handler wrote.
final class RequestNote: Sendable {
    private let keyID = Mutex<String?>(nil)

    var key: String? {
        get { keyID.withLock { $0 } }
        set { keyID.withLock { $0 = newValue } }
    }
}
