import ArgumentParser
import Foundation
import Ledger
import LedgerFormats
import Logging
import Node
import ServiceLifecycle

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run the node: sequence events, seal a block every midnight, serve the public API.",
        discussion: """
            The public API (read-only: checkpoint, tiles, blocks, proofs, explorer page) listens on \
            --public (default 127.0.0.1:8080); bind it to 0.0.0.0 to publish the chain. SIGTERM or \
            SIGINT stops the node gracefully: listeners stop, queued events are committed, the store \
            is closed. Settings come from --config (JSON, see docs/configuration.md), then flags.

            --dev creates a development chain in the data folder if there is none (origin \
            dev.tamga.local/log, starting three days ago so the explorer shows blocks) and runs it.
            """
    )

    @Option(help: ArgumentHelp("A JSON configuration file (docs/configuration.md).", valueName: "file"))
    var config: String?
    @Option(help: ArgumentHelp("The data folder (overrides the configuration's).", valueName: "dir"))
    var data: String?
    @Option(name: .customLong("public"), help: ArgumentHelp("Public API address.", valueName: "host:port"))
    var publicAddress: String?
    @Flag(help: "Create a development chain in the data folder if it has none.")
    var dev = false
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
        var logger = Logger(label: "tamga")
        logger.logLevel = try Logger.Level(rawValue: logLevel).orThrow(ValidationError("unknown log level '\(logLevel)'"))
        let folder = DataFolder(settings.data)
        if dev, !FileManager.default.fileExists(atPath: folder.genesis) {
            let created = try createDevChain(folder)
            logger.notice("created a dev chain", metadata: ["data": "\(folder.path)", "verifierKey": "\(created.verifierKey)"])
        }
        let ledger = try Ledger.open(folder: folder)
        print("tamga node: chain \(ledger.genesis.origin) in \(folder.path)")
        print("  public API and explorer  http://\(settings.publicHost):\(settings.publicPort)/")
        print("  verifier key             \(ledger.genesis.verifierKey)")
        try await Node.serviceGroup(ledger: ledger, configuration: settings, logger: logger).run()
    }

    static func address(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("expected host:port, got '\(text)'")
        }
        return (String(text[..<colon]), port)
    }
}


