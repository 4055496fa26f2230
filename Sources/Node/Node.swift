import Explorer
public import Hummingbird
public import Ledger
import LedgerFormats
public import Logging
import PublicAPI
public import ServiceLifecycle
import UnixSignals

/// Runs the ledger's writer for the lifetime of the node: journals `node.start`, waits for the
/// graceful-shutdown signal, journals `node.stop`, then drains and joins the writer. In the
/// service group it comes first, so it stops last: after the listeners have stopped taking
/// requests, every append already accepted is committed before the process exits.
public struct LedgerService: Service {
    public let ledger: Ledger
    let operatorID: String
    let logger: Logger

    public init(ledger: Ledger, operatorID: String, logger: Logger) {
        self.ledger = ledger
        self.operatorID = operatorID
        self.logger = logger
    }

    public func run() async throws {
        ledger.start()
        defer { ledger.shutdown() }
        let started = try await ledger.append(EventRecord(event: .nodeStart, owner: operatorID))
        logger.info("sequencing", metadata: ["treeSize": "\(started.treeSize)", "blocks": "\(ledger.current.blockCount)"])
        try? await gracefulShutdown()
        let stopped = try await ledger.append(EventRecord(event: .nodeStop, owner: operatorID))
        logger.info("stopping", metadata: ["treeSize": "\(stopped.treeSize)"])
    }
}

/// The node: one process that sequences, seals and serves.
public enum Node {
    /// The public application (read-only API and explorer pages) on `host:port`.
    public static func publicApplication(
        ledger: Ledger, host: String, port: Int, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let api = PublicAPI(ledger: ledger)
        let router = api.buildRouter()
        addExplorerRoutes(to: router, ledger: ledger)
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tamga"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// The whole node as one service group, shut down gracefully on SIGTERM and SIGINT.
    public static func serviceGroup(ledger: Ledger, configuration: NodeConfiguration, logger: Logger) -> ServiceGroup {
        let publicApp = publicApplication(
            ledger: ledger, host: configuration.publicHost, port: configuration.publicPort, logger: logger)
        return ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: LedgerService(ledger: ledger, operatorID: configuration.operatorID, logger: logger)),
                    .init(service: publicApp),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
    }
}
