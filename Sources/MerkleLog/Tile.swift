// C2SP tlog-tiles (https://c2sp.org/tlog-tiles) arithmetic: tiles of height 8. The tile at level
// L, index N holds the hashes at tree level 8L of nodes 256N ..< 256N + W; the tree levels in
// between are recomputed by hashing a tile's entries.

/// A hash tile, `tile/<L>/<N>[.p/<W>]`. Every `Tile` value names a tile that some tree of at
/// most `MerkleTree.maxSize` leaves has, so its arithmetic cannot overflow.
public struct Tile: Hashable, Sendable, CustomStringConvertible {
    /// Tree levels per tile: 8, so a full tile holds 256 hashes (8,192 bytes).
    public static let height = 8
    /// The number of hashes in a full tile.
    public static let fullWidth = 1 << height

    /// The tile level: level-L tiles hold hashes of tree level 8L (level 0: leaf hashes).
    public let level: Int
    /// The tile's position within its level.
    public let index: UInt64
    /// The number of hashes, 1...256; below 256 the tile is partial (the right edge of a tree).
    public let width: Int

    /// Throws `invalidArgument` unless some tree of at most `MerkleTree.maxSize` leaves has this
    /// tile (so level <= 7 and width in 1...256).
    public init(level: Int, index: UInt64, width: Int = Tile.fullWidth) throws(MerkleLogError) {
        guard Tile.exists(level: level, index: index, width: width) else {
            throw MerkleLogError(
                .invalidArgument,
                "no tree of at most 2^62 leaves has a tile at level \(level), index \(index), width \(width)")
        }
        self.init(unchecked: level, index, width)
    }

    private init(unchecked level: Int, _ index: UInt64, _ width: Int) {
        self.level = level
        self.index = index
        self.width = width
    }

    private static func exists(level: Int, index: UInt64, width: Int) -> Bool {
        guard (0...7).contains(level), (1...fullWidth).contains(width) else { return false }
        // Tree level 8L of the largest tree has 2^(62 - 8L) nodes; the tile's last one must be among them.
        let nodes = MerkleTree.maxSize >> (height * level)
        guard UInt64(width) <= nodes else { return false }
        return index <= (nodes - UInt64(width)) >> height
    }

    public var isPartial: Bool { width < Tile.fullWidth }

    /// The hashes' tree level, 8 * `level`.
    var treeLevel: Int { Tile.height * level }

    // MARK: Paths

    /// The tile's path, `tile/<L>/<N>[.p/<W>]`, with N in 3-digit groups all but the last
    /// prefixed by `x` (1234067 is `x001/x234/067`). Relative: no leading slash.
    public var path: String {
        func threeDigits(_ value: UInt64) -> String {
            let digits = String(value)
            return String(repeating: "0", count: 3 - digits.count) + digits
        }
        var n = index
        var number = threeDigits(n % 1000)
        while n >= 1000 {
            n /= 1000
            number = "x" + threeDigits(n % 1000) + "/" + number
        }
        let partial = isPartial ? ".p/\(width)" : ""
        return "tile/\(level)/\(number)\(partial)"
    }

    public var description: String { path }

    /// Parses a tile path strictly: only the exact text `path` produces is accepted (no leading
    /// zeros or missing groups, width 1...255 only with `.p/`, no leading slash, ASCII only), and
    /// only for tiles that exist in trees of at most 2^62 leaves. Entry bundles
    /// (`tile/entries/...`) are not hash tiles and are refused.
    public init(path: String) throws(MerkleLogError) {
        func malformed(_ reason: String) -> MerkleLogError {
            MerkleLogError(
                .malformedTilePath,
                "\(String(path.prefix(100)).debugDescription) \(reason); a tile path is tile/<L>/<N>[.p/<W>] "
                    + "as in c2sp.org/tlog-tiles")
        }
        var parts = Array(path.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].elementsEqual("tile".utf8), let level = Tile.decimal(parts[1]) else {
            throw malformed("is not a hash tile path")
        }

        var width = UInt64(Tile.fullWidth)
        let widthGiven =
            parts.count >= 4 && parts[parts.count - 2].count > 2
            && parts[parts.count - 2].suffix(2).elementsEqual(".p".utf8)
        if widthGiven {
            guard let w = Tile.decimal(parts[parts.count - 1]), w >= 1, w < UInt64(Tile.fullWidth) else {
                throw malformed("has a partial width outside 1...255")
            }
            width = w
            parts.removeLast()
            parts[parts.count - 1] = parts[parts.count - 1].dropLast(2)
        }

        var index: UInt64 = 0
        for (position, group) in parts.dropFirst(2).enumerated() {
            let isLast = position == parts.count - 3
            let digits = isLast ? group[...] : group.dropFirst()
            guard isLast || group.first == UInt8(ascii: "x"), digits.count == 3, let value = Tile.decimal(digits)
            else { throw malformed("does not spell the index in x-prefixed 3-digit groups") }
            let (shifted, overflow1) = index.multipliedReportingOverflow(by: 1000)
            let (sum, overflow2) = shifted.addingReportingOverflow(value)
            guard !overflow1, !overflow2 else { throw malformed("has an index too large for 64 bits") }
            index = sum
        }

        // Round trip: refuses every non-canonical spelling (leading zeros, "x000/" groups...).
        guard level <= 63, Tile(unchecked: Int(level), index, Int(width)).path.utf8.elementsEqual(path.utf8) else {
            throw malformed("is not in canonical form")
        }
        guard Tile.exists(level: Int(level), index: index, width: Int(width)) else {
            throw malformed("names a tile beyond the largest supported tree (2^62 leaves)")
        }
        self.init(unchecked: Int(level), index, Int(width))
    }

    /// A run of ASCII digits (at most 18, so no overflow) as a number.
    private static func decimal(_ text: ArraySlice<UInt8>) -> UInt64? {
        guard !text.isEmpty, text.count <= 18 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    // MARK: Tiles of a tree

    /// The tiles a tree of `newSize` leaves has and one of `oldSize` leaves has not: the full tiles
    /// completed in between and, per level, the new partial tile. With `oldSize` 0, every tile of
    /// the tree (for a tree of size 70,000: 273 full and one 112-wide partial tile at level 0, one
    /// full and one 17-wide at level 1, one 1-wide at level 2). These are the tiles to publish
    /// when the log grows from `oldSize` to `newSize`. Ordered by level, then index.
    public static func tiles(from oldSize: UInt64 = 0, to newSize: UInt64) throws(MerkleLogError) -> [Tile] {
        try MerkleTree.checkSize(newSize, "tree size")
        guard oldSize <= newSize else {
            throw MerkleLogError(.invalidArgument, "old tree size \(oldSize) is above the new size \(newSize)")
        }
        var tiles: [Tile] = []
        var level = 0
        while level <= 7, newSize >> (height * level) > 0 {
            let oldNodes = oldSize >> (height * level)
            let newNodes = newSize >> (height * level)
            for index in (oldNodes >> height)..<(newNodes >> height) {
                tiles.append(Tile(unchecked: level, index, fullWidth))
            }
            let partialWidth = Int(newNodes % UInt64(fullWidth))
            if partialWidth > 0, newNodes != oldNodes {
                tiles.append(Tile(unchecked: level, newNodes >> height, partialWidth))
            }
            level += 1
        }
        return tiles
    }

    /// The tile of the tree of `treeSize` leaves from which the stored hash `storedHashIndex` is
    /// read or, for tree levels between tile levels, recomputed. Throws `invalidArgument` if the
    /// tree does not have that hash.
    public static func containing(storedHashIndex: Int64, treeSize: UInt64) throws(MerkleLogError) -> Tile {
        try MerkleTree.checkSize(treeSize, "tree size")
        guard storedHashIndex >= 0, storedHashIndex < MerkleTree.storedHashCount(treeSize) else {
            throw MerkleLogError(
                .invalidArgument, "stored hash \(storedHashIndex) is not in the tree of size \(treeSize)")
        }
        let (hashLevel, n) = MerkleTree.splitStoredHashIndex(storedHashIndex)
        let level = hashLevel / height
        // The hash is the root of 2^(hashLevel - 8L) consecutive tile entries; this is the first.
        let first = n << (hashLevel - height * level)
        let index = first >> height
        let nodes = treeSize >> (height * level)
        let width = Int(min(UInt64(fullWidth), nodes - (index << height)))
        return Tile(unchecked: level, index, width)
    }

    // MARK: Tile data

    /// The storage indexes of the tile's hashes, in tile order.
    public var storedHashIndexes: [Int64] {
        let first = index << Tile.height
        return (0..<UInt64(width)).map { MerkleTree.storedHashIndex(level: treeLevel, n: first + $0) }
    }

    /// The tile's bytes (its hashes concatenated) from the stored hashes: what a log serves.
    public func readData(from reader: some HashReader) throws -> [UInt8] {
        let hashes = try reader.readExactly(storedHashIndexes)
        var data: [UInt8] = []
        data.reserveCapacity(width * Hash.byteCount)
        for hash in hashes {
            hash.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// The stored hash `storedHashIndex`, read from or recomputed out of this tile's `data`
    /// (exactly `width * 32` bytes). Throws `invalidTile` if the data has the wrong length or
    /// the hash is not in this tile at this width. Does not authenticate the data: proofs built
    /// from tiles are checked against a signed root by the caller.
    public func hash(atStoredHashIndex storedHashIndex: Int64, data: [UInt8]) throws(MerkleLogError) -> Hash {
        guard data.count == width * Hash.byteCount else {
            throw MerkleLogError(
                .invalidTile,
                "tile \(path) has \(data.count) bytes, not \(width * Hash.byteCount): "
                    + "fetch it again or from another mirror")
        }
        let notHere = MerkleLogError(.invalidTile, "stored hash \(storedHashIndex) is not in tile \(path)")
        guard storedHashIndex >= 0, storedHashIndex < MerkleTree.storedHashCount(MerkleTree.maxSize) else {
            throw notHere
        }
        let (hashLevel, n) = MerkleTree.splitStoredHashIndex(storedHashIndex)
        guard hashLevel / Tile.height == level else { throw notHere }
        let span = 1 << (hashLevel - treeLevel)
        let first = n << (hashLevel - treeLevel)
        guard first >> Tile.height == index, Int(first & 0xff) + span <= width else { throw notHere }
        let start = Int(first & 0xff)
        return data.withUnsafeBytes { raw in
            func entry(_ i: Int) -> Hash {
                let offset = (start + i) * Hash.byteCount
                return Hash(copying: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + Hash.byteCount]))
            }
            if span == 1 { return entry(0) }
            // Hash the span's entries pairwise, level by level, in place.
            var hashes = (0..<span).map(entry)
            var count = span
            while count > 1 {
                count /= 2
                for i in 0..<count {
                    hashes[i] = MerkleTree.nodeHash(hashes[2 * i], hashes[2 * i + 1])
                }
            }
            return hashes[0]
        }
    }
}
