import AsyncHTTPClient
import Foundation
import LedgerFormats
import MerkleLog
import NIOCore
import NIOHTTP1
import Synchronization

/// Recomputes a daily block's day root, and its tree root, from the log's published tiles: the
/// part of the Tamga block statement a witness can make only with the log's public URL.
///
/// The perfect subtrees of the tree before the day (from the tiles at every level) and the
/// day's leaf hashes (from the level-0 tiles) are folded into the root of the block's tree:
/// only if that equals the block's signed root are the leaves the tree's own (else the tiles
/// lie, or SHA-256 collides), and only then is the day root recomputed from them compared with
/// the block's `day` line. The fetch takes a while for a busy day (one 8 KiB tile per 256
/// events), longer than a submission may wait, so it runs in the background: the first
/// submission of a block starts it and is answered 503 (submit again); the verdict is kept,
/// and a later submission of the same block gets it at once.
final class DayCheck: Sendable {
    /// What the check of one block (by its hash) came to.
    enum Verdict: Sendable, Equatable {
        case running
        /// The last attempt could not fetch the tiles (why); the next submission tries again.
        case unavailable(String)
        case passed
        case failed(String)
    }

    /// Tile fetches in flight at once, and how long one may take.
    static let concurrency = 8
    static let tileDeadline: TimeAmount = .seconds(20)
    /// Verdicts kept; the oldest go first (a log seals one block a day).
    static let keptVerdicts = 1024

    private let http: HTTPClient
    private let verdicts = Mutex<(byBlock: [Hash: Verdict], order: [Hash])>(([:], []))

    init() {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(20))
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async throws {
        try await http.shutdown()
    }

    /// The verdict on `block` of the log published at `url`, starting its check if there is
    /// none yet (nil: the check is now running).
    func verdict(on block: Block, url: String) -> Verdict {
        guard let hash = Hash(block.hash) else { return .failed("the block hash is not 32 bytes") }
        let (start, current) = verdicts.withLock { state -> (Bool, Verdict) in
            switch state.byBlock[hash] {
            case .none:
                state.order.append(hash)
                if state.order.count > Self.keptVerdicts { state.byBlock[state.order.removeFirst()] = nil }
            case .unavailable(let reason):
                state.byBlock[hash] = .running
                return (true, .unavailable(reason))
            case .some(let verdict):
                return (false, verdict)
            }
            state.byBlock[hash] = .running
            return (true, .running)
        }
        if start {
            Task {
                let verdict: Verdict
                do {
                    verdict = try await check(block, url: url)
                } catch {
                    verdict = .unavailable("\(error)")
                }
                verdicts.withLock { $0.byBlock[hash] = verdict }
            }
        }
        return current
    }

    /// Passed when the tiles give the block's tree root and day root; else why not. Throws
    /// when a tile cannot be fetched.
    func check(_ block: Block, url: String) async throws -> Verdict {
        let size = block.treeSize
        let first = block.dayFirst
        guard first <= size else { return .failed("its day starts at \(first), past its tree size \(size)") }
        // The tree before the day: its perfect subtrees, each a stored hash in some tile.
        let subtrees = MerkleTree.perfectSubtrees(size: first).map { MerkleTree.storedHashIndex(level: $0.level, n: $0.n) }
        let subtreeTiles = try Array(Set(subtrees.map { try Tile.containing(storedHashIndex: $0, treeSize: size) }))
        let fetched = try await fetch(subtreeTiles, url: url)
        var data: [Tile: [UInt8]] = [:]
        for (tile, bytes) in zip(subtreeTiles, fetched) { data[tile] = bytes }
        let hashes = try subtrees.map { index in
            let tile = try Tile.containing(storedHashIndex: index, treeSize: size)
            return try tile.hash(atStoredHashIndex: index, data: data[tile] ?? [])
        }
        var tree = try RootAccumulator(count: first, subtrees: hashes)
        var day = RootAccumulator()

        // The day's leaves, tile by tile, a batch of fetches at a time.
        let width = UInt64(Tile.fullWidth)
        var index = first / width
        let end = (size + width - 1) / width
        while index < end {
            let batch = try (index..<min(end, index + UInt64(Self.concurrency) * 4)).map { n in
                try Tile(level: 0, index: n, width: Int(min(width, size - n * width)))
            }
            for (tile, bytes) in zip(batch, try await fetch(batch, url: url)) {
                for offset in 0..<tile.width {
                    let leaf = tile.index * width + UInt64(offset)
                    guard leaf >= first else { continue }
                    let hash = try tile.hash(atStoredHashIndex: MerkleTree.storedHashIndex(level: 0, n: leaf), data: bytes)
                    tree.append(hash)
                    day.append(hash)
                }
            }
            index += UInt64(batch.count)
        }
        guard tree.rootHash.bytes == block.rootHash else {
            return .failed("the log's tiles do not give the block's tree root: they are not the tree the block signs")
        }
        guard day.rootHash.bytes == block.dayRoot else {
            return .failed("its day root is not the root of the day's \(size - first) leaves in the log's tiles")
        }
        return .passed
    }

    /// The tiles' bytes, in order, each exactly its width × 32 bytes, fetched concurrently.
    private func fetch(_ tiles: [Tile], url: String) async throws -> [[UInt8]] {
        try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (position, tile) in tiles.enumerated() {
                group.addTask {
                    let request = HTTPClientRequest(url: url + "/" + tile.path)
                    let response = try await self.http.execute(request, timeout: Self.tileDeadline)
                    let expected = tile.width * Hash.byteCount
                    let body = try await response.body.collect(upTo: expected)
                    guard response.status == .ok, body.readableBytes == expected else {
                        throw WitnessError(.unavailable, "tile \(tile.path) at \(url): \(response.status.code), \(body.readableBytes) bytes")
                    }
                    return (position, Array(body.readableBytesView))
                }
            }
            var out = [[UInt8]](repeating: [], count: tiles.count)
            for try await (position, bytes) in group { out[position] = bytes }
            return out
        }
    }
}
