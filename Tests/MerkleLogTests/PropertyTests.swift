import MerkleLog
import Testing

// Properties over random trees of up to 2,000 leaves, against the literal RFC 9162 definitions
// in `Reference`. Seeds are fixed so that a failure can be replayed.

private let log: TestLog = {
    do { return try TestLog(count: 2_000) } catch { fatalError("cannot build the test log: \(error)") }
}()

/// A reader that records what it is asked for and fails on anything at or after `limit`.
private final class FencedReader: HashReader {
    let stored: [Hash]
    let limit: Int64
    private(set) var requests: [[Int64]] = []

    init(_ stored: [Hash], limit: Int64) {
        self.stored = stored
        self.limit = limit
    }

    struct ReadPastFence: Error { var index: Int64 }

    func readHashes(_ indexes: [Int64]) throws -> [Hash] {
        requests.append(indexes)
        if let bad = indexes.first(where: { $0 >= limit }) { throw ReadPastFence(index: bad) }
        return try stored.readHashes(indexes)
    }
}

private func flipped(_ hash: Hash, bit: Int) throws -> Hash {
    var bytes = hash.bytes
    bytes[bit / 8] ^= 1 << (bit % 8)
    return try #require(Hash(bytes))
}

/// The code of the `MerkleLogError` that `body` throws, or nil if it succeeds. Any other error is
/// a test failure.
private func code(_ body: () throws -> Void) -> MerkleLogError.Code? {
    do {
        try body()
        return nil
    } catch let error as MerkleLogError {
        return error.code
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

@Suite struct StoredHashProperties {
    @Test func indexMathMatchesTlog() {
        #expect(MerkleTree.storedHashCount(0) == 0)
        var seen = Set<Int64>()
        for n in 0..<UInt64(4_096) {
            let count = MerkleTree.storedHashCount(n)
            // x/mod: StoredHashIndex(0, n-1) + 1 + trailing ones of n - 1.
            if n > 0 {
                #expect(
                    count == Reference.storedHashIndex(0, Int64(n - 1)) + 1 + Int64((~(n - 1)).trailingZeroBitCount))
            }
            for level in 0...12 where (n + 1) << level <= 4_096 {
                let index = MerkleTree.storedHashIndex(level: level, n: n)
                #expect(index == Reference.storedHashIndex(level, Int64(n)), "level \(level) n \(n)")
                let split = MerkleTree.splitStoredHashIndex(index)
                #expect(split.level == level && split.n == n, "split of \(index)")
                seen.insert(index)
            }
        }
        // Every index below the count of a 4,096-leaf tree is some (level, n): the layout is dense.
        #expect(seen.count == Int(MerkleTree.storedHashCount(4_096)))
        #expect(seen.max() == MerkleTree.storedHashCount(4_096) - 1)
    }

    @Test func storedHashesOneByOneMatchTheTree() throws {
        #expect(log.stored.count == Int(MerkleTree.storedHashCount(2_000)))
        for level in 0..<11 {
            var n: UInt64 = 0
            while (n + 1) << level <= 2_000 {
                let first = Int(n << level)
                let want = Reference.root(log.leafHashes[first..<first + 1 << level])
                #expect(
                    log.stored[Int(MerkleTree.storedHashIndex(level: level, n: n))] == want, "level \(level) n \(n)")
                n += 1
            }
        }
    }

    @Test func batchesEqualOneByOne() throws {
        var rng = SeededGenerator(state: 1)
        var size = 0
        var stored: [Hash] = []
        var batches = 0
        while size < log.leafHashes.count {
            let count = min(Int.random(in: 0...300, using: &rng), log.leafHashes.count - size)
            let reader = FencedReader(stored, limit: Int64(stored.count))
            let batch = try MerkleTree.storedHashes(
                n: UInt64(size), leafHashes: log.leafHashes[size..<size + count], reader: reader)
            #expect(reader.requests.count <= 1, "one read per batch")
            #expect(batch.startIndex == Int64(stored.count))
            #expect(batch.treeSize == UInt64(size + count))
            stored += batch.hashes
            #expect(batch.indexes == batch.startIndex..<Int64(stored.count))
            #expect(stored == Array(log.stored[..<stored.count]), "batch at \(size) + \(count)")
            #expect(batch.rootHash == Reference.root(log.leafHashes[..<(size + count)]), "root after \(size + count)")
            size += count
            batches += 1
        }
        #expect(stored == log.stored)
        #expect(batches > 5)
    }

    @Test func treeHashMatchesRootOfAllLeaves() throws {
        var rng = SeededGenerator(state: 2)
        var sizes = Array(0...70)
        sizes += (0..<60).map { _ in Int.random(in: 71...2_000, using: &rng) } + [255, 256, 257, 1_024, 2_000]
        for size in sizes {
            let leaves = log.leafHashes[..<size]
            let want = Reference.root(leaves)
            #expect(try MerkleTree.treeHash(size: UInt64(size), reader: log.stored) == want, "treeHash \(size)")
            #expect(MerkleTree.rootHash(leafHashes: leaves) == want, "rootHash \(size)")
            // Day roots: a range that does not start at 0 is a standalone tree of its own.
            let start = size / 3
            #expect(
                MerkleTree.rootHash(leafHashes: log.leafHashes[start..<size])
                    == Reference.root(log.leafHashes[start..<size]))
        }
        var accumulator = RootAccumulator()
        #expect(accumulator.rootHash == MerkleTree.emptyRoot && accumulator.count == 0)
        for leaf in log.leafHashes[..<100] { accumulator.append(leaf) }
        #expect(accumulator.count == 100 && accumulator.rootHash == Reference.root(log.leafHashes[..<100]))
    }

    /// The accumulator resumed from a tree's perfect subtrees continues exactly as one that
    /// saw every leaf, and every node it reports completing is the stored hash at that place.
    @Test func accumulatorResumesAndReportsTheNodesItCompletes() throws {
        var rng = SeededGenerator(state: 3)
        for size in [0, 1, 2, 3, 255, 256, 257, 511, 1_000] + (0..<20).map({ _ in Int.random(in: 1...1_900, using: &rng) }) {
            let subtrees = MerkleTree.perfectSubtrees(size: UInt64(size))
            #expect(subtrees.count == UInt64(size).nonzeroBitCount)
            let hashes = try log.stored.readHashes(subtrees.map { MerkleTree.storedHashIndex(level: $0.level, n: $0.n) })
            var resumed = try RootAccumulator(count: UInt64(size), subtrees: hashes)
            #expect(resumed.rootHash == Reference.root(log.leafHashes[..<size]), "resumed at \(size)")
            var completed: [(Int, UInt64, Hash)] = []
            for leaf in log.leafHashes[size..<(size + 100)] {
                resumed.append(leaf) { completed.append(($0, $1, $2)) }
            }
            #expect(resumed.count == UInt64(size + 100))
            #expect(resumed.rootHash == Reference.root(log.leafHashes[..<(size + 100)]), "continued from \(size)")
            // Every node completed, at every level, is the tree's stored hash there.
            let stored = try log.stored.readHashes(completed.map { MerkleTree.storedHashIndex(level: $0.0, n: $0.1) })
            #expect(completed.map(\.2) == stored, "nodes completed after \(size)")
            // 100 leaves complete 100 - (popcount change) interior nodes: none are missed.
            let expected = 100 - UInt64(size + 100).nonzeroBitCount + UInt64(size).nonzeroBitCount
            #expect(UInt64(completed.count) == expected)
        }
        #expect(throws: MerkleLogError.self) { try RootAccumulator(count: 3, subtrees: [MerkleTree.emptyRoot]) }
        #expect(throws: MerkleLogError.self) { try RootAccumulator(count: MerkleTree.maxSize + 1, subtrees: []) }
    }

    @Test func readerContractAndRangeErrors() throws {
        struct ShortReader: HashReader {
            func readHashes(_ indexes: [Int64]) throws -> [Hash] {
                Array(repeating: MerkleTree.emptyRoot, count: indexes.count - 1)
            }
        }
        let errors: [() throws -> Void] = [
            { _ = try MerkleTree.treeHash(size: 7, reader: ShortReader()) },
            { _ = try MerkleTree.inclusionProof(index: 3, size: 7, reader: ShortReader()) },
            { _ = try MerkleTree.consistencyProof(size1: 3, size2: 7, reader: ShortReader()) },
            { _ = try MerkleTree.storedHashes(n: 7, leafHash: MerkleTree.emptyRoot, reader: ShortReader()) },
            { _ = try MerkleTree.storedHashes(n: 7, leafHashes: [MerkleTree.emptyRoot], reader: ShortReader()) },
        ]
        for body in errors {
            #expect(throws: MerkleLogError.self) { try body() }
            do { try body() } catch let error as MerkleLogError { #expect(error.code == .readerContract) }
        }
        let tooBig = MerkleTree.maxSize + 1
        for body: () throws -> Void in [
            { _ = try MerkleTree.treeHash(size: tooBig, reader: log.stored) },
            { _ = try MerkleTree.inclusionProof(index: 0, size: tooBig, reader: log.stored) },
            { _ = try MerkleTree.inclusionProof(index: 5, size: 5, reader: log.stored) },
            { _ = try MerkleTree.consistencyProof(size1: 0, size2: 5, reader: log.stored) },
            { _ = try MerkleTree.consistencyProof(size1: 6, size2: 5, reader: log.stored) },
            { _ = try MerkleTree.consistencyProof(size1: 1, size2: tooBig, reader: log.stored) },
            {
                _ = try MerkleTree.storedHashes(
                    n: MerkleTree.maxSize, leafHash: MerkleTree.emptyRoot, reader: log.stored)
            },
            {
                _ = try MerkleTree.storedHashes(
                    n: MerkleTree.maxSize, leafHashes: [MerkleTree.emptyRoot], reader: log.stored)
            },
        ] {
            do {
                try body()
                Issue.record("out-of-range call succeeded")
            } catch let error as MerkleLogError {
                #expect(error.code == .invalidArgument)
            }
        }
        // An in-memory reader asked past its end throws rather than trapping.
        #expect(throws: MerkleLogError.self) { _ = try MerkleTree.treeHash(size: 2_001, reader: log.stored) }
    }
}

@Suite struct ProofProperties {
    @Test func inclusionProofsVerifyAndResistTampering() throws {
        var rng = SeededGenerator(state: 3)
        var pairs: [(index: UInt64, size: UInt64)] = []
        for size in 1...17 { for index in 0..<size { pairs.append((UInt64(index), UInt64(size))) } }
        for _ in 0..<150 {
            let size = UInt64.random(in: 1...2_000, using: &rng)
            pairs.append((UInt64.random(in: 0..<size, using: &rng), size))
        }
        for (index, size) in pairs {
            let root = try MerkleTree.treeHash(size: size, reader: log.stored)
            let leaf = log.leafHashes[Int(index)]
            let proof = try MerkleTree.inclusionProof(index: index, size: size, reader: log.stored)
            let context = "index \(index) size \(size)"
            try MerkleTree.verifyInclusion(index: index, size: size, leafHash: leaf, proof: proof, root: root)
            if size <= 300 || index % 4 == 0 {
                #expect(proof == Reference.inclusionPath(Int(index), log.leafHashes[..<Int(size)]), "\(context)")
            }
            for position in proof.indices {
                var bad = proof
                bad[position] = try flipped(bad[position], bit: Int.random(in: 0..<256, using: &rng))
                #expect(
                    code {
                        try MerkleTree.verifyInclusion(index: index, size: size, leafHash: leaf, proof: bad, root: root)
                    } == .rootMismatch, "\(context) flip \(position)")
            }
            let badLeaf = try flipped(leaf, bit: 7)
            let badRoot = try flipped(root, bit: 200)
            #expect(
                code {
                    try MerkleTree.verifyInclusion(
                        index: index, size: size, leafHash: badLeaf, proof: proof, root: root)
                } == .rootMismatch)
            #expect(
                code {
                    try MerkleTree.verifyInclusion(
                        index: index, size: size, leafHash: leaf, proof: proof, root: badRoot)
                } == .rootMismatch)
            if !proof.isEmpty {
                #expect(
                    code {
                        try MerkleTree.verifyInclusion(
                            index: index, size: size, leafHash: leaf, proof: Array(proof.dropLast()), root: root)
                    } == .wrongProofLength)
            }
            #expect(
                code {
                    try MerkleTree.verifyInclusion(
                        index: index, size: size, leafHash: leaf, proof: proof + [leaf], root: root)
                } == .wrongProofLength)
            #expect(
                code {
                    try MerkleTree.verifyInclusion(index: size, size: size, leafHash: leaf, proof: proof, root: root)
                } == .invalidArgument)
            // Any other index in the same tree fails (wrong length or wrong root, never success).
            for other in [index &- 1, index + 1, index ^ 2] where other < size && other != index {
                #expect(
                    code {
                        try MerkleTree.verifyInclusion(
                            index: other, size: size, leafHash: leaf, proof: proof, root: root)
                    } != nil, "\(context) as index \(other)")
            }
            // The same proof against a bigger tree of the same log fails too.
            if size < 2_000 {
                let biggerRoot = try MerkleTree.treeHash(size: size + 1, reader: log.stored)
                #expect(
                    code {
                        try MerkleTree.verifyInclusion(
                            index: index, size: size + 1, leafHash: leaf, proof: proof, root: biggerRoot)
                    } != nil)
            }
        }
    }

    @Test func consistencyProofsVerifyAndResistTampering() throws {
        var rng = SeededGenerator(state: 4)
        var pairs: [(UInt64, UInt64)] = []
        for size2 in 1...17 { for size1 in 1...size2 { pairs.append((UInt64(size1), UInt64(size2))) } }
        for _ in 0..<150 {
            let size2 = UInt64.random(in: 1...2_000, using: &rng)
            pairs.append((UInt64.random(in: 1...size2, using: &rng), size2))
        }
        for (size1, size2) in pairs {
            let root1 = try MerkleTree.treeHash(size: size1, reader: log.stored)
            let root2 = try MerkleTree.treeHash(size: size2, reader: log.stored)
            let proof = try MerkleTree.consistencyProof(size1: size1, size2: size2, reader: log.stored)
            let context = "\(size1) -> \(size2)"
            try MerkleTree.verifyConsistency(size1: size1, size2: size2, proof: proof, root1: root1, root2: root2)
            #expect(proof == Reference.consistencyProof(Int(size1), log.leafHashes[..<Int(size2)]), "\(context)")
            #expect(proof.isEmpty == (size1 == size2))
            for position in proof.indices {
                var bad = proof
                bad[position] = try flipped(bad[position], bit: Int.random(in: 0..<256, using: &rng))
                #expect(
                    code {
                        try MerkleTree.verifyConsistency(
                            size1: size1, size2: size2, proof: bad, root1: root1, root2: root2)
                    } == .rootMismatch, "\(context) flip \(position)")
            }
            let badRoot1 = try flipped(root1, bit: 1)
            let badRoot2 = try flipped(root2, bit: 255)
            #expect(
                code {
                    try MerkleTree.verifyConsistency(
                        size1: size1, size2: size2, proof: proof, root1: badRoot1, root2: root2)
                } == .rootMismatch)
            #expect(
                code {
                    try MerkleTree.verifyConsistency(
                        size1: size1, size2: size2, proof: proof, root1: root1, root2: badRoot2)
                } == .rootMismatch)
            if !proof.isEmpty {
                #expect(
                    code {
                        try MerkleTree.verifyConsistency(
                            size1: size1, size2: size2, proof: Array(proof.dropLast()), root1: root1, root2: root2)
                    } == .wrongProofLength)
                #expect(
                    code {
                        try MerkleTree.verifyConsistency(
                            size1: size1, size2: size2, proof: Array(proof.dropFirst()), root1: root1, root2: root2)
                    } == .wrongProofLength)
            }
            #expect(
                code {
                    try MerkleTree.verifyConsistency(
                        size1: size1, size2: size2, proof: proof + [root1], root1: root1, root2: root2)
                } == .wrongProofLength)
            #expect(
                code {
                    try MerkleTree.verifyConsistency(size1: 0, size2: size2, proof: proof, root1: root1, root2: root2)
                } == .invalidArgument)
            #expect(
                code {
                    try MerkleTree.verifyConsistency(
                        size1: size2 + 1, size2: size2, proof: proof, root1: root1, root2: root2)
                } == .invalidArgument)
            // Other sizes with the right roots of those sizes: the proof must not carry over.
            for (other1, other2) in [(size1 - 1, size2), (size1 + 1, size2), (size1, size2 + 1), (size1, size2 - 1)]
            where other1 > 0 && other1 <= other2 && other2 <= 2_000 && (other1, other2) != (size1, size2) {
                let otherRoot1 = try MerkleTree.treeHash(size: other1, reader: log.stored)
                let otherRoot2 = try MerkleTree.treeHash(size: other2, reader: log.stored)
                let otherProof = try MerkleTree.consistencyProof(size1: other1, size2: other2, reader: log.stored)
                if otherProof != proof {
                    #expect(
                        code {
                            try MerkleTree.verifyConsistency(
                                size1: other1, size2: other2, proof: proof, root1: otherRoot1, root2: otherRoot2)
                        } != nil, "\(context) as \(other1) -> \(other2)")
                }
            }
        }
    }

    @Test func equalSizesAndTheEmptyTree() throws {
        let root = try MerkleTree.treeHash(size: 5, reader: log.stored)
        try MerkleTree.verifyConsistency(size1: 5, size2: 5, proof: [], root1: root, root2: root)
        #expect(
            code { try MerkleTree.verifyConsistency(size1: 5, size2: 5, proof: [root], root1: root, root2: root) }
                == .wrongProofLength)
        #expect(
            code {
                try MerkleTree.verifyConsistency(
                    size1: 5, size2: 5, proof: [], root1: root, root2: MerkleTree.emptyRoot)
            } == .rootMismatch)
        #expect(
            code {
                try MerkleTree.verifyConsistency(
                    size1: 0, size2: 0, proof: [], root1: MerkleTree.emptyRoot, root2: MerkleTree.emptyRoot)
            } == .invalidArgument)
        #expect(
            code { try MerkleTree.verifyInclusion(index: 0, size: 0, leafHash: root, proof: [], root: root) }
                == .invalidArgument)
        #expect(
            code { try MerkleTree.verifyInclusion(index: .max, size: 5, leafHash: root, proof: [], root: root) }
                == .invalidArgument)
        // Sizes far beyond any stored tree still verify by bit arithmetic alone, without traps.
        #expect(
            code { try MerkleTree.verifyInclusion(index: .max - 1, size: .max, leafHash: root, proof: [], root: root) }
                == .wrongProofLength)
        #expect(
            code {
                try MerkleTree.verifyConsistency(size1: .max - 1, size2: .max, proof: [root], root1: root, root2: root)
            } == .wrongProofLength)
    }
}
