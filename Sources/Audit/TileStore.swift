import Foundation
import MerkleLog
import Synchronization

/// The tiles of one run: fetched from the source at most once each (concurrently, bounded),
/// and served to MerkleLog's synchronous `TileHashReader`.
///
/// A tile is always fetched at its width in the largest tree seen so far (`referenceSize`, the
/// latest checkpoint), and a narrower tile of an older tree is that data's prefix: in an
/// append-only log they are equal, and if the log is not append-only the proofs built from
/// them fail against the signed roots, which is the point. A partial tile a server has already
/// replaced by its full tile (a 404) is fetched full instead, as C2SP tlog-tiles allows.
final class TileStore: Sendable {
    let source: any AuditSource
    private let state: Mutex<State>

    private struct State {
        var referenceSize: UInt64
        /// (level, index) -> the widest data fetched, `width * 32` bytes.
        var tiles: [TileKey: [UInt8]] = [:]
    }

    struct TileKey: Hashable {
        let level: Int
        let index: UInt64
    }

    /// Thrown by the cache reader for tiles it does not hold yet; `withHashReader` fetches them
    /// and runs the computation again.
    private struct Missing: Error {
        let tiles: [Tile]
    }

    /// At most this many tiles (8 KiB each, 32 MiB) are kept between computations.
    static let maxCachedTiles = 4096

    init(source: any AuditSource, referenceSize: UInt64) {
        self.source = source
        self.state = Mutex(State(referenceSize: referenceSize))
    }

    var referenceSize: UInt64 { state.withLock { $0.referenceSize } }

    /// Moves the reference to a larger tree (a newer checkpoint); cached partial tiles are
    /// fetched again, wider, when a request needs more of them.
    func raiseReferenceSize(to size: UInt64) {
        state.withLock { $0.referenceSize = max($0.referenceSize, size) }
    }

    /// Runs `body` with a hash reader over the tree of `treeSize` leaves, fetching the tiles it
    /// asks for. MerkleLog asks for everything an operation needs in one call, so this runs
    /// `body` at most twice per missing level of tiles.
    func withHashReader<R>(
        treeSize: UInt64, _ body: (TileHashReader<CachedTiles>) throws -> R
    ) async throws(AuditError) -> R {
        for _ in 0..<16 {
            let reader = TileHashReader(treeSize: treeSize, tiles: CachedTiles(tiles: state.withLock { $0.tiles }))
            do {
                return try body(reader)
            } catch let missing as Missing {
                try await prefetch(missing.tiles)
            } catch let error as AuditError {
                throw error
            } catch let error as MerkleLogError {
                throw AuditError(failed: "tiles", "structure", "the tiles of tree size \(treeSize) are unusable: \(error.message)")
            } catch {
                throw AuditError(failed: "tiles", "structure", "the tiles of tree size \(treeSize) are unusable: \(error)")
            }
        }
        throw AuditError(.unavailable, "the tiles for tree size \(treeSize) could not be assembled; try again")
    }

    /// Fetches tiles not yet held (or held too narrow), `source.concurrency` at a time.
    func prefetch(_ tiles: [Tile]) async throws(AuditError) {
        let wanted = state.withLock { state in
            tiles.filter { (state.tiles[TileKey(level: $0.level, index: $0.index)]?.count ?? 0) < $0.width * Hash.byteCount }
        }
        let fetched = try await fetchAll(wanted.map { TileKey(level: $0.level, index: $0.index) })
        state.withLock { state in
            // A bounded cache (a long `watch`, a huge tree): one proof needs a few hundred tiles
            // at most, so starting over now and then costs a few fetches, never the memory.
            if state.tiles.count + fetched.count > Self.maxCachedTiles { state.tiles = [:] }
            for (key, data) in fetched where data.count > (state.tiles[key]?.count ?? 0) {
                state.tiles[key] = data
            }
        }
    }

    /// Fetches the tiles `keys` at their widths in the reference tree, concurrently, in order.
    /// Does not cache: the leaf tiles streamed through a chain audit are read once.
    func fetchAll(_ keys: [TileKey]) async throws(AuditError) -> [(TileKey, [UInt8])] {
        let reference = referenceSize
        let limit = source.concurrency
        do {
            return try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                var results = [[UInt8]](repeating: [], count: keys.count)
                var next = 0
                func launch() {
                    let position = next
                    let key = keys[position]
                    group.addTask { (position, try await self.fetch(key, referenceSize: reference)) }
                    next += 1
                }
                while next < min(limit, keys.count) { launch() }
                while let (position, data) = try await group.next() {
                    results[position] = data
                    if next < keys.count { launch() }
                }
                return Array(zip(keys, results))
            }
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(.unavailable, "fetching tiles failed: \(error)")
        }
    }

    /// One tile at its width in the tree of `referenceSize` leaves, checked for length.
    private func fetch(_ key: TileKey, referenceSize: UInt64) async throws(AuditError) -> [UInt8] {
        let nodes = key.level * Tile.height < 64 ? referenceSize >> UInt64(key.level * Tile.height) : 0
        let first = key.index << UInt64(Tile.height)
        guard nodes > first else {
            throw AuditError(
                failed: "tile \(key.level)/\(key.index)", "existence",
                "the tree of size \(referenceSize) has no such tile, yet a tree the log signed needs it")
        }
        let width = Int(min(UInt64(Tile.fullWidth), nodes - first))
        let tile: Tile
        do {
            tile = try Tile(level: key.level, index: key.index, width: width)
        } catch {
            throw AuditError(.invalidInput, error.message)
        }
        var data = try await source.fetch(tile.path, limit: width * Hash.byteCount)
        if data == nil, tile.isPartial, let full = try? Tile(level: key.level, index: key.index) {
            // The log has grown and replaced the partial tile with the full one.
            if let wider = try await source.fetch(full.path, limit: ResourceLimit.tile) {
                guard wider.count == Tile.fullWidth * Hash.byteCount else {
                    throw AuditError(
                        failed: full.path, "length", expected: "\(Tile.fullWidth * Hash.byteCount) bytes",
                        found: "\(wider.count) bytes", "a full tile holds 256 hashes")
                }
                data = Array(wider.prefix(width * Hash.byteCount))
            }
        }
        guard let data else {
            throw AuditError(
                failed: tile.path, "existence",
                "the source \(source) does not serve \(tile.path), which the log's tree of size \(referenceSize) has: a log must publish every tile of its tree")
        }
        guard data.count == width * Hash.byteCount else {
            throw AuditError(
                failed: tile.path, "length", expected: "\(width * Hash.byteCount) bytes", found: "\(data.count) bytes",
                "a tile of width \(width) holds \(width) hashes of 32 bytes")
        }
        return data
    }

    /// The `TileReader` `withHashReader` hands out: a snapshot of the cache that throws
    /// `Missing` for what it lacks, so the tiles can be fetched asynchronously and the
    /// synchronous MerkleLog computation run again.
    struct CachedTiles: TileReader {
        let tiles: [TileKey: [UInt8]]

        func readTiles(_ requested: [Tile]) throws -> [[UInt8]] {
            var missing: [Tile] = []
            var out: [[UInt8]] = []
            out.reserveCapacity(requested.count)
            for tile in requested {
                let bytes = tile.width * Hash.byteCount
                if let data = tiles[TileKey(level: tile.level, index: tile.index)], data.count >= bytes {
                    out.append(data.count == bytes ? data : Array(data[..<bytes]))
                } else {
                    missing.append(tile)
                }
            }
            if !missing.isEmpty { throw Missing(tiles: missing) }
            return out
        }
    }
}
