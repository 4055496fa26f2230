/// Supplies tile data, for example from a tile server or a directory of downloaded tiles.
///
/// Contract: return one `[UInt8]` per requested tile, in order, each exactly `width * 32` bytes,
/// or throw. The data is not trusted: everything computed from it is checked against a signed
/// root by the caller.
public protocol TileReader {
    func readTiles(_ tiles: [Tile]) throws -> [[UInt8]]
}

/// A `HashReader` over the tiles of one tree, so that a party holding only tiles (an auditor, a
/// witness) runs the same `treeHash`, `inclusionProof` and `consistencyProof` as the node.
///
/// Like x/mod's TileHashReader without its network and without its check of the tiles against
/// a trusted root: that check belongs to the caller, who compares `MerkleTree.treeHash(size:reader:)`
/// with the checkpoint's root or verifies the proofs it builds.
public struct TileHashReader<Tiles: TileReader>: HashReader {
    /// The size of the tree whose tiles `tiles` holds; it decides which partial tiles are asked for.
    public let treeSize: UInt64
    public let tiles: Tiles

    public init(treeSize: UInt64, tiles: Tiles) {
        self.treeSize = treeSize
        self.tiles = tiles
    }

    /// Fetches every tile the indexes need in one `readTiles` call, each tile once.
    public func readHashes(_ indexes: [Int64]) throws -> [Hash] {
        var position: [Tile: Int] = [:]
        var needed: [Tile] = []
        var tileOfIndex: [Int] = []
        tileOfIndex.reserveCapacity(indexes.count)
        for index in indexes {
            let tile = try Tile.containing(storedHashIndex: index, treeSize: treeSize)
            if let known = position[tile] {
                tileOfIndex.append(known)
            } else {
                position[tile] = needed.count
                tileOfIndex.append(needed.count)
                needed.append(tile)
            }
        }
        if needed.isEmpty { return [] }
        let data = try tiles.readTiles(needed)
        guard data.count == needed.count else {
            throw MerkleLogError(
                .readerContract, "tile reader returned \(data.count) tiles for \(needed.count); fix the reader")
        }
        return try zip(indexes, tileOfIndex).map { index, t throws(MerkleLogError) in
            try needed[t].hash(atStoredHashIndex: index, data: data[t])
        }
    }
}
