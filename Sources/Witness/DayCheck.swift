import AsyncHTTPClient
import BoundedHTTP
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
/// events), longer than a submission may wait, so it runs in the background, one block of a
/// log at a time and within a deadline: the first submission of a block starts it and is
/// answered 503 (submit again); the verdict is kept, and a later submission of the same block
/// gets it at once. Tiles that cannot be read, or that do not give the block's signed root
/// (they lie, or are stale), give no verdict: the next submission tries again.
final class DayCheck: Sendable {
    /// What the check of one block (by its hash) came to.
    enum Verdict: Sendable, Equatable {
        case running
        /// The last attempt could not fetch the tiles (why); the next submission tries again.
        case unavailable(String)
        case passed
        case failed(String)
    }

    /// Tiles fetched at once, how long one may take (its body included), and how long a whole
    /// check may take.
    static let concurrency = 16
    static let tileDeadline: Duration = .seconds(20)
    static let checkDeadline: Duration = .seconds(1800)
    /// Verdicts kept; the oldest go first (a log seals one block a day).
    static let keptVerdicts = 1024

    private struct State {
        var byBlock: [Hash: Verdict] = [:]
        /// Block hashes in the order their verdicts were first asked for, for eviction.
        var order: [Hash] = []
        /// The check running for each log: one at a time.
        var running: [String: Task<Void, Never>] = [:]
    }

    private let http: HTTPClient
    private let state = Mutex(State())

    init() {
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: BoundedHTTP.configuration())
    }

    /// Cancels the running checks and closes the HTTP client.
    func shutdown() async throws {
        let running = state.withLock { $0.running.values }
        for task in running { task.cancel() }
        for task in running { await task.value }
        try await http.shutdown()
    }

    /// The verdict on `block` of the log `origin` published at `url`, starting its check if
    /// there is none yet and no other block of that log is being checked (`.running` then).
    func verdict(on block: Block, origin: String, url: String) -> Verdict {
        guard let hash = Hash(block.hash) else { return .failed("the block hash is not 32 bytes") }
        return state.withLock { state -> Verdict in
            let current = state.byBlock[hash]
            switch current {
            case .passed, .failed, .running: return current ?? .running
            case .none, .unavailable: break
            }
            guard state.running[origin] == nil else { return current ?? .running }
            if current == nil {
                state.order.append(hash)
                if state.order.count > Self.keptVerdicts { state.byBlock[state.order.removeFirst()] = nil }
            }
            state.byBlock[hash] = .running
            state.running[origin] = Task {
                let verdict = await self.checkWithDeadline(block, url: url)
                self.state.withLock { state in
                    // Evicted meanwhile: nothing to keep.
                    if state.byBlock[hash] != nil { state.byBlock[hash] = verdict }
                    state.running[origin] = nil
                }
            }
            return current ?? .running
        }
    }

    /// The check, as a verdict: `.unavailable` when the tiles cannot be read in time.
    private func checkWithDeadline(_ block: Block, url: String) async -> Verdict {
        do {
            return try await Self.first(within: Self.checkDeadline, "the check took longer than \(Self.checkDeadline)") {
                try await self.check(block, url: url)
            }
        } catch {
            return .unavailable("\(error)")
        }
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
            let batch = try (index..<min(end, index + UInt64(Self.concurrency))).map { n in
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
            // The tiles lie, not (yet) the block: maybe a stale cache. Try again later.
            return .unavailable("the tiles do not give the block's tree root: they are not the tree the block signs")
        }
        guard day.rootHash.bytes == block.dayRoot else {
            return .failed("its day root is not the root of the day's \(size - first) leaves in the log's tiles")
        }
        return .passed
    }

    /// The tiles' bytes, in order, each exactly its width × 32 bytes, fetched concurrently. A
    /// partial tile that is gone (the log may drop it once the tile is full) is read as the
    /// first hashes of the full one.
    private func fetch(_ tiles: [Tile], url: String) async throws -> [[UInt8]] {
        try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (position, tile) in tiles.enumerated() {
                group.addTask {
                    let expected = tile.width * Hash.byteCount
                    if let bytes = try await self.get(url + "/" + tile.path, bytes: expected) { return (position, bytes) }
                    if tile.isPartial, let full = try await self.get(url + "/" + (try Tile(level: tile.level, index: tile.index)).path, bytes: Tile.fullWidth * Hash.byteCount) {
                        return (position, Array(full.prefix(expected)))
                    }
                    throw WitnessError(.unavailable, "tile \(tile.path) at \(url): not found")
                }
            }
            var out = [[UInt8]](repeating: [], count: tiles.count)
            for try await (position, bytes) in group { out[position] = bytes }
            return out
        }
    }

    /// The body of `url` when it answers 200 with exactly `bytes` bytes; nil for a 404.
    private func get(_ url: String, bytes expected: Int) async throws -> [UInt8]? {
        let answer: (status: UInt, body: [UInt8])
        do {
            answer = try await BoundedHTTP.fetch(HTTPClientRequest(url: url), on: http, limit: expected, within: Self.tileDeadline)
        } catch let failure as BoundedHTTP.Failure {
            throw WitnessError(.unavailable, "\(url): \(failure)")
        }
        if answer.status == 404 { return nil }
        guard answer.status == 200 else { throw WitnessError(.unavailable, "\(url): \(answer.status)") }
        guard answer.body.count == expected else {
            throw WitnessError(.unavailable, "\(url): \(answer.body.count) bytes, not \(expected)")
        }
        return answer.body
    }

    /// `work`'s result, or `reason` thrown once `deadline` has passed (the work is cancelled).
    static func first<T: Sendable>(
        within deadline: Duration, _ reason: String, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next() ?? nil else { throw WitnessError(.unavailable, reason) }
            return result
        }
    }
}
