import Codecs
import ArgumentParser
import Crypto
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import Logging
import Node
import ServiceLifecycle
import Sodium

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run the node: sequence events, seal a block every midnight, serve the public and service APIs.",
        discussion: """
            The public API (read-only: checkpoint, tiles, blocks, proofs, explorer page) listens on \
            --public (default 127.0.0.1:8080); bind it to 0.0.0.0 to publish the chain. The service API \
            (CSC v2 signing, owners' enrolment and cabinet, operator actions; docs/service-api.md) \
            listens on --service (default 127.0.0.1:8081) when the configuration names the CA's \
            biometric service key (or with --dev); keep it off the Internet. SIGTERM or \
            SIGINT stops the node gracefully: listeners stop, queued events are committed, the store \
            is closed. Settings come from --config (JSON, see docs/configuration.md), then flags.

            --dev creates a development chain in the data folder if there is none (origin \
            dev.tamga.local/log, starting three days ago so the explorer shows blocks) and runs it, \
            with a stand-in biometric service at POST /dev/v1/biometric (a key made at start, in \
            memory) so that tools/demo can sign. Never use --dev for real keys.

            --dev --dev-witnesses also runs three witnesses in this process (folders under <data>/dev-witnesses/, ports public+11 to public+13) with a 2-of-3 policy: /checkpoint then serves what two of them cosigned, and the explorer names them. With a real policy (witnessPolicy in the configuration) see docs/witnessing.md.

            Examples:
              tamga node --dev
              tamga node --dev --dev-witnesses     # then: curl localhost:8080/checkpoint
              tamga node --config /etc/tamga/node.json
            """
    )

    @Option(help: ArgumentHelp("A JSON configuration file (docs/configuration.md).", valueName: "file"))
    var config: String?
    @Option(help: ArgumentHelp("The data folder (overrides the configuration's).", valueName: "dir"))
    var data: String?
    @Option(name: .customLong("public"), help: ArgumentHelp("Public API address.", valueName: "host:port"))
    var publicAddress: String?
    @Option(name: .customLong("service"), help: ArgumentHelp("Service API address.", valueName: "host:port"))
    var serviceAddress: String?
    @Flag(help: "Create a development chain in the data folder if it has none; stand-in biometric service.")
    var dev = false
    @Flag(help: "With --dev: run three local witnesses (ports public+11...13) and a 2-of-3 witness policy.")
    var devWitnesses = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        var settings = try config.map { try NodeConfiguration.load(from: $0) } ?? NodeConfiguration()
        if let data { settings.data = data }
        if let publicAddress {
            let (host, port) = try Self.address(publicAddress)
            settings.publicHost = host
            settings.publicPort = port
        }
        if let serviceAddress {
            let (host, port) = try Self.address(serviceAddress)
            settings.serviceHost = host
            settings.servicePort = port
        }
        var logger = Logger(label: "tamga")
        logger.logLevel = try Logger.Level(rawValue: logLevel).orThrow(ValidationError("unknown log level '\(logLevel)'"))
        let folder = DataFolder(settings.data)
        if dev, !FileManager.default.fileExists(atPath: folder.genesis) {
            let created = try createDevChain(folder)
            logger.notice("created a dev chain", metadata: ["data": "\(folder.path)", "verifierKey": "\(created.verifierKey)"])
        }
        let hsm = try Ledger.softwareHSM(folder)
        let ledger = try Ledger.open(folder: folder, hsm: hsm)
        print("tamga node: chain \(ledger.genesis.origin) in \(folder.path)")
        print("  public API and explorer  http://\(settings.publicHost):\(settings.publicPort)/")
        print("  verifier key             \(ledger.genesis.verifierKey)")
        let service = try NodeServices.serviceAPI(
            ledger: ledger, hsm: hsm, configuration: settings, devBiometricKey: dev ? try Ed25519.PrivateKey() : nil)
        if service != nil {
            let scheme = settings.serviceTLSCertificate == nil ? "http" : "https"
            print("  service API (CSC v2)     \(scheme)://\(settings.serviceHost):\(settings.servicePort)/csc/v2/info")
            if dev { print("  dev biometric stand-in   POST /dev/v1/biometric (try tools/demo)") }
        } else {
            logger.warning("service API off: set biometricServiceKey in the configuration to sign (docs/configuration.md)")
        }
        var extra: [any Service] = []
        if devWitnesses {
            guard dev, settings.publicPort != 0 else {
                throw ValidationError("--dev-witnesses runs with --dev and a fixed --public port (its witnesses take the next ports)")
            }
            let witnesses = try DevWitnesses.prepare(data: folder.path, ledger: ledger, basePort: settings.publicPort + 10, logger: logger)
            extra = witnesses.services
            settings.witnessPolicy = witnesses.policy
            print("  dev witnesses            http://127.0.0.1:\(settings.publicPort + 11)...\(settings.publicPort + 13), 2 of 3 cosign")
        }
        let policy = try NodeServices.witnessPolicy(settings, ledger: ledger)
        let files = NodeServices.raiseFileLimit(for: settings)
        if !files.enough {
            logger.warning(
                "the open-file limit is low for maxConnections: a flood of connections could exhaust it",
                metadata: [
                    "limit": "\(files.limit)", "maxConnections": "\(settings.maxConnections)",
                    "fix": "raise LimitNOFILE (systemd) or ulimit -n, or lower maxConnections",
                ])
        }
        if service != nil, let locked = NodeServices.lockedMemoryLimit(), locked < NodeServices.lockedMemoryNeeded {
            logger.warning(
                "the locked-memory limit is low: past it, secrets (unwrapped keys of open SADs) could be swapped to disk",
                metadata: [
                    "limitBytes": "\(locked)", "neededBytes": "\(NodeServices.lockedMemoryNeeded)",
                    "fix": "raise LimitMEMLOCK (systemd) or ulimit -l to 64 MiB or more",
                ])
        }
        let hosts = ["public": settings.publicHost, "service": settings.serviceHost]
        try await NodeServices.serviceGroup(
            ledger: ledger, configuration: settings, service: service, policy: policy, extra: extra, logger: logger,
            onListening: { listener, port in
                print("tamga node: \(listener) API listening on \(hosts[listener] ?? ""):\(port)")
                fflush(nil)  // a test or a supervisor reads the line at once
            }
        ).run()
    }

    static func address(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("expected host:port, got '\(text)'")
        }
        return (String(text[..<colon]), port)
    }
}

struct OperatorToken: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator-token",
        abstract: "Print the SHA-256 of an operator token, for the configuration's operatorTokenSHA256.",
        discussion: """
            The operator routes of the service API take `Authorization: Bearer TOKEN`. The node keeps \
            only the token's hash. Make a token where it will be kept (a password manager), then pipe \
            it in; the token is read from standard input and never printed:

              openssl rand -base64 32 | tee /dev/tty | tamga operator-token
            """
    )

    func run() throws {
        guard let line = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !line.isEmpty else {
            throw ValidationError("no token on standard input: pipe the token in, e.g. `tamga operator-token < token.txt`")
        }
        guard line.utf8.count >= 32 else {
            throw ValidationError("the token has \(line.utf8.count) characters; use at least 32 random ones (openssl rand -base64 32)")
        }
        print(hex(SHA256.hash(data: Data(line.utf8))))
    }
}
