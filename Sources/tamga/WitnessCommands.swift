import ArgumentParser
import Foundation
import Hummingbird
import LedgerFormats
import Logging
import ServiceLifecycle
import UnixSignals
import Witness

/// `tamga witness`: a C2SP tlog-witness for any log, with the Tamga daily-block statement.
struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Run a witness: cosign logs' checkpoints that are consistent with what it cosigned before.",
        discussion: """
            A witness (C2SP tlog-witness v1.0.0) checks every checkpoint a log submits against the \
            last one it cosigned for that log, and cosigns it (tlog-cosignature v1.0.1) only if \
            the log grew append-only. For a Tamga log it also checks each daily block against the \
            previous one and cosigns that under a second key. See docs/witnessing.md.

            Examples:
              tamga witness init --data /var/lib/tamga-witness --name witness.example.kz/w1
              tamga witness run --data /var/lib/tamga-witness --logs /etc/tamga-witness/logs --listen 0.0.0.0:8090
            """,
        subcommands: [Init.self, Run.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a witness: its master key, two sealed cosigning keys and an empty store.",
            discussion: "Prints the two verifier keys (vkeys) for the logs' witness policies. The master key is mode 0600: back it up, never share it."
        )

        @Option(help: ArgumentHelp("The witness's data folder (must not hold a witness yet).", valueName: "dir"))
        var data: String
        @Option(help: ArgumentHelp("The witness's name, by convention a URL without scheme.", valueName: "name"))
        var name: String

        func run() throws {
            let keys = try WitnessFolder.create(at: data, name: name)
            print("created the witness \(keys.name) in \(data)")
            print("  cosigner key        \(keys.cosigner.verifierKey)")
            print("  Tamga block key     \(keys.blockCosigner.verifierKey)")
            print("For a log's policy file (tlog-policy), with this witness's submission URL:")
            print("  witness <local name> \(keys.cosigner.verifierKey) http://HOST:PORT")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve POST <prefix>/add-checkpoint until SIGTERM or SIGINT.",
            discussion: """
                The logs file lists the logs witnessed, one per line: `log <vkey>` for any C2SP log, \
                `log <vkey> tamga <genesis sha256 hex> [<public url>]` for a Tamga log (its blocks \
                are checked too; with its URL, each day root is recomputed from the log's tiles).
                """
        )

        @Option(help: ArgumentHelp("The witness's data folder (tamga witness init).", valueName: "dir"))
        var data: String
        @Option(help: ArgumentHelp("The file listing the logs to witness.", valueName: "file"))
        var logs: String
        @Option(help: ArgumentHelp("Where to listen.", valueName: "host:port"))
        var listen: String = "127.0.0.1:8090"
        @Option(help: ArgumentHelp("The submission prefix: a path before /add-checkpoint.", valueName: "path"))
        var prefix: String = ""
        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        func validate() throws {
            guard prefix.isEmpty || (prefix.hasPrefix("/") && !prefix.hasSuffix("/")) else {
                throw ValidationError("--prefix must be empty or a path like /witness, without a final /")
            }
        }

        func run() async throws {
            var logger = Logger(label: "tamga-witness")
            logger.logLevel = try Logger.Level(rawValue: logLevel).orThrow(ValidationError("unknown log level '\(logLevel)'"))
            let (host, port) = try NodeCommand.address(listen)
            guard let text = FileManager.default.contents(atPath: logs) else {
                throw ValidationError("cannot read the logs file \(logs)")
            }
            let list = try LogList(parsing: String(decoding: text, as: UTF8.self))
            let (witness, keys) = try WitnessFolder(data).open(logs: list)
            logger.notice(
                "witness", metadata: ["name": "\(keys.name)", "logs": "\(list.logs.count)", "listen": "\(host):\(port)"])
            let app = Application(
                router: WitnessServer.router(witness, prefix: prefix),
                configuration: .init(address: .hostname(host, port: port), serverName: "tamga-witness"),
                onServerRunning: { channel in
                    // The port actually bound (--listen HOST:0 picks a free one).
                    let url = "http://\(host):\(channel.localAddress?.port ?? port)\(prefix)/add-checkpoint"
                    FileHandle.standardOutput.write(Data("tamga witness: listening on \(url)\n".utf8))
                },
                logger: logger)
            do {
                try await ServiceGroup(
                    configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
                ).run()
            } catch {
                try? await witness.shutdown()
                throw error
            }
            try await witness.shutdown()
        }
    }
}
