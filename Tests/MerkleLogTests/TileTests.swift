import MerkleLog
import Testing

// C2SP tlog-tiles arithmetic; the examples quoted are the spec's (c2sp.org/tlog-tiles).

private let log: TestLog = {
    do { return try TestLog(count: 2_000) } catch { fatalError("cannot build the test log: \(error)") }
}()

@Suite struct TilePathTests {
    @Test func specExamples() throws {
        // "index 1234067 will be encoded as x001/x234/067"
        #expect(try Tile(level: 0, index: 1_234_067).path == "tile/0/x001/x234/067")
        #expect(try Tile(level: 4, index: 1_234_067, width: 1).path == "tile/4/x001/x234/067.p/1")
        #expect(try Tile(level: 0, index: 0).path == "tile/0/000")
        #expect(try Tile(level: 1, index: 999, width: 255).path == "tile/1/999.p/255")
        #expect(try Tile(level: 1, index: 1_000, width: 255).path == "tile/1/x001/000.p/255")
        #expect(try Tile(path: "tile/0/x001/x234/067") == Tile(level: 0, index: 1_234_067))
        #expect(try Tile(path: "tile/2/x001/000.p/17") == Tile(level: 2, index: 1_000, width: 17))
    }

    @Test func roundTrips() throws {
        var rng = SeededGenerator(state: 5)
        for _ in 0..<2_000 {
            let level = Int.random(in: 0...6, using: &rng)
            let maxIndex = (MerkleTree.maxSize >> (8 * level + 8)) - 1
            let index =
                [
                    UInt64.random(in: 0...min(999, maxIndex), using: &rng),
                    UInt64.random(in: 0...maxIndex, using: &rng), maxIndex,
                ]
                .randomElement(using: &rng) ?? 0
            let width = Bool.random(using: &rng) ? Tile.fullWidth : Int.random(in: 1...255, using: &rng)
            let tile = try Tile(level: level, index: index, width: width)
            let parsed = try Tile(path: tile.path)
            #expect(parsed == tile, "\(tile.path)")
            #expect(parsed.isPartial == (width < 256))
        }
    }

    @Test(arguments: [
        "tile/0/x1/2", "tile/0/x001/2", "tile/0/x001/02", "tile/0/x001/0002", "tile/0/x000/123", "tile/0/x000/000",
        "tile/0/0001", "tile/0/01", "tile/0/1", "tile/00/000", "tile/01/000", "tile/0/001x", "tile/0/x001",
        "tile/0/001/002", "tile/0/x001/x002", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/300",
        "tile/0/000.p/007", "tile/0/000.p/", "tile/0/000.p", "tile/0/000.p/5/", "tile/0/000.p/5.p/6",
        "tile/0/.p/5", "tile/0/000.P/5", "tile/0/000.q/5", "tile/0/000p/5", "/tile/0/000", "tile/0/000/",
        "tile//000", "tile/0/", "tile/0", "tile/", "tile", "", "tiles/0/000", "Tile/0/000", "tile/entries/000",
        "tile/data/000", "tile/-1/000", "tile/+1/000", "tile/ 0/000", "tile/0/00a", "tile/0/+01", "tile/0/-01",
        "tile/0/٠٠٠", "tile/٠/000", "tile/0/000\n", " tile/0/000", "tile/0//000", "tile/0/x001//234",
        "tile/64/000", "tile/8/000.p/1", "tile/63/000.p/1", "tile/7/000.p/65", "tile/7/001.p/1", "tile/6/x016/000",
        "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        "tile/0/x018/x446/x744/x073/x709/x551/615",
    ])
    func rejectsMalformedPaths(path: String) {
        #expect(throws: MerkleLogError.self, "\(path.debugDescription) must be refused") { try Tile(path: path) }
        do {
            _ = try Tile(path: path)
        } catch {
            #expect(error.code == .malformedTilePath)
        }
    }

    @Test func acceptsTheLargestTiles() throws {
        // Level 7 holds tree level 56, of which a 2^62-leaf tree has 64 nodes; the rightmost
        // level-0 tile of such a tree has index 2^54 - 1.
        #expect(try Tile(path: "tile/7/000.p/64") == Tile(level: 7, index: 0, width: 64))
        let last = try Tile(level: 0, index: (1 << 54) - 1)
        #expect(try Tile(path: last.path) == last)
        #expect(throws: MerkleLogError.self) { try Tile(level: 0, index: 1 << 54) }
        #expect(throws: MerkleLogError.self) { try Tile(level: 0, index: 0, width: 0) }
        #expect(throws: MerkleLogError.self) { try Tile(level: 0, index: 0, width: 257) }
        #expect(throws: MerkleLogError.self) { try Tile(level: -1, index: 0) }
    }
}

@Suite struct TileSetTests {
    @Test func specExampleSizes() throws {
        // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
        // tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
        // partial level 2 tile of width 1."
        let tiles = try Tile.tiles(to: 70_000)
        #expect(tiles.count == 273 + 1 + 1 + 1 + 1)
        #expect(tiles.filter { $0.level == 0 && !$0.isPartial }.map(\.index) == Array(0..<273))
        #expect(
            tiles.filter { $0.isPartial } == [
                try Tile(level: 0, index: 273, width: 112), try Tile(level: 1, index: 1, width: 17),
                try Tile(level: 2, index: 0, width: 1),
            ])
        #expect(tiles.contains(try Tile(level: 1, index: 0)))
        // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1
        // tile of width 1."
        #expect(try Tile.tiles(to: 256) == [try Tile(level: 0, index: 0), try Tile(level: 1, index: 0, width: 1)])
        #expect(try Tile.tiles(to: 0).isEmpty)
        #expect(try Tile.tiles(from: 300, to: 300).isEmpty)
    }

    @Test func newTilesAreTheDifference() throws {
        var rng = SeededGenerator(state: 6)
        for _ in 0..<300 {
            let new = UInt64.random(in: 0...200_000, using: &rng)
            let old =
                Bool.random(using: &rng)
                ? UInt64.random(in: 0...new, using: &rng) : new - min(new, UInt64.random(in: 0...300, using: &rng))
            let added = try Tile.tiles(from: old, to: new)
            let all = try Tile.tiles(to: new)
            #expect(Set(added) == Set(all).subtracting(try Tile.tiles(to: old)), "\(old) -> \(new)")
            #expect(added.count == Set(added).count)
            // Per level: full tiles for every complete group of 256, one partial for the rest.
            var level = 0
            while new >> (8 * level) > 0 {
                let nodes = new >> (8 * level)
                let atLevel = all.filter { $0.level == level }
                #expect(atLevel.filter { !$0.isPartial }.count == Int(nodes / 256))
                #expect(atLevel.filter(\.isPartial).map(\.width) == (nodes % 256 == 0 ? [] : [Int(nodes % 256)]))
                level += 1
            }
            #expect(all.allSatisfy { $0.level < level })
        }
        #expect(throws: MerkleLogError.self) { try Tile.tiles(from: 5, to: 4) }
        #expect(throws: MerkleLogError.self) { try Tile.tiles(to: MerkleTree.maxSize + 1) }
    }

    @Test func tileIndexesAndData() throws {
        let tiles = try Tile.tiles(to: 2_000)
        var covered = Set<Int64>()
        for tile in tiles {
            let indexes = tile.storedHashIndexes
            #expect(indexes.count == tile.width)
            let data = try tile.readData(from: log.stored)
            #expect(data.count == tile.width * 32)
            for (i, index) in indexes.enumerated() {
                let (level, n) = MerkleTree.splitStoredHashIndex(index)
                #expect(level == 8 * tile.level && n == tile.index * 256 + UInt64(i))
                #expect(Array(data[i * 32..<(i + 1) * 32]) == log.stored[Int(index)].bytes)
                #expect(try tile.hash(atStoredHashIndex: index, data: data) == log.stored[Int(index)])
                covered.insert(index)
            }
        }
        // Tiles hold exactly the hashes of levels 0, 8, 16...: every other stored hash is recomputed.
        let want = (0..<MerkleTree.storedHashCount(2_000)).filter { MerkleTree.splitStoredHashIndex($0).level % 8 == 0 }
        #expect(covered == Set(want))
    }

    @Test func hashFromTileRefusesWhatItDoesNotHold() throws {
        let tile = try Tile(level: 0, index: 1, width: 100)  // leaves 256..<356
        let data = try tile.readData(from: log.stored)
        let inside = MerkleTree.storedHashIndex(level: 2, n: 64)  // leaves 256..<260
        #expect(try tile.hash(atStoredHashIndex: inside, data: data) == log.stored[Int(inside)])
        for index in [
            MerkleTree.storedHashIndex(level: 0, n: 255),  // previous tile
            MerkleTree.storedHashIndex(level: 0, n: 356),  // beyond the width
            MerkleTree.storedHashIndex(level: 7, n: 2),  // leaves 256..<384, wider than 100
            MerkleTree.storedHashIndex(level: 8, n: 1),  // a level-1 tile's hash
            -1, Int64.max,
        ] {
            #expect(throws: MerkleLogError.self, "\(index)") { try tile.hash(atStoredHashIndex: index, data: data) }
        }
        for bad in [Array(data.dropLast()), data + [0], []] {
            do {
                _ = try tile.hash(atStoredHashIndex: inside, data: bad)
                Issue.record("tile data of \(bad.count) bytes accepted")
            } catch {
                #expect(error.code == .invalidTile)
            }
        }
    }

    @Test func tileHashReaderEqualsStoredHashes() throws {
        var rng = SeededGenerator(state: 7)
        let sizes: [UInt64] =
            [1, 2, 255, 256, 257, 511, 512, 513, 1_000, 2_000]
            + (0..<15).map { _ in UInt64.random(in: 1...2_000, using: &rng) }
        for size in sizes {
            let server = try StoredTileServer(treeSize: size, stored: log.stored)
            let reader = TileHashReader(treeSize: size, tiles: server)
            let all = Array(0..<MerkleTree.storedHashCount(size))
            #expect(try reader.readHashes(all) == Array(log.stored[..<all.count]), "size \(size)")
            #expect(server.calls.count == 1, "one tile fetch per read")
            #expect(server.calls.allSatisfy { Set($0).count == $0.count }, "each tile fetched once")
            #expect(
                try MerkleTree.treeHash(size: size, reader: reader)
                    == MerkleTree.treeHash(size: size, reader: log.stored))
            for _ in 0..<5 {
                let index = UInt64.random(in: 0..<size, using: &rng)
                #expect(
                    try MerkleTree.inclusionProof(index: index, size: size, reader: reader)
                        == MerkleTree.inclusionProof(index: index, size: size, reader: log.stored))
                let size1 = UInt64.random(in: 1...size, using: &rng)
                #expect(
                    try MerkleTree.consistencyProof(size1: size1, size2: size, reader: reader)
                        == MerkleTree.consistencyProof(size1: size1, size2: size, reader: log.stored))
            }
            // Hashes the tree does not have yet are refused before any fetch.
            #expect(throws: MerkleLogError.self) { try reader.readHashes([MerkleTree.storedHashCount(size)]) }
            #expect(throws: MerkleLogError.self) { try reader.readHashes([-1]) }
        }
    }

    @Test func tileReaderContract() throws {
        struct Dropping: TileReader {
            func readTiles(_ tiles: [Tile]) throws -> [[UInt8]] { [] }
        }
        struct Truncating: TileReader {
            func readTiles(_ tiles: [Tile]) throws -> [[UInt8]] {
                tiles.map { Array(repeating: 0, count: $0.width * 32 - 1) }
            }
        }
        do {
            _ = try TileHashReader(treeSize: 10, tiles: Dropping()).readHashes([0])
            Issue.record("missing tiles accepted")
        } catch let error as MerkleLogError {
            #expect(error.code == .readerContract)
        }
        do {
            _ = try TileHashReader(treeSize: 10, tiles: Truncating()).readHashes([0])
            Issue.record("short tile accepted")
        } catch let error as MerkleLogError {
            #expect(error.code == .invalidTile)
        }
        #expect(try TileHashReader(treeSize: 10, tiles: Dropping()).readHashes([]).isEmpty)
    }

    @Test func containingPicksTheTreesTile() throws {
        // Leaf 300 of a tree of 600 leaves is in level-0 tile 1, full; of a tree of 400, 144 wide.
        let leaf300 = MerkleTree.storedHashIndex(level: 0, n: 300)
        #expect(try Tile.containing(storedHashIndex: leaf300, treeSize: 600) == Tile(level: 0, index: 1))
        #expect(try Tile.containing(storedHashIndex: leaf300, treeSize: 400) == Tile(level: 0, index: 1, width: 144))
        // The root of leaves 0..<512 (tree level 9) is recomputed from level-1 tile 0's first 2 hashes.
        let node = MerkleTree.storedHashIndex(level: 9, n: 0)
        #expect(try Tile.containing(storedHashIndex: node, treeSize: 600) == Tile(level: 1, index: 0, width: 2))
        #expect(throws: MerkleLogError.self) { try Tile.containing(storedHashIndex: node, treeSize: 511) }
    }
}
