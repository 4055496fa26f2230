import Codecs
import ArgumentParser
import Foundation
import Ledger
import LedgerFormats

@main
struct Tamga: AsyncParsableCommand {
    /// Every file Tamga makes (the store's, keys, backups) is the node user's alone (0600,
    /// folders 0700), whatever the folder it is made in: LevelDB creates its files with the
    /// process's umask.
    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "tamga",
        abstract: "The cloud-signature core and public audit ledger of a certification centre.",
        discussion: """
            Every key event goes into a journal that is an RFC 9162 Merkle log with signed \
            checkpoints; every day of the genesis time zone closes with a signed block chained to \
            the one before. Start with `tamga init`, then `tamga demo` or `tamga journal append`.
            """,
        subcommands: [
            NodeCommand.self, Init.self, JournalCommand.self, ReceiptCommand.self, ChainCommand.self, HSM.self, OperatorToken.self,
            WitnessCommand.self,
            Demo.self,
        ]
    )
}

/// `--data DIR`, shared by every command that works on a data folder.
struct DataOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's data folder (genesis, keys, store).", valueName: "dir"))
    var data: String = ".tamga-dev"

    var folder: DataFolder { DataFolder(data) }
}

/// Prints to standard error, for progress and diagnostics that must not mix with output.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new chain: master key, log key, genesis document and an empty store.",
        discussion: """
            Writes into the data folder: master.key (32 random bytes, mode 0600: keep it secret and \
            backed up; if a master.key is already there it is used), log-key.sealed (the log's Ed25519 \
            key, sealed under the master key), genesis.json (public: publish it and its hash) and the \
            LevelDB store. Prints the genesis hash and the log's verifier key. Refuses a folder that \
            already holds a chain. Atomic: a killed run leaves no partial chain, and the next run \
            removes what it left.
            """
    )

    @OptionGroup var data: DataOption
    @Option(help: "The log's name, by convention a URL without scheme, e.g. tamga.example.kz/log.")
    var origin: String
    @Option(help: "IANA time zone whose midnights close the days.")
    var timeZone: String = "Asia/Almaty"
    @Option(help: "The first day of the chain, YYYY-MM-DD (default: today in the time zone). Not in the future.")
    var startDate: String?

    func run() async throws {
        let zone = try TimeZone(identifier: timeZone).orThrow(ValidationError("unknown time zone '\(timeZone)': use an IANA name such as Asia/Almaty"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let now = calendar.dateComponents([.year, .month, .day], from: Date())
        let today = try LocalDate(year: now.year ?? 1970, month: now.month ?? 1, day: now.day ?? 1)
        let start = try startDate.map { try LocalDate(parsing: $0) } ?? today
        guard start <= today else {
            throw ValidationError("--start-date \(start) is in the future (today is \(today) in \(timeZone)); a chain starts today or earlier")
        }
        let created = try Ledger.create(folder: data.folder, origin: origin, timeZone: timeZone, startDate: start)
        if created.removedLeftovers { print("removed what an earlier, interrupted tamga init left in \(data.folder.path)") }
        print("created a chain in \(data.folder.path)")
        if created.createdMasterKey { print("  master key   \(data.folder.masterKey) (new; mode 0600: back it up, never share it)") }
        print("  genesis      \(data.folder.genesis)")
        print("  genesis hash \(hex(created.genesisHash))")
        print("  verifier key \(created.verifierKey)")
        print("  days close at midnight \(timeZone), first day \(start)")
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> any Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
