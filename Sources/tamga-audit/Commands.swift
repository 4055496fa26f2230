import ArgumentParser
import Audit
import Foundation
import LedgerFormats

struct Chain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify every block, every leaf hash and the latest checkpoint.",
        discussion: """
            For every block: the genesis key's signature, heights and dates in sequence, the prev \
            chain from the genesis hash, contiguous day ranges, the day root and the tree root \
            recomputed from the level-0 tiles, and a consistency proof from the previous block \
            built from the tiles. Then the latest checkpoint must extend the latest block. With \
            --state, only blocks newer than the saved one are verified (and the saved one must \
            still be in the chain); the state is updated when the chain verifies. With --policy, \
            every block verified and the checkpoint must carry the witnesses' quorum.

            The CA's obligations, from the same public data and this machine's clock: every day \
            that has ended has its block within --grace (a /blocks/latest that answers 404 while \
            a day has ended fails too), /blocks/latest is the newest block, every block's day lasts \
            22 to 26 hours and starts at a local midnight of some real UTC offset (a day that \
            differs from this machine's tz database is a warning naming both), no entry bundles \
            are published (tile/entries/... must answer 404: entries name their owners), and \
            /compromises holds well-formed notices in time order.
              tamga-audit chain --url https://tamga.example.kz --genesis genesis.json --state audit.state
              tamga-audit chain --url https://tamga.example.kz --genesis genesis.json --policy witnesses.policy
            """
    )

    @OptionGroup var options: SourceOptions
    @Option(help: ArgumentHelp("Remember the last verified block here; verify only newer ones next time.", valueName: "file"))
    var state: String?
    @Option(help: ArgumentHelp("How long after a day ends its block may take to appear, e.g. 1h.", valueName: "duration"))
    var grace: Duration = Duration(seconds: 3600)
    @Option(
        help: ArgumentHelp(
            "Judge which days have ended as of this UTC time (e.g. 2026-12-01T00:00:00Z, when an archived copy was taken) instead of now.",
            valueName: "time"))
    var asOf: String?

    func validate() throws {
        if let asOf, (try? BlockTime.parseInstant(asOf, field: "--as-of")) == nil {
            throw ValidationError("--as-of \(asOf) is not a UTC time like 2026-12-01T00:00:00Z")
        }
    }

    func run() async throws {
        let progress = ProgressBar(label: "verifying")
        do {
            let genesis = try options.loadGenesis()
            let saved = try state.flatMap { path throws(AuditError) in try AuditState.load(path: path) }
            guard let source = try options.source() else { throw ValidationError("give --url or --dir") }
            var audit = ChainAudit(source: source, genesis: genesis, state: saved, witnesses: try options.witnesses(genesis))
            audit.grace = Int64(grace.seconds * 1000)
            if let asOf, let seconds = try? BlockTime.parseInstant(asOf, field: "--as-of") { audit.now = { seconds * 1000 } }
            let report = try await audit.run(progress: progress.update)
            progress.finish()
            if let state, let newState = report.state { try newState.save(path: state) }
            if options.json {
                printJSON(Outcome<ChainReport>(command: "chain", result: "verified", report: report))
            } else {
                printChain(report)
            }
        } catch let error as AuditError {
            progress.finish()
            throw fail(error, command: "chain", json: options.json, as: ChainReport.self)
        }
    }

    private func printChain(_ report: ChainReport) {
        say("VERIFIED chain \(report.origin)")
        say("  genesis     sha256 \(report.genesisHash) (compare with the hash you pinned)")
        if report.blocks == 0 {
            say("  blocks      none yet (the first day has not closed)")
        } else {
            let verified =
                report.firstVerifiedHeight.map { "verified now: \($0) ... \(report.blocks - 1)" }
                ?? "no new block since the saved state"
            say("  blocks      \(report.blocks) (0 ... \(report.blocks - 1), last \(report.latestDate ?? "?")), \(verified)")
            say("  last block  tree size \(report.blockTreeSize)")
        }
        if let served = report.servedCheckpointSize {
            say("  checkpoint  tree size \(report.checkpointSize) (/latest-checkpoint), root \(report.checkpointRoot)")
            say("  cosigned    tree size \(served) (/checkpoint), a prefix of it: the witnesses lag the tree")
        } else {
            say("  checkpoint  tree size \(report.checkpointSize), root \(report.checkpointRoot)")
        }
        say("  cosigners   checkpoint: \(report.checkpointCosigners.summary)")
        if let block = report.latestBlockCosigners { say("              last block: \(block.summary)") }
        if !report.blockCosignatures.isEmpty {
            let counts = report.blockCosignatures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            say("              blocks verified carrying each cosigner's line: " + counts.joined(separator: ", "))
        }
        say("  leaves      \(report.leavesChecked) leaf hashes checked" + (report.resumedFromHeight.map { " (resumed after block \($0))" } ?? ""))
        printWarnings(report.warnings)
        if let state, let saved = report.state { say("  state       block \(saved.height) saved to \(state)") }
    }
}

struct ReceiptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Verify an event's receipt (.tlog-proof): offline, or bound to the public chain.",
        discussion: """
            Offline: the log key's signature on the receipt's checkpoint and the entry's inclusion. \
            With --url or --dir, also that the receipt's checkpoint is consistent with the block \
            that closed the entry's day (or the latest checkpoint while the day is open), by a proof \
            built from the tiles. With --policy, the receipt must reach a tree the witnesses' quorum \
            cosigned: its own checkpoint's cosignatures, or (with a source) a cosigned block or \
            checkpoint it is consistent with.
              tamga-audit receipt event.tlog-proof --genesis genesis.json --url https://tamga.example.kz
              tamga-audit receipt event.tlog-proof --genesis genesis.json --policy witnesses.policy
            """
    )

    @Argument(help: ArgumentHelp("The receipt file.", valueName: "file.tlog-proof")) var file: String
    @Option(help: ArgumentHelp("The node's public API.", valueName: "url")) var url: String?
    @Option(help: ArgumentHelp("A static export of the public API.", valueName: "dir")) var dir: String?
    @Option(help: ArgumentHelp("The genesis document (pinned independently).", valueName: "file")) var genesis: String
    @Option(help: ArgumentHelp("A witness policy (tlog-policy): demand its quorum.", valueName: "file")) var policy: String?
    @Option(help: ArgumentHelp("Deadline of each request, head and body, e.g. 30s.", valueName: "duration")) var timeout: Duration = Duration(seconds: 30)
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        if url != nil && dir != nil { throw ValidationError("give at most one source: --url or --dir") }
    }

    func run() async throws {
        do {
            let genesis = try AuditFiles.genesis(at: self.genesis)
            let bytes = try AuditFiles.read(file, what: "the receipt")
            var source: (any AuditSource)? = nil
            if let url { source = try HTTPSource(url: url, timeout: timeout.duration) }
            if let dir { source = DirectorySource(path: dir) }
            let witnesses = try policy.map { path throws(AuditError) in try WitnessRequirement.load(path: path, genesis: genesis) } ?? .none
            let report = try await ReceiptAudit(receipt: bytes, genesis: genesis, source: source, witnesses: witnesses).run()
            if json {
                printJSON(Outcome<ReceiptReport>(command: "receipt", result: "verified", report: report))
            } else {
                say("VERIFIED receipt: entry \(report.index) (\(report.event), \(report.time))")
                say("  leaf hash   \(report.leafHash)")
                say("  checkpoint  tree size \(report.checkpointSize), root \(report.checkpointRoot), signed by the genesis key")
                say("  cosigners   \(report.checkpointCosigners.summary)")
                say("  bound to    \(report.boundTo ?? "nothing (offline check; give --url or --dir to bind it to the public chain)")")
                printWarnings(report.warnings)
            }
        } catch {
            throw fail(error, command: "receipt", json: json, as: ReceiptReport.self)
        }
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Check an operator's journal export against the published log.",
        discussion: """
            The export is JSON lines, each exactly an entry's canonical bytes, from seq 0 \
            (`tamga journal show --count N > journal.jsonl`). Every entry is re-parsed as canonical, \
            its leaf hash compared with the published level-0 tiles, its time with its block's day, \
            and every day root and tree root recomputed from the export. Entries are personal data: \
            handle the export accordingly.
              tamga-audit export --journal journal.jsonl --url https://tamga.example.kz --genesis genesis.json
            """
    )

    @OptionGroup var options: SourceOptions
    @Option(help: ArgumentHelp("The journal export (JSON lines).", valueName: "file")) var journal: String

    func run() async throws {
        let progress = ProgressBar(label: "checking entries")
        do {
            let genesis = try options.loadGenesis()
            guard let source = try options.source() else { throw ValidationError("give --url or --dir") }
            guard FileManager.default.isReadableFile(atPath: journal) else {
                throw AuditError(.invalidInput, "cannot read the journal export \(journal)")
            }
            let audit = ExportAudit(journal: URL(fileURLWithPath: journal), source: source, genesis: genesis)
            let report = try await audit.run(progress: progress.update)
            progress.finish()
            if options.json {
                printJSON(Outcome<ExportReport>(command: "export", result: "verified", report: report))
            } else {
                say("VERIFIED export: \(report.entries) entries match the published log (size \(report.logSize))")
                say("  days        \(report.daysChecked) day roots recomputed from the export")
                printWarnings(report.warnings)
            }
        } catch let error as AuditError {
            progress.finish()
            throw fail(error, command: "export", json: options.json, as: ExportReport.self)
        }
    }
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Poll the checkpoint and raise an alarm on a rollback or a split view.",
        discussion: """
            Each checkpoint must be signed by the genesis key and extend the previous one (a \
            consistency proof built from the tiles). Stops with exit status 1 and an ALARM line on \
            a bad signature, a smaller tree (rollback) or a tree that does not extend the previous \
            one (split view), with --policy on a checkpoint without the witnesses' quorum, and on \
            a day that ended more than --grace ago without its block (OVERDUE). Network errors \
            are reported and polling goes on.
              tamga-audit watch --url https://tamga.example.kz --genesis genesis.json --interval 30s
            """
    )

    @OptionGroup var options: SourceOptions
    @Option(help: ArgumentHelp("Time between polls.", valueName: "duration")) var interval: Duration = Duration(seconds: 30)
    @Option(help: ArgumentHelp("Stop after this many polls (default: never).", valueName: "n")) var count: Int?
    @Option(help: ArgumentHelp("How long after a day ends its block may take to appear, e.g. 1h.", valueName: "duration"))
    var grace: Duration = Duration(seconds: 3600)

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        do {
            let genesis = try options.loadGenesis()
            guard let source = try options.source() else { throw ValidationError("give --url or --dir") }
            var watch = try CheckpointWatch(source: source, genesis: genesis, witnesses: try options.witnesses(genesis))
            watch.grace = Int64(grace.seconds * 1000)
            var polls = 0
            var verified = 0
            while count.map({ polls < $0 }) ?? true {
                if polls > 0 { try await Task.sleep(for: .milliseconds(Int(interval.seconds * 1000))) }
                polls += 1
                let time = ISO8601DateFormatter().string(from: Date())
                let observation: CheckpointWatch.Observation
                do {
                    observation = try await watch.poll()
                } catch {
                    guard error.code == .unavailable else { throw error }
                    if options.json {
                        printJSON(Poll(time: time, result: "error", observation: nil, error: error.message))
                    } else {
                        standardError("\(time)  cannot poll: \(error.message)")
                    }
                    continue
                }
                verified += 1
                if options.json {
                    printJSON(Poll(time: time, result: "verified", observation: observation, error: nil))
                } else {
                    let change: String
                    switch observation.change {
                    case .first: change = "first checkpoint"
                    case .unchanged: change = "unchanged"
                    case .grew: change = "grew from \(observation.previousSize ?? 0), consistent"
                    }
                    say("\(time)  size \(observation.size)  \(change)  root \(observation.rootHash)  cosigners \(observation.cosigners.summary)")
                }
            }
            if verified == 0 { throw ExitCode(2) }
        } catch let error as AuditError {
            if error.code == .verificationFailed && !options.json { say("ALARM") }
            throw fail(error, command: "watch", json: options.json, as: CheckpointWatch.Observation.self)
        }
    }

    struct Poll: Encodable {
        let time: String
        let result: String
        let observation: CheckpointWatch.Observation?
        let error: String?
    }
}

func printWarnings(_ warnings: [AuditWarning]) {
    let shown = 5
    for warning in warnings.prefix(shown) {
        say("  warning     \(warning.subject): \(warning.message)")
    }
    if warnings.count > shown {
        say("  warning     ... and \(warnings.count - shown) more like these (--json lists all)")
    }
}
