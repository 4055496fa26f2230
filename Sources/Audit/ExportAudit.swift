public import Foundation
public import LedgerFormats
import MerkleLog

/// Checks an operator's journal export (`tamga journal show`: JSON lines, each exactly an
/// entry's canonical bytes, from seq 0) against the public log (`tamga-audit export`): every
/// entry canonical and in sequence, its time inside its block's stated day, its leaf hash the
/// one published in the level-0 tiles; and every day root and tree root the blocks and the
/// checkpoint signed recomputed from the export's own leaves (with the same block checks as
/// `chain`). The first entry that does not match is named.
public struct ExportAudit: Sendable {
    public let journal: URL
    public let source: any AuditSource
    public let genesis: Genesis

    public init(journal: URL, source: any AuditSource, genesis: Genesis) {
        self.journal = journal
        self.source = source
        self.genesis = genesis
    }

    public func run(progress: @Sendable (AuditProgress) -> Void = { _ in }) async throws(AuditError) -> ExportReport {
        do {
            return try await audit(progress: progress)
        } catch {
            throw AuditError.wrapping(error, "export audit")
        }
    }

    private func audit(progress: @Sendable (AuditProgress) -> Void) async throws -> ExportReport {
        let log = try PublicLog(source: source, genesis: genesis)
        let lines = try LineReader(url: journal)
        try await log.checkGenesis()
        let latest = try await log.latestBlock()
        let checkpoint = try await log.checkpoint()
        let tiles = TileStore(source: source, referenceSize: checkpoint.size)
        var walk = ChainWalk(genesis: genesis, tiles: tiles, log: log)
        if let latest {
            walk.pending = try await log.blockNotes(0..<latest.height + 1)
        }
        try walk.openNextBlock()

        var published: [Hash] = []
        var publishedStart: UInt64 = 0
        var lastTime: Int64 = 0
        var seq: UInt64 = 0
        // The first entry of each event name this tool does not know, reported once per name.
        var unknownEvents: Set<EventName> = []
        var unknownWarnings: [AuditWarning] = []
        var lineNumber = 0
        while let line = try lines.next() {
            lineNumber += 1
            let subject = "entry \(seq) (line \(lineNumber))"
            guard !line.isEmpty else {
                throw AuditError(failed: subject, "format", "the line is empty: an export holds one entry per line")
            }
            let entry: Entry
            do {
                entry = try Entry(parsing: line)
            } catch {
                throw AuditError(failed: subject, "format", "not a canonical journal entry: \(error.message)")
            }
            guard entry.seq == Int64(seq) else {
                throw AuditError(
                    failed: subject, "seq", expected: "\(seq)", found: "\(entry.seq)",
                    entry.seq > Int64(seq)
                        ? "the export skips entry \(seq): an entry was deleted, or the lines were reordered"
                        : "the entry repeats or comes after a later one: the lines were reordered or an entry was inserted")
            }
            guard seq < checkpoint.size else {
                throw AuditError(
                    failed: subject, "existence", expected: "seq < \(checkpoint.size)", found: "\(seq)",
                    "the published log (latest checkpoint) has \(checkpoint.size) entries; this one is not in it")
            }
            try await walk.closeBlocks()
            let time = entry.time.millisecondsSinceEpoch
            if let block = walk.current?.block {
                guard time >= block.start * 1000, time < block.end * 1000 else {
                    throw AuditError(
                        failed: subject, "time", expected: "\(instant(block.start)) ... \(instant(block.end)) (block \(block.height))",
                        found: entry.time.rfc3339Milliseconds, "the entry's time is outside the day of the block that holds it")
                }
            } else if let previous = walk.previous?.block, time < previous.end * 1000 {
                throw AuditError(
                    failed: subject, "time", expected: ">= \(instant(previous.end))", found: entry.time.rfc3339Milliseconds,
                    "the entry is after the latest block but its time is inside a closed day")
            }
            guard time >= lastTime else {
                throw AuditError(
                    failed: subject, "time", expected: ">= \(Timestamp.string(lastTime))", found: entry.time.rfc3339Milliseconds,
                    "entry times never decrease along the log")
            }
            lastTime = time

            if seq >= publishedStart + UInt64(published.count) {
                publishedStart = seq
                let first = seq >> 8
                let end = min((checkpoint.size + 255) >> 8, first + 64)
                published = try await tiles.fetchAll((first..<end).map { TileStore.TileKey(level: 0, index: $0) })
                    .flatMap { leafHashes($0.1) }
                published.removeFirst(Int(seq - (first << 8)))
            }
            let leaf = MerkleTree.leafHash(line)
            let expected = published[Int(seq - publishedStart)]
            guard leaf == expected else {
                throw AuditError(
                    failed: subject, "leaf hash", expected: expected.base64, found: leaf.base64,
                    "the entry is not the one the log published at index \(seq): it was altered, or another entry was put in its place")
            }
            walk.add(leaf)
            try await walk.checkNodes()
            if !entry.event.isKnown, unknownEvents.insert(entry.event).inserted {
                unknownWarnings.append(AuditWarning(unknownEvent: entry.event, at: seq))
            }
            seq += 1
            if seq & 0xfff == 0 {
                progress(AuditProgress(done: seq, total: checkpoint.size, height: walk.current?.height))
            }
        }
        try await walk.closeBlocks()

        var warnings = walk.warnings + unknownWarnings
        if seq == checkpoint.size {
            if let current = walk.current {
                throw AuditError(
                    failed: current.subject, "treeSize", expected: "<= \(checkpoint.size)", found: "\(current.treeSize)",
                    "the block's tree is larger than the latest checkpoint's: the checkpoint does not extend the latest block")
            }
            try await walk.checkCheckpoint(checkpoint)
        } else {
            try walk.checkTileMismatch()
            warnings.append(
                AuditWarning(
                    subject: "export",
                    message: "the export ends after \(seq) entries but the log has \(checkpoint.size): entries \(seq) ..< \(checkpoint.size) were not checked, nor the days they belong to"))
        }
        progress(AuditProgress(done: seq, total: checkpoint.size, height: walk.current?.height))
        return ExportReport(
            entries: seq, logSize: checkpoint.size, daysChecked: walk.previous.map { $0.height + 1 } ?? 0, warnings: warnings)
    }
}

extension Timestamp {
    static func string(_ milliseconds: Int64) -> String {
        (try? Timestamp(millisecondsSinceEpoch: milliseconds).rfc3339Milliseconds) ?? "\(milliseconds) ms"
    }
}

/// Reads a file line by line (split at `\n`, no newline in the result) in 1 MiB chunks, so a
/// journal of millions of entries is never held whole in memory.
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private let path: String

    init(url: URL) throws(AuditError) {
        path = url.path
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw AuditError(.invalidInput, "cannot open the journal export \(url.path): \(error.localizedDescription)")
        }
    }

    deinit {
        try? handle.close()
    }

    /// The longest line read: far above any entry (an entry's fields are bounded), far below memory.
    static let maxLine = 1 << 20

    /// The next line, or nil at the end; a final line without newline counts, an empty last
    /// piece after the final newline does not.
    func next() throws(AuditError) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[position..<newline]
                position = newline + 1
                return line
            }
            // The rest of the buffer is one unfinished line: no entry is that long.
            guard buffer.count - position <= Self.maxLine else {
                throw AuditError(
                    .invalidInput, "the journal export \(path) has a line longer than \(Self.maxLine) bytes: it is not a journal export")
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                let line = buffer[position...]
                position = buffer.count
                return line
            }
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw AuditError(.invalidInput, "cannot read the journal export \(path): \(error.localizedDescription)")
            }
            buffer.removeFirst(position)
            position = 0
            if let chunk, !chunk.isEmpty {
                buffer.append(contentsOf: chunk)
            } else {
                atEnd = true
            }
        }
    }
}
