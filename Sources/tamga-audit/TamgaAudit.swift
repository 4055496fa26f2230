import ArgumentParser
import Audit
import Foundation
import LedgerFormats
import Synchronization

@main
struct TamgaAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tamga-audit",
        abstract: "Verify a Tamga audit ledger from its public data and its genesis document.",
        discussion: """
            The genesis document (--genesis) is the trust anchor: get it, or its SHA-256, from an \
            independent channel and compare it with the hash this tool prints. Data comes from a \
            node's public API (--url) or a static export of it (--dir); none of it is trusted.

            With --policy (a C2SP tlog-policy file naming the witnesses and the quorum, from the \
            CA's published documents), every block and checkpoint checked must carry the quorum's \
            cosignatures; without it, the cosignatures found are only listed.

            Exit status: 0 verified, 1 verification failed (the first failure is named: which \
            block or entry, which field, expected and found), 2 usage, input or network error.
            """,
        subcommands: [Chain.self, ReceiptCommand.self, ExportCommand.self, Watch.self]
    )

    /// ArgumentParser's own `main`, with usage errors mapped to exit status 2 (it uses 64).
    static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            standardError(fullMessage(for: error))
            Foundation.exit(2)
        }
    }
}

/// Where the public data comes from, and the trust anchor.
struct SourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The node's public API, e.g. https://tamga.example.kz/.", valueName: "url"))
    var url: String?
    @Option(help: ArgumentHelp("A static export of the public API (the same paths as files).", valueName: "dir"))
    var dir: String?
    @Option(help: ArgumentHelp("The genesis document (pinned independently).", valueName: "file"))
    var genesis: String
    @Option(help: ArgumentHelp("A witness policy (tlog-policy): demand its quorum of cosignatures.", valueName: "file"))
    var policy: String?
    @Option(help: ArgumentHelp("Deadline of each request, head and body, e.g. 30s (at most a week).", valueName: "duration"))
    var timeout: Duration = Duration(seconds: 30)
    @Option(help: ArgumentHelp("Fetches in flight at once (default: 16 over HTTP, 4 from a directory).", valueName: "n"))
    var concurrency: Int?
    @Flag(help: "Print one JSON object (watch: one per poll) instead of text.")
    var json = false

    func validate() throws {
        guard (url == nil) != (dir == nil) else {
            throw ValidationError("give exactly one source: --url URL (a node) or --dir DIR (a static export)")
        }
        if let concurrency, !(1...256).contains(concurrency) {
            throw ValidationError("--concurrency is 1 to 256, not \(concurrency)")
        }
    }

    /// The source, or nil when neither option was given (receipt allows that).
    func source() throws(AuditError) -> (any AuditSource)? {
        if let url {
            return try HTTPSource(url: url, timeout: timeout.duration, concurrency: concurrency ?? 16)
        }
        if let dir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw AuditError(.invalidInput, "--dir \(dir) is not a directory: give the folder of a static export")
            }
            return DirectorySource(path: dir, concurrency: concurrency ?? 4)
        }
        return nil
    }

    func loadGenesis() throws(AuditError) -> Genesis {
        try AuditFiles.genesis(at: genesis)
    }

    func witnesses(_ genesis: Genesis) throws(AuditError) -> WitnessRequirement {
        try policy.map { path throws(AuditError) in try WitnessRequirement.load(path: path, genesis: genesis) } ?? .none
    }
}

/// A duration option: `30s`, `5m`, `500ms`, `1h`, or plain seconds.
struct Duration: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let seconds: Double

    var description: String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(Int((seconds * 1000).rounded()))ms"
    }

    init(seconds: Double) {
        self.seconds = seconds
    }

    var duration: Swift.Duration { .milliseconds(Int64(seconds * 1000)) }

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var text = Substring(argument)
        var scale = 1.0
        if let (suffix, factor) = units.first(where: { argument.hasSuffix($0.0) && Double(argument.dropLast($0.0.count)) != nil }) {
            text = text.dropLast(suffix.count)
            scale = factor
        }
        // At most a week: a duration is a deadline or an interval, and fits Swift's Duration.
        guard let value = Double(text), value.isFinite, value > 0, value * scale <= 604_800 else { return nil }
        seconds = value * scale
    }
}

/// Writes a line to standard output unbuffered, so a watcher's lines appear as they happen.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func standardError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Prints `value` as one line of JSON (keys sorted) on standard output.
func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    if let data = try? encoder.encode(value) {
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// The JSON form of every outcome: `{"command", "result": "verified"|"failed"|"error", ...}`.
struct Outcome<Report: Encodable>: Encodable {
    let command: String
    let result: String
    var report: Report?
    var failure: Failure?
    var error: Failure?

    struct Failure: Encodable {
        let code: String
        let subject: String?
        let field: String?
        let expected: String?
        let found: String?
        let message: String
    }
}

/// Reports an audit error as text or JSON and exits with 1 (verification failed) or 2.
func fail<Report: Encodable>(_ error: AuditError, command: String, json: Bool, as _: Report.Type) -> ExitCode {
    let failed = error.code == .verificationFailed
    if json {
        let detail = Outcome<Report>.Failure(
            code: error.code.description, subject: error.subject, field: error.field, expected: error.expected,
            found: error.found, message: error.message)
        var outcome = Outcome<Report>(command: command, result: failed ? "failed" : "error")
        if failed { outcome.failure = detail } else { outcome.error = detail }
        printJSON(outcome)
    } else if failed {
        say("FAILED \(command): \(error.subject ?? "?"), \(error.field ?? "?")")
        if let expected = error.expected { say("  expected  \(expected)") }
        if let found = error.found { say("  found     \(found)") }
        say("  \(error.message)")
    } else {
        standardError("tamga-audit \(command): \(error.message)")
    }
    return ExitCode(failed ? 1 : 2)
}

/// A one-line progress bar on standard error, drawn only when it is a terminal, at most ten
/// times a second.
final class ProgressBar: Sendable {
    private let enabled: Bool
    private let label: String
    private let last = Mutex<Double>(0)

    init(label: String) {
        self.enabled = isatty(STDERR_FILENO) != 0
        self.label = label
    }

    func update(_ progress: AuditProgress) {
        guard enabled, progress.total > 0 else { return }
        let now = Date().timeIntervalSince1970
        let due = last.withLock { last in
            guard now - last >= 0.1 || progress.done == progress.total else { return false }
            last = now
            return true
        }
        guard due else { return }
        let fraction = min(1, Double(progress.done) / Double(progress.total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let block = progress.height.map { ", block \($0)" } ?? ""
        let line = "\r\(label) [\(bar)] \(Int(fraction * 100))% \(progress.done)/\(progress.total)\(block)  "
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
