import Foundation
import Hummingbird
import LedgerFormats
import MerkleLog
public import PublicLog

/// Writes the public API as plain files under the same paths as its HTTP routes (`checkpoint`,
/// `latest-checkpoint`, `genesis`, `tile/...`, `blocks/<h>`, `blocks/latest`, `compromises`), so that any static web
/// server or object store can publish the log. The bytes are the ones the HTTP routes serve:
/// both come from `PublicData`. Proofs, `/blocks?from=` and health are dynamic and not exported;
/// tiles are enough to compute any proof.
///
/// Idempotent: full tiles already present are kept (they never change); partial tiles, the
/// blocks, the compromise notices and the checkpoint are rewritten when their bytes differ.
/// Every file is replaced atomically (write then rename), and the checkpoint is written last,
/// so a server publishing the directory during an export never offers a checkpoint whose
/// tiles or blocks are not there yet.
public enum StaticExport {
    public struct Summary: Sendable, Hashable {
        /// The checkpoint exported: its tree size and block count.
        public let treeSize: UInt64
        public let blockCount: UInt64
        /// Files created or replaced.
        public let written: Int
        /// Files that already held the right bytes (full tiles: the right length) and were left alone.
        public let kept: Int
    }

    /// - Parameter witnessed: export the checkpoint the witnesses' quorum cosigned (as
    ///   `/checkpoint` serves under a witness policy), not the newest.
    public static func write(log: any PublicLogReader, witnessed: Bool = false, to directory: String) throws(PublicAPIError)
        -> Summary
    {
        var writer = Writer(root: directory)
        let data: PublicData
        do {
            data = try PublicData(log: log, witnessed: witnessed, tileCacheCapacity: 0, hashCacheCapacity: 0)
        } catch {
            throw PublicAPIError(.export, "static export to \(directory) failed: \(error.message)")
        }
        // One head for the whole export: the tiles, blocks and checkpoint all describe it. With
        // witnesses, the checkpoint is the cosigned one: the partial tiles of its size are
        // written beside those of the newest tree, which the blocks may need.
        guard let (head, servedSize, checkpoint) = data.checkpoint() else {
            throw PublicAPIError(.export, "static export to \(directory) failed: no checkpoint meets the witness quorum yet")
        }
        do {
            try writer.replace("genesis", Array(buffer: data.genesis))
            var tiles = try Tile.tiles(to: head.treeSize)
            if servedSize < head.treeSize { tiles += try Tile.tiles(to: servedSize).filter(\.isPartial) }
            for tile in tiles {
                if !tile.isPartial, writer.exists(tile.path, size: tile.width * Hash.byteCount) {
                    writer.kept += 1
                    continue
                }
                try writer.replace(tile.path, Array(buffer: try data.tile(tile, treeSize: head.treeSize)))
            }
            for height in 0..<head.blockCount {
                try writer.replace("blocks/\(height)", try data.blockNote(height))
            }
            if head.blockCount > 0 {
                try writer.replace("blocks/latest", try data.blockNote(head.blockCount - 1))
            }
            try writer.replace("compromises", try data.compromises().json)
            try writer.replace("latest-checkpoint", Array(head.checkpoint.formatted.utf8))
            try writer.replace("checkpoint", Array(buffer: checkpoint))
        } catch let error as PublicAPIError {
            throw PublicAPIError(.export, "static export to \(directory) failed: \(error.message)")
        } catch {
            throw PublicAPIError(.export, "static export to \(directory) failed: \(error)")
        }
        return Summary(treeSize: servedSize, blockCount: head.blockCount, written: writer.written, kept: writer.kept)
    }

    private struct Writer {
        let root: String
        var written = 0
        var kept = 0
        /// Directories known to exist, so each is created (or checked) once per export.
        var directories: Set<String> = []
        let files = FileManager.default

        init(root: String) {
            self.root = root
        }

        func exists(_ path: String, size: Int) -> Bool {
            let attributes = try? files.attributesOfItem(atPath: root + "/" + path)
            return (attributes?[.size] as? NSNumber)?.intValue == size
        }

        /// Writes `bytes` to `path` (relative to the root) unless it already holds exactly them.
        mutating func replace(_ path: String, _ bytes: [UInt8]) throws {
            let full = root + "/" + path
            if let existing = files.contents(atPath: full), existing.count == bytes.count, existing.elementsEqual(bytes)
            {
                kept += 1
                return
            }
            let parent = (full as NSString).deletingLastPathComponent
            if !directories.contains(parent) {
                do {
                    try files.createDirectory(atPath: parent, withIntermediateDirectories: true)
                } catch {
                    throw PublicAPIError(
                        .export, "cannot create the directory \(parent): \(error.localizedDescription)")
                }
                directories.insert(parent)
            }
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: full), options: .atomic)
            } catch {
                throw PublicAPIError(.export, "cannot write \(full): \(error.localizedDescription)")
            }
            written += 1
        }
    }
}
