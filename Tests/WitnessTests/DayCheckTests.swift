import Foundation
import HSMBoundary
import Hummingbird
import Ledger
import LedgerFormats
import Logging
import MerkleLog
import PublicAPI
import PublicLog
import Codecs
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import Witness

/// With a Tamga log's public URL in its logs file, the witness recomputes each daily block's
/// day root (and tree root) from the log's tiles, served here as a static export over HTTP,
/// before vouching for it.
@Suite(.serialized) struct DayCheckTests {
    /// The chain's tiles over HTTP, as its public API serves them (any partial width), with
    /// `overrides` served instead of the real bytes where set: a log whose tiles lie.
    final class TileServer: Sendable {
        let url: String
        /// Tile paths served with these bytes instead (empty: 404, as a log that dropped it).
        final class Overrides: Sendable {
            let bytes = Mutex<[String: [UInt8]]>([:])
        }
        let overrides = Overrides()
        let group: ServiceGroup
        let task: Task<Void, any Error>

        init(serving ledger: Ledger) async throws {
            var logger = Logger(label: "tiles")
            logger.logLevel = .critical
            let data = try PublicAPI(log: ledger).data
            let router = Router()
            let overrides = self.overrides
            router.get("/tile/**") { request, _ -> Response in
                let path = String(request.uri.path.dropFirst())
                let bytes = try overrides.bytes.withLock { $0[path] } ?? Array(try data.tile(try Tile(path: path)).readableBytesView)
                return Response(status: bytes.isEmpty ? .notFound : .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
            }
            let ports = AsyncStream<Int>.makeStream()
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { ports.continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            self.group = group
            task = Task { try await group.run() }
            var iterator = ports.stream.makeAsyncIterator()
            url = "http://127.0.0.1:\(await iterator.next() ?? 0)"
        }

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    /// Runs `body` with a witness of `chain` that reads its tiles at `url`, and always shuts the
    /// witness's HTTP client down.
    func withWitness(_ chain: BlockStatementTests.Chain, url: String, _ body: (TestWitness) async throws -> Void) async throws {
        let w = try TestWitness.make(logs: chain.logs.dropLast() + " \(url)\n")
        do {
            try await body(w)
        } catch {
            try await w.witness.shutdown()
            throw error
        }
        try await w.witness.shutdown()
    }

    /// Submits block `height` until the background check has a verdict (503 until then).
    func submitUntilDecided(_ chain: BlockStatementTests.Chain, _ height: UInt64, old: UInt64, note: [UInt8]? = nil, to witness: Witness)
        async throws -> (first: Witness.Outcome, last: Witness.Outcome)
    {
        let first = try await chain.submit(height, old: old, note: note, to: witness)
        var last = first
        for _ in 0..<200 where last.status == 503 {
            try await Task.sleep(for: .milliseconds(25))
            last = try await chain.submit(height, old: old, note: note, to: witness)
        }
        return (first, last)
    }

    @Test func blocksWhoseTilesAgreeAreVouchedAfterTheCheck() async throws {
        let chain = try await BlockStatementTests.Chain.make(days: 3)
        defer { chain.ledger.shutdown() }
        let server = try await TileServer(serving: chain.ledger)
        try await withWitness(chain, url: server.url + "/") { w in
            var old: UInt64 = 0
            for height in 0..<UInt64(3) {
                if height > 0 {
                    // From a size it did not cosign: answered 409 at once, no tiles read for it.
                    let stale = try await chain.submit(height, old: 0, to: w.witness)
                    #expect(stale.status == 409 && stale.body == "\(old)\n", "\(stale)")
                }
                let (first, last) = try await submitUntilDecided(chain, height, old: old, to: w.witness)
                #expect(first.status == 503 && first.body.contains("submit it again"), "block \(height): \(first)")
                #expect(last.status == 200, "block \(height): \(last)")
                let note = try cosigned(try chain.block(height), last)
                #expect(w.keys.blockCosigner.cosignatureTime(on: note) != nil, "block \(height) vouched for")
                old = try chain.treeSize(of: height)
                // The verdict is kept: the same block again is answered at once.
                #expect(try await chain.submit(height, old: old, to: w.witness).status == 200)
            }
        }
        await server.stop()
    }

    /// A leaf changed in the served tiles: they no longer give the block's signed root. That
    /// is the tiles lying (or stale), not the block: no verdict, 503 with the reason, the
    /// witness's state stays where it was; once the tiles are right the block is vouched for.
    @Test func tilesThatLieAreRefused() async throws {
        let chain = try await BlockStatementTests.Chain.make(days: 2)
        defer { chain.ledger.shutdown() }
        let server = try await TileServer(serving: chain.ledger)
        try await withWitness(chain, url: server.url) { w in
            #expect(try await submitUntilDecided(chain, 0, old: 0, to: w.witness).last.status == 200)
            let size0 = try chain.treeSize(of: 0)
            // Block 1's first leaf changed in the level-0 tile block 1 reads.
            let tile = try Tile(level: 0, index: size0 / 256, width: Int(min(256, try chain.treeSize(of: 1) - size0 / 256 * 256)))
            var bytes = Array(try PublicAPI(log: chain.ledger).data.tile(tile).readableBytesView)
            bytes[Int(size0 % 256) * 32] ^= 0x01
            server.overrides.bytes.withLock { $0[tile.path] = bytes }

            var answer = try await chain.submit(1, old: size0, to: w.witness)
            for _ in 0..<200 where !answer.body.contains("do not give the block's tree root") {
                #expect(answer.status == 503, "\(answer)")
                try await Task.sleep(for: .milliseconds(25))
                answer = try await chain.submit(1, old: size0, to: w.witness)
            }
            #expect(answer.status == 503 && answer.body.contains("do not give the block's tree root"), "\(answer)")
            #expect(try await w.witness.latest(chain.ledger.genesis.origin)?.size == size0)

            server.overrides.bytes.withLock { $0 = [:] }
            #expect(try await submitUntilDecided(chain, 1, old: size0, to: w.witness).last.status == 200)
        }
        await server.stop()
    }

    /// A partial tile the log no longer serves (its tile is full now) is read from the full one.
    @Test func aGonePartialTileIsReadFromTheFullOne() async throws {
        let (folder, ledger, _) = try await sealedChain(days: 2, events: { _ in 200 })
        defer { ledger.shutdown() }
        let chain = BlockStatementTests.Chain(
            folder: folder, ledger: ledger, logs: "log \(ledger.genesis.verifierKey) tamga \(hex(ledger.genesis.hash))\n")
        let size0 = try chain.treeSize(of: 0)
        let size1 = try chain.treeSize(of: 1)
        #expect(size0 % 256 != 0 && size1 > 256)
        let server = try await TileServer(serving: ledger)
        let gone = try Tile(level: 0, index: 0, width: Int(size0)).path
        server.overrides.bytes.withLock { $0[gone] = [] }
        try await withWitness(chain, url: server.url) { w in
            let answer = try await submitUntilDecided(chain, 0, old: 0, to: w.witness).last
            #expect(answer.status == 200, "\(answer)")
        }
        await server.stop()
    }

    /// A block signed by the log's key whose `day` line is wrong (the tree root is right): the
    /// tiles show it, and the block is refused.
    @Test func aWrongDayRootIsRefused() async throws {
        let chain = try await BlockStatementTests.Chain.make(days: 1)
        defer { chain.ledger.shutdown() }
        let server = try await TileServer(serving: chain.ledger)
        try await withWitness(chain, url: server.url) { w in
            let real = try Block(note: SignedNote(parsing: chain.block(0)), verifier: chain.ledger.verifier)
            let forged = try Block(
                origin: real.origin, treeSize: real.treeSize, rootHash: real.rootHash, height: 0, date: real.date, start: real.start,
                end: real.end, previousHash: real.previousHash, dayFirst: 0, dayRoot: Array(repeating: 9, count: 32))
            let logKey = try Ledger.softwareHSM(chain.folder).logSigner(origin: real.origin)
            let note = Array(try forged.signed(by: logKey).formatted.utf8)
            let refused = try await submitUntilDecided(chain, 0, old: 0, note: note, to: w.witness).last
            #expect(refused.status == 422 && refused.body.contains("day root is not the root"), "\(refused)")
            #expect(try await w.witness.latest(real.origin) == nil)
        }
        await server.stop()
    }

    /// The log's URL not answering: 503 (submit again later, with the reason), nothing
    /// recorded, no refusal that would raise the log's alarm.
    @Test func unreachableTilesAreRetriedNotRefused() async throws {
        let chain = try await BlockStatementTests.Chain.make(days: 1)
        defer { chain.ledger.shutdown() }
        let server = try await TileServer(serving: chain.ledger)
        await server.stop()
        try await withWitness(chain, url: server.url) { w in
            var answer = try await chain.submit(0, old: 0, to: w.witness)
            let deadline = ContinuousClock.now + .seconds(20)
            while !answer.body.contains("could not check"), ContinuousClock.now < deadline {
                #expect(answer.status == 503, "\(answer)")
                try await Task.sleep(for: .milliseconds(100))
                answer = try await chain.submit(0, old: 0, to: w.witness)
            }
            #expect(answer.status == 503 && answer.body.contains("could not check daily block 0"), "\(answer)")
            #expect(try await w.witness.latest(chain.ledger.genesis.origin) == nil)
        }
    }

    @Test func theLogURLIsValidated() throws {
        let key = try TestLog().key.verifier.verifierKey
        let hash = String(repeating: "ab", count: 32)
        for bad in ["ftp://h/", "https://", "h/path", "https://h/?q=1", "https://h/#f", "https://user:pw@h/"] {
            #expect(throws: WitnessError.self, "\(bad)") { try LogList(parsing: "log \(key) tamga \(hash) \(bad)\n") }
        }
        #expect(throws: WitnessError.self) { try LogList(parsing: "log \(key) https://h/\n") }
        let good = try LogList(parsing: "log \(key) tamga \(hash) https://ca.example.kz/log/\n")
        #expect(good.logs.values.first?.url == "https://ca.example.kz/log")
    }
}
