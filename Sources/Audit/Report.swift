import Codecs
import Foundation
public import LedgerFormats
import MerkleLog

/// Something the auditor should know that does not make the chain invalid, e.g. a block
/// whose stated day differs from this machine's time zone database.
public struct AuditWarning: Codable, Hashable, Sendable {
    public let subject: String
    public let message: String

    public init(subject: String, message: String) {
        self.subject = subject
        self.message = message
    }

    /// An entry whose event is newer than this tool: everything but the event's own fields
    /// was checked. Never a failure (a receipt from a newer node must still verify).
    init(unknownEvent event: EventName, at index: UInt64) {
        self.init(
            subject: "entry \(index)",
            message: "event \"\(event)\" is not one this tamga-audit knows (a newer node's?): its bytes, leaf hash, "
                + "inclusion, seq and time verified; its own fields were not checked. Update tamga-audit to check them.")
    }
}

/// How far a long audit has come, for a progress bar.
public struct AuditProgress: Sendable {
    /// Leaf hashes (or journal entries) checked so far, and how many the run will check.
    public let done: UInt64
    public let total: UInt64
    /// The block being verified, if any.
    public let height: UInt64?
}

/// What `tamga-audit chain --state` keeps between runs: the last block verified, so the next
/// run checks only newer blocks and that this one is still part of the chain.
public struct AuditState: Codable, Hashable, Sendable {
    public static let currentVersion = 1

    public let version: Int
    public let origin: String
    /// Lowercase hex SHA-256 of the genesis document, so a state is never used on another chain.
    public let genesisHash: String
    public let height: UInt64
    public let date: String
    public let treeSize: UInt64
    /// Base64, as in the block.
    public let rootHash: String
    /// Base64 SHA-256 of the block's note text.
    public let blockHash: String

    init(genesis: Genesis, block: VerifiedBlock) {
        version = Self.currentVersion
        origin = genesis.origin
        genesisHash = hex(genesis.hash)
        height = block.height
        date = block.block.date
        treeSize = block.treeSize
        rootHash = block.rootHash.base64
        blockHash = block.hash.base64
    }

    /// Reads a state file; `nil` if it does not exist yet (the first run).
    public static func load(path: String) throws(AuditError) -> AuditState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let state = try JSONDecoder().decode(AuditState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            guard state.version == currentVersion else {
                throw AuditError(.invalidInput, "state file \(path) has version \(state.version); this tool reads version \(currentVersion)")
            }
            return state
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(.invalidInput, "state file \(path) is unreadable (\(error.localizedDescription)); delete it to verify the whole chain again")
        }
    }

    /// Writes the state atomically (a crash leaves the old file or the new one).
    public func save(path: String) throws(AuditError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            try (try encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw AuditError(.invalidInput, "cannot write the state file \(path): \(error.localizedDescription)")
        }
    }

    /// Refuses a state made for another chain.
    func check(against genesis: Genesis) throws(AuditError) {
        guard genesisHash == hex(genesis.hash), origin == genesis.origin else {
            throw AuditError(
                .invalidInput,
                "the state file is for the chain with genesis \(genesisHash) (\(origin)), not \(hex(genesis.hash)) (\(genesis.origin)): use one state file per chain")
        }
        guard Hash(base64: rootHash) != nil, Hash(base64: blockHash) != nil else {
            throw AuditError(.invalidInput, "the state file's hashes are not base64 SHA-256 values: it was edited; delete it to start over")
        }
        guard treeSize <= PublicLog.maxTreeSize, (try? genesis.startDate.adding(days: Int64(clamping: height))) != nil else {
            throw AuditError(.invalidInput, "the state file's height or tree size is impossible for a Tamga log: it was edited; delete it to start over")
        }
    }
}

/// The result of `ChainAudit.run()` when every check passed.
public struct ChainReport: Codable, Sendable {
    public let origin: String
    /// Lowercase hex SHA-256 of the genesis: compare it with the hash pinned independently.
    public let genesisHash: String
    /// The number of blocks in the chain (0 before the first day closes).
    public let blocks: UInt64
    /// The first block verified by this run; nil when a `--state` run found no new block.
    public let firstVerifiedHeight: UInt64?
    public let latestDate: String?
    /// The latest block's tree size.
    public let blockTreeSize: UInt64
    public let checkpointSize: UInt64
    public let checkpointRoot: String
    /// Leaf hashes read and hashed into the recomputed tree by this run.
    public let leavesChecked: UInt64
    /// The state this run resumed from, if any.
    public let resumedFromHeight: UInt64?
    /// Who cosigned the served checkpoint (`/checkpoint`).
    public let checkpointCosigners: Cosigners
    /// When the served checkpoint lagged the latest block (a node whose witnesses are down):
    /// its size; `checkpointSize` is then the newest checkpoint's, which the leaves were checked
    /// against and the served one is a prefix of.
    public let servedCheckpointSize: UInt64?
    /// Who cosigned the latest block verified.
    public let latestBlockCosigners: Cosigners?
    /// For each cosigner name, how many of the blocks verified by this run carry its line.
    public let blockCosignatures: [String: UInt64]
    public let warnings: [AuditWarning]
    /// What to save with `--state`; nil while the chain has no block.
    public let state: AuditState?
}

/// The result of `ReceiptAudit.run()` when the receipt verified.
public struct ReceiptReport: Codable, Sendable {
    public let index: UInt64
    public let event: String
    public let time: String
    public let leafHash: String
    public let checkpointSize: UInt64
    public let checkpointRoot: String
    /// Who cosigned the receipt's own checkpoint.
    public let checkpointCosigners: Cosigners
    /// How the receipt was bound to the public chain: `block <h>`, `latest checkpoint`, or nil
    /// when checked offline.
    public let boundTo: String?
    public let warnings: [AuditWarning]
}

/// The result of `ExportAudit.run()` when every entry matched.
public struct ExportReport: Codable, Sendable {
    public let entries: UInt64
    /// The log's size (latest checkpoint): entries beyond the export were not checked.
    public let logSize: UInt64
    /// Blocks whose whole day the export covered, so their day root was recomputed from entries.
    public let daysChecked: UInt64
    public let warnings: [AuditWarning]
}

/// An instant in whole Unix seconds as RFC 3339, for messages.
func instant(_ seconds: Int64) -> String {
    (try? Timestamp(millisecondsSinceEpoch: seconds * 1000).rfc3339Seconds) ?? "\(seconds) s"
}

/// Reading the auditor's own input files, with errors that say which file and what to do.
public enum AuditFiles {
    public static func read(_ path: String, what: String) throws(AuditError) -> [UInt8] {
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw AuditError(.invalidInput, "cannot read \(what) \(path): \(error.localizedDescription)")
        }
    }

    /// The pinned genesis document: it must be exactly the canonical bytes of a valid one.
    public static func genesis(at path: String) throws(AuditError) -> Genesis {
        let bytes = try read(path, what: "the genesis document")
        do {
            return try Genesis(parsing: bytes)
        } catch {
            throw AuditError(
                .invalidInput,
                "\(path) is not a valid genesis document: \(error.message). Use the exact bytes the operator published (GET /genesis)")
        }
    }
}
