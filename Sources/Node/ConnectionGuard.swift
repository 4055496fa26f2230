public import NIOCore
import NIOHTTPTypes
import Synchronization

/// What one listener allows its clients: how many connections at once and how long each part
/// of a request may take. Slow clients cannot starve the node: a connection that has not sent
/// a whole request head in time, or a body, or is idle between requests, is closed; and when
/// the listener is full, the connection that has waited longest for a request head is closed
/// to make room (a request already read is never cut), so a few hundred half-sent requests
/// neither exhaust file descriptors nor keep `/health` or a signature out.
public struct ListenerLimits: Sendable, Equatable {
    /// Open connections at most; past it, the oldest one waiting for a request head goes.
    public var maxConnections = 1_000
    /// From connecting to the whole head of the first request (request line and headers).
    public var headerTimeout: TimeAmount = .seconds(10)
    /// From the head to the end of the body.
    public var bodyTimeout: TimeAmount = .seconds(30)
    /// From the end of a response to the whole head of the next request (keep-alive).
    public var idleTimeout: TimeAmount = .seconds(60)

    public init() {}

    /// The handler for one new connection (Hummingbird's `additionalChannelHandlers`).
    func handler(_ table: ConnectionTable) -> ConnectionGuard { ConnectionGuard(limits: self, table: table) }
}

/// The open connections of one listener, with those that wait for a request head (which may be
/// closed to make room).
final class ConnectionTable: Sendable {
    private struct State {
        var open = 0
        var nextID: UInt64 = 0
        /// Connections waiting for a request head, by id (ids grow with time).
        var waiting: [UInt64: any Channel] = [:]
    }
    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) { self.limit = max(1, limit) }

    var openConnections: Int { state.withLock { $0.open } }

    /// Admits a new connection: its id, and the connection to close to make room (nil if
    /// there was room). When every open connection is busy with a request, the new one is
    /// the one to close.
    func admit(_ channel: any Channel) -> (id: UInt64, evict: (any Channel)?) {
        state.withLock { state in
            state.nextID += 1
            let id = state.nextID
            state.open += 1
            state.waiting[id] = channel
            guard state.open > limit else { return (id, nil) }
            let oldest = state.waiting.keys.min() ?? id
            return (id, state.waiting.removeValue(forKey: oldest))
        }
    }

    func waiting(_ id: UInt64, _ channel: (any Channel)?) {
        state.withLock { $0.waiting[id] = channel }
    }

    func closed(_ id: UInt64) {
        state.withLock { state in
            state.open -= 1
            state.waiting[id] = nil
        }
    }
}

/// Watches one connection's requests: a deadline for each head, body and idle wait (see
/// `ListenerLimits`), and the connection's place in its listener's table. A request moves the
/// deadline, a field write; one timer per connection fires at the deadline it last saw and
/// looks again, so no timer is scheduled per request.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ListenerLimits
    private let table: ConnectionTable
    private var id: UInt64?
    /// When the connection is closed unless something happens first; nil while a request is
    /// being answered (the handler's time is not the client's).
    private var deadline: NIODeadline?
    private var timer: Scheduled<Void>?
    /// When `timer` fires.
    private var armedFor: NIODeadline?

    init(limits: ListenerLimits, table: ConnectionTable) {
        self.limits = limits
        self.table = table
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let admitted = table.admit(context.channel)
        id = admitted.id
        admitted.evict?.close(promise: nil)
        close(after: limits.headerTimeout, context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        forget()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            if let id { table.waiting(id, nil) }
            close(after: limits.bodyTimeout, context)
        case .end:
            deadline = nil
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            if let id { table.waiting(id, context.channel) }
            close(after: limits.idleTimeout, context)
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        forget()
        context.fireChannelInactive()
    }

    private func forget() {
        timer?.cancel()
        timer = nil
        deadline = nil
        if let id { table.closed(id) }
        id = nil
    }

    /// A later deadline than the armed one costs nothing now (the timer looks again when it
    /// fires); only an earlier one re-arms it.
    private func close(after delay: TimeAmount, _ context: ChannelHandlerContext) {
        let due = NIODeadline.now() + delay
        deadline = due
        if let armedFor, timer != nil, armedFor <= due { return }
        timer?.cancel()
        arm(context.eventLoop, context.channel)
    }

    private func arm(_ loop: any EventLoop, _ channel: any Channel) {
        guard let deadline else { return }
        let this = NIOLoopBound(self, eventLoop: loop)
        armedFor = deadline
        timer = loop.scheduleTask(deadline: deadline) {
            let guardian = this.value
            guardian.timer = nil
            guard let due = guardian.deadline else { return }  // answering: re-armed when the wait starts
            if due <= .now() {
                channel.close(promise: nil)
            } else {
                guardian.arm(loop, channel)
            }
        }
    }
}
