import Ledger
import LedgerFormats
import MerkleLog

/// What the pages read from the ledger: blocks, leaf lookups and compromise notices. Reads only
/// public data (block notes, tree hashes, the leaf-hash index, notices); never an entry.
struct ChainView: Sendable {
    /// Where compromise notices (R13) live among the ledger's records, as module PublicAPI
    /// publishes them at `/compromises`: each value is the canonical JSON object
    /// `{"keyFingerprint","measures","time"}`.
    static let compromisePrefix = "compromise/"

    let ledger: Ledger

    /// The number of sealed blocks.
    var blockCount: UInt64 { ledger.current.blockCount }

    /// Block `height` as published, or nil when it is not sealed yet.
    func block(_ height: UInt64) throws -> SealedBlock? {
        guard let bytes = try ledger.blockNote(height) else { return nil }
        let note = try SignedNote(parsing: bytes)
        return SealedBlock(block: try Block(text: note.text), note: note.formatted)
    }

    /// Blocks `[from, until)`, newest first.
    func blocks(from: UInt64, until: UInt64) throws -> [SealedBlock] {
        var blocks: [SealedBlock] = []
        blocks.reserveCapacity(Int(until - min(from, until)))
        var height = until
        while height > from {
            height -= 1
            guard let sealed = try block(height) else {
                throw ExplorerError(.storage, "block \(height) is missing below the latest block \(until - 1)")
            }
            blocks.append(sealed)
        }
        return blocks
    }

    /// The block whose day holds leaf `index`, or nil while that day is still open: blocks'
    /// day ranges are contiguous and ascending, so a binary search over heights finds it.
    func block(containing index: UInt64, blockCount: UInt64) throws -> SealedBlock? {
        var low: UInt64 = 0
        var high = blockCount
        while low < high {
            let middle = low + (high - low) / 2
            guard let candidate = try block(middle) else {
                throw ExplorerError(.storage, "block \(middle) is missing below the latest block \(blockCount - 1)")
            }
            if index < candidate.block.dayFirst {
                high = middle
            } else if index >= candidate.block.treeSize {
                low = middle + 1
            } else {
                return candidate
            }
        }
        return nil
    }

    /// Every well-formed compromise notice, newest first.
    func notices() throws -> [CompromiseNotice] {
        let notices = try ledger.records(prefix: Self.compromisePrefix).compactMap {
            CompromiseNotice(record: $0.value)
        }
        return notices.sorted { $0.time > $1.time }
    }

    /// The day the next block will close, for "not sealed yet" messages.
    func day(atHeight height: UInt64) -> DayCalendar.Day? {
        guard height <= UInt64(Int64.max) else { return nil }
        return try? ledger.calendar.day(atHeight: Int64(height))
    }
}

/// A block with its signed note as published.
struct SealedBlock: Sendable {
    let block: Block
    let note: String
}

/// A published compromise notice (R13): when, which key, and the measures taken. It names the
/// key by fingerprint only, never by its owner.
struct CompromiseNotice: Sendable, Hashable {
    let time: String
    let keyFingerprint: String
    /// The measures taken to limit the damage, as the operator wrote them.
    let measures: String

    /// Reads a notice record; nil unless it is exactly the notice object, so that nothing else
    /// stored under the prefix can leak onto a public page (the rule `/compromises` follows).
    init?(record: [UInt8]) {
        guard case .object(let fields) = try? JSONValue(parsingCanonical: record), fields.count == 3,
            let time = fields["time"].map(Self.text), let key = fields["keyFingerprint"].map(Self.text),
            let measures = fields["measures"].map(Self.text)
        else { return nil }
        self.time = time
        self.keyFingerprint = key
        self.measures = measures
    }

    private static func text(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return (try? value.canonicalBytes()).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
