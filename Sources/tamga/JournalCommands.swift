import ArgumentParser
import Foundation
import HSMBoundary
import Ledger
import LedgerFormats
import MerkleLog
import PublicLog

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Append events to the journal and read them back (operators and development).",
        subcommands: [Append.self, Show.self, Stress.self]
    )

    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append one event; prints its seq, time and leaf hash once it is durable.",
            discussion: """
                Examples:
                  tamga journal append --event key.create --owner 900101300123 --field key=k-1
                  tamga journal append --event key.use --owner 900101300123 \\
                      --json '{"key":"k-1","doc":"<64 hex>","alg":"Ed25519"}'
                Events: \(EventName.known.map(\.rawValue).joined(separator: ", ")).
                key.* events need `key`; key.use also `doc` (SHA-256, lowercase hex) and `alg`.
                key.* events only on a development chain (tamga demo, tamga node --dev): on a
                real chain they come from the HSM alone, so a typed command cannot fake a key's life.
                Not while `tamga node` runs on the same folder (the store admits one process).
                """
        )

        @OptionGroup var data: DataOption
        @Option(help: "The event name.") var event: String
        @Option(help: "The owner's identifier (for node events, the operator's).") var owner: String
        @Option(name: .customLong("field"), help: ArgumentHelp("A string field of the event, name=value (repeatable).", valueName: "name=value"))
        var fields: [String] = []
        @Option(help: ArgumentHelp("More fields as a JSON object of strings and integers.", valueName: "object"))
        var json: String?

        func run() async throws {
            let record = try EventRecord(event: EventName(validating: event), owner: owner, fields: parseFields())
            let ledger = try Ledger.open(folder: data.folder)
            if record.event.rawValue.hasPrefix("key."), try !ledger.isDevelopmentChain {
                throw ValidationError(
                    "\(record.event) events come from the HSM on a real chain; `journal append` writes them only on a development chain (tamga demo, tamga node --dev)"
                )
            }
            ledger.start()
            defer { ledger.shutdown() }
            let appended = try await ledger.append(record)
            print(#"{"leafHash":"\#(appended.leafHash.base64)","seq":\#(appended.seq),"time":"\#(appended.time)","treeSize":\#(appended.treeSize)}"#)
        }

        func parseFields() throws -> [String: FieldValue] {
            var out: [String: FieldValue] = [:]
            if let json {
                guard case .object(let members) = try JSONValue(parsing: Array(json.utf8)) else {
                    throw ValidationError("--json must be a JSON object")
                }
                for (name, value) in members {
                    switch value {
                    case .string(let s): out[name] = .string(s)
                    case .integer(let i): out[name] = .integer(i)
                    default: throw ValidationError("--json field \"\(name)\": only strings and integers are allowed")
                    }
                }
            }
            for field in fields {
                guard let eq = field.firstIndex(of: "=") else {
                    throw ValidationError("--field \(field): expected name=value")
                }
                out[String(field[..<eq])] = .string(String(field[field.index(after: eq)...]))
            }
            return out
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print entries as JSON lines, exactly their stored canonical bytes.",
            discussion: "Entries are personal data: this reads the private store, never publish its output."
        )

        @OptionGroup var data: DataOption
        @Option(help: "The first seq.") var from: UInt64 = 0
        @Option(help: "How many entries at most.") var count: Int = 100

        func run() async throws {
            let ledger = try Ledger.open(folder: data.folder)
            var seq = from
            var left = count
            while left > 0 {
                let entries = try ledger.entries(from: seq, count: min(left, 1000))
                if entries.isEmpty { break }
                for entry in entries { FileHandle.standardOutput.write(Data(entry + [0x0A])) }
                seq += UInt64(entries.count)
                left -= entries.count
            }
        }
    }
}

extension JournalCommand {
    /// Appends as fast as it can and prints `ack <seq>` as each append is acknowledged: the
    /// child process of the crash-safety tests, which kill it at random moments.
    struct Stress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append generated events as fast as possible, printing each acknowledged seq (testing).",
            shouldDisplay: false
        )

        @OptionGroup var data: DataOption
        @Option(help: "Concurrent writers.") var writers: Int = 8
        @Option(help: "Events per writer (default: until killed).") var count: Int = .max

        func run() async throws {
            let ledger = try Ledger.open(folder: data.folder)
            ledger.start()
            defer { ledger.shutdown() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for i in 0..<count {
                            let key = "key-\(writer)-\(i % 7)"
                            let record = try EventRecord(
                                i % 2 == 0 ? .cabinetOpen(key: key) : .authOK(key: key, purpose: "sign", factors: "stress"),
                                owner: "owner-\(writer)")
                            let appended = try await ledger.append(record)
                            FileHandle.standardOutput.write(Data("ack \(appended.seq)\n".utf8))  // unbuffered: the test kills us
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}

struct ReceiptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Print the receipt (C2SP tlog-proof) of one event against the latest checkpoint.",
        discussion: """
            The receipt holds the entry itself (personal data: give it only to its owner) and its \
            inclusion proof. Anyone with the log's verifier key checks it offline, e.g.:
              tamga receipt 0 > event.tlog-proof
            """
    )

    @OptionGroup var data: DataOption
    @Argument(help: "The event's seq.") var seq: UInt64

    func run() async throws {
        let ledger = try Ledger.open(folder: data.folder)
        print(try ledger.receipt(seq: seq).formatted, terminator: "")
    }
}

struct ChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain",
        abstract: "The daily block chain: seal due days, show blocks, verify the store.",
        subcommands: [Verify.self, Show.self, Seal.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the node's own store: every block, every entry, every root.",
            discussion: "Exit status 0 when the chain verifies, 1 when a problem is found (each is printed)."
        )
        @OptionGroup var data: DataOption

        func run() async throws {
            let ledger = try Ledger.open(folder: data.folder)
            let isTerminal = isatty(STDERR_FILENO) != 0
            let report = try ledger.verifyChain { done, total in
                if isTerminal { FileHandle.standardError.write(Data("\rchecked \(done)/\(total) entries".utf8)) }
            }
            if isTerminal { note("") }
            for problem in report.problems { print("FAIL \(problem)") }
            print("\(report.isValid ? "OK" : "FAILED"): \(report.blocks) blocks, \(report.entries) entries, tree size \(report.treeSize)")
            if !report.isValid { throw ExitCode(1) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a block's signed note (default: the latest).")
        @OptionGroup var data: DataOption
        @Option(help: "The block height.") var height: UInt64?

        func run() async throws {
            let ledger = try Ledger.open(folder: data.folder)
            let count = ledger.head.blockCount
            guard count > 0 else { throw ValidationError("no block is sealed yet: the first closes at the end of \(ledger.genesis.startDate)") }
            let h = height ?? count - 1
            guard let note = try ledger.blockNote(h) else { throw ValidationError("block \(h) is not sealed yet (\(count) blocks so far)") }
            FileHandle.standardOutput.write(Data(note))
        }
    }

    struct Seal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal every day that has ended (the node does this by itself at each midnight).")
        @OptionGroup var data: DataOption

        func run() async throws {
            let ledger = try Ledger.open(folder: data.folder)
            let before = ledger.head.blockCount
            ledger.start()
            defer { ledger.shutdown() }
            try await ledger.sealDueDays()
            print("sealed \(ledger.head.blockCount - before) block(s); \(ledger.head.blockCount) in all")
        }
    }
}
