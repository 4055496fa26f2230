import Codecs
import Explorer
import Foundation
public import HSMBoundary
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Ledger
public import LedgerFormats
public import Logging
import PublicAPI
public import PublicLog
public import ServiceAPI
import SignCore
public import Sodium
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
        let started = try await ledger.append(EventRecord(.nodeStart, owner: operatorID))
        logger.info("sequencing", metadata: ["treeSize": "\(started.treeSize)", "blocks": "\(ledger.head.blockCount)"])
        try? await gracefulShutdown()
        let stopped = try await ledger.append(EventRecord(.nodeStop, owner: operatorID))
        logger.info("stopping", metadata: ["treeSize": "\(stopped.treeSize)"])
    }
}

/// The node: one process that sequences, seals and serves. It is the one place that sees the
/// ledger whole and hands each part its narrow door: the public face reads it as a
/// `PublicLogReader`, the HSM journals through it as an `HSMJournal`, the service layer reads
/// owners' entries as a `ServiceJournal`.
public enum NodeServices {
    /// The public application (read-only API and explorer pages) on `host:port`.
    public static func publicApplication(
        log: any PublicLogReader, witnesses: WitnessClient? = nil, host: String, port: Int,
        limits: ListenerLimits = ListenerLimits(), logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        var statuses: (@Sendable () -> [PublicAPI.WitnessStatus])?
        if let witnesses {
            statuses = {
                witnesses.status.map {
                    PublicAPI.WitnessStatus(
                        name: $0.name, cosignedSize: $0.cosignedSize, cosignedTime: $0.cosignedTime, failures: $0.failures,
                        alarms: $0.alarms)
                }
            }
        }
        let api = try PublicAPI(log: log, witnesses: statuses)
        let router = api.buildRouter()
        addExplorerRoutes(to: router, api: api)
        return Application(
            router: router, server: http1(limits),
            configuration: .init(address: .hostname(host, port: port), serverName: "tamga"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// The service application (CSC signing, owners, operators) on the configured service
    /// address, with TLS when the configuration names a certificate and key.
    public static func serviceApplication(
        api: ServiceAPI, configuration: NodeConfiguration, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        var server = http1(configuration.listenerLimits)
        if let certificate = configuration.serviceTLSCertificate, let key = configuration.serviceTLSKey {
            do {
                server = try .tls(
                    http1(configuration.listenerLimits),
                    tlsConfiguration: .makeServerConfiguration(
                        certificateChain: NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                        privateKey: .privateKey(NIOSSLPrivateKey(file: key, format: .pem))))
            } catch {
                throw NodeError("cannot load the service API's TLS certificate \(certificate) or key \(key): \(error)")
            }
        }
        return Application(
            router: api.buildRouter(), server: server,
            configuration: .init(
                address: .hostname(configuration.serviceHost, port: configuration.servicePort), serverName: "tamga"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.servicePort) },
            logger: logger)
    }

    /// Raises this process's open-file limit towards its hard limit so that both listeners can
    /// hold `maxConnections` each beside the store's files; returns the limit now in force and
    /// whether it is enough.
    public static func raiseFileLimit(for configuration: NodeConfiguration) -> (limit: Int, enough: Bool) {
        let needed = 2 * configuration.maxConnections + 256
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, false) }
        if limit.rlim_cur < rlim_t(needed), limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, rlim_t(needed))
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let current = Int(clamping: limit.rlim_cur)
        return (current, current >= needed)
    }

    /// The locked memory the secrets need: every open SAD holds its key in locked pages (libsodium
    /// locks at least a page per secret, and silently leaves it swappable past the limit).
    public static let lockedMemoryNeeded = 64 << 20

    /// This process's locked-memory limit in bytes (nil: unlimited).
    public static func lockedMemoryLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit) == 0 else { return 0 }
        return limit.rlim_cur == rlim_t.max ? nil : Int(clamping: limit.rlim_cur)  // RLIM_INFINITY
    }

    /// HTTP/1.1 with a listener's limits: one connection table per listener, a guard per connection.
    static func http1(_ limits: ListenerLimits) -> HTTPServerBuilder {
        let table = ConnectionTable(limit: limits.maxConnections)
        return .http1(configuration: .init(additionalChannelHandlers: [limits.handler(table)]))
    }

    /// The embedded HSM and the service API over it, or nil when the configuration names no
    /// biometric service (a public-only node). `devBiometricKey` stands in for the CA's
    /// biometric service (`--dev` only): its public key replaces the configured one.
    public static func serviceAPI(
        ledger: Ledger, hsm: any HSMBackend, configuration: NodeConfiguration,
        devBiometricKey: Ed25519.PrivateKey? = nil
    ) throws -> ServiceAPI? {
        let serviceKey: [UInt8]
        if let devBiometricKey {
            serviceKey = devBiometricKey.publicKey
        } else if let configured = configuration.biometricServiceKey, let bytes = Base64.decode(configured) {
            serviceKey = bytes
        } else {
            return nil
        }
        var policy = SignCore.Configuration(biometricServiceKey: serviceKey, origin: ledger.genesis.origin)
        policy.transportKeyLifetime = Int64(configuration.transportKeyHours * 3600)
        policy.requireTOTP = configuration.requireTOTP
        policy.operatorID = configuration.operatorID
        policy.minimumBiometricScore = Int64(configuration.minimumBiometricScore)
        policy.argon2 = .init(iterations: UInt64(configuration.argon2Passes), memoryBytes: configuration.argon2MemoryMiB << 20)
        let signCore = try SignCore(journal: ledger, backend: hsm, configuration: policy)
        var settings = ServiceAPI.Configuration(operatorID: configuration.operatorID)
        settings.requestLimit = RateLimit(
            perMinute: configuration.requestsPerMinute, burst: max(1, configuration.requestsPerMinute / 6))
        settings.addressPrefixV4 = configuration.addressPrefixV4
        settings.addressPrefixV6 = configuration.addressPrefixV6
        settings.operatorTokenSHA256 = configuration.operatorTokenSHA256.flatMap { bytes(hex: $0) }
        settings.devBiometricKey = devBiometricKey
        return ServiceAPI(journal: ledger, signCore: signCore, configuration: settings)
    }

    /// The witness policy of `configuration`, read and checked against this log, or nil.
    public static func witnessPolicy(_ configuration: NodeConfiguration, ledger: Ledger) throws -> WitnessPolicy? {
        guard let path = configuration.witnessPolicy else { return nil }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw NodeError("cannot read the witness policy \(path)")
        }
        let policy: WitnessPolicy
        do {
            policy = try WitnessPolicy(parsing: Array(bytes))
        } catch {
            throw NodeError("the witness policy \(path) is invalid: \(error.message)")
        }
        if !policy.logs.isEmpty, !policy.logs.contains(where: { $0.verifier == ledger.verifier }) {
            throw NodeError("the witness policy \(path) lists logs, but not this one (\(ledger.genesis.verifierKey))")
        }
        guard policy.witnesses.contains(where: { $0.url != nil }) || policy.requiresNoWitness else {
            throw NodeError("the witness policy \(path) gives no witness a URL: the node could not submit to any")
        }
        return policy
    }

    /// The whole node as one service group, shut down gracefully on SIGTERM and SIGINT. Without
    /// `service` (no biometric service configured) only the public listener runs; with a
    /// witness policy the witness client runs too, and `extra` services (dev witnesses) first.
    /// `onListening` gets each listener's name (`public`, `service`) and port once it listens
    /// (port 0 picks one).
    public static func serviceGroup(
        ledger: Ledger, configuration: NodeConfiguration, service: ServiceAPI? = nil, policy: WitnessPolicy? = nil,
        extra: [any Service] = [], logger: Logger,
        onListening: @escaping @Sendable (_ listener: String, _ port: Int) async -> Void = { _, _ in }
    ) throws -> ServiceGroup {
        let witnesses = policy.map {
            WitnessClient(
                ledger: ledger, policy: $0, interval: .milliseconds(Int64(configuration.witnessInterval * 1000)),
                operatorID: configuration.operatorID, logger: logger)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = extra.map { .init(service: $0) }
        services += [
            .init(service: LedgerService(ledger: ledger, operatorID: configuration.operatorID, logger: logger)),
            .init(
                service: try publicApplication(
                    log: ledger, witnesses: witnesses, host: configuration.publicHost, port: configuration.publicPort,
                    limits: configuration.listenerLimits, logger: logger, onServerRunning: { await onListening("public", $0) })),
        ]
        if let witnesses { services.append(.init(service: witnesses)) }
        if let service {
            // After the ledger, so it stops (and journals the last counts) before the ledger does.
            services.append(.init(service: RefusalFlusher(api: service, logger: logger)))
            services.append(
                .init(
                    service: try serviceApplication(
                        api: service, configuration: configuration, logger: logger,
                        onServerRunning: { await onListening("service", $0) })))
        }
        return ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }

}

/// Journals the counts of refused requests (`SignCore.flushRefusals`) every few seconds once
/// their minute has ended, and all of them at shutdown.
struct RefusalFlusher: Service {
    let api: ServiceAPI
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(5)) }
            await flush(all: false)
        }
        await flush(all: true)
    }

    private func flush(all: Bool) async {
        do {
            try await api.flushRefusals(all: all)
        } catch {
            logger.warning("the counts of refused requests wait for the journal", metadata: ["error": "\(error)"])
        }
    }
}

/// The service layer reads owners' entries and receipts from the ledger (it has them all).
extension Ledger: ServiceJournal {}
