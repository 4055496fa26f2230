import Foundation
import MerkleLog
import Testing

// Published vectors: RFC 6962 known answers and the transparency-dev/merkle proof probes.

private struct KnownAnswers: Decodable {
    struct HashKAT: Decodable {
        var desc: String
        var leaf: String?
        var leaf_ascii: String?
        var left_ascii: String?
        var want: String
    }

    var hash_kats: [HashKAT]
    var leaf_inputs_hex: [String]
    var root_hashes_by_size_hex: [String]
    var node_hashes_by_level_hex: [[String]]

    static func load() throws -> KnownAnswers {
        try JSONDecoder().decode(KnownAnswers.self, from: Resources.data("rfc6962-known-answers.json"))
    }

    func leafHashes() throws -> [Hash] {
        try leaf_inputs_hex.map { MerkleTree.leafHash(try #require([UInt8](hex: $0))) }
    }
}

private func hash(hex: String) throws -> Hash {
    let bytes = try #require([UInt8](hex: hex))
    return try #require(Hash(bytes))
}

private struct InclusionProbe: Decodable {
    var leafIdx: UInt64
    var treeSize: UInt64
    var root: Data
    var leafHash: Data
    var proof: [Data]?
    var desc: String
    var wantErr: Bool
}

private struct ConsistencyProbe: Decodable {
    var size1: UInt64
    var size2: UInt64
    var root1: Data
    var root2: Data
    var proof: [Data]?
    var desc: String
    var wantErr: Bool
}

/// The API takes roots as `Hash`, which cannot hold the probes' non-32-byte placeholder roots
/// ("don't care 1"). transparency-dev only ever compares a root bytewise, with the other root
/// (equal sizes) or with a computed root, which a placeholder can never match. So each distinct
/// placeholder stands in as a distinct hash that no tree computation produces: a SHA-256 of its
/// bytes behind a label.
private func rootStandIn(_ bytes: Data) -> Hash {
    Hash(bytes) ?? MerkleTree.leafHash(Array("placeholder root: ".utf8) + bytes)
}

/// Leaf hashes and proof hashes of the wrong length are refused by the `Hash` type itself: the
/// probe counts as rejected before the verifier is called.
private struct NotAHash: Error {}

private func hashOrReject(_ data: Data) throws -> Hash {
    guard let hash = Hash(data) else { throw NotAHash() }
    return hash
}

private func hashes(_ list: [Data]?) throws -> [Hash] {
    try (list ?? []).map(hashOrReject)
}

@Suite struct KnownAnswerTests {
    @Test func hashingKnownAnswers() throws {
        let kat = try KnownAnswers.load()
        #expect(MerkleTree.emptyRoot == (try hash(hex: kat.hash_kats[0].want)))
        var checked = 1
        for item in kat.hash_kats {
            if let hex = item.leaf {
                let entry = try #require([UInt8](hex: hex))
                #expect(MerkleTree.leafHash(entry) == (try hash(hex: item.want)), "\(item.desc)")
                checked += 1
            } else if let ascii = item.leaf_ascii {
                #expect(MerkleTree.leafHash(Array(ascii.utf8)) == (try hash(hex: item.want)), "\(item.desc)")
                checked += 1
            }
            // The node KAT hashes 4-byte strings as children; `nodeHash` takes 32-byte hashes, so
            // that one is covered by the node hashes of the tree below instead.
        }
        #expect(checked == 3)
    }

    @Test func rootsOfEverySize() throws {
        let kat = try KnownAnswers.load()
        let leaves = try kat.leafHashes()
        let stored = try TestLog.storedHashes(leaves)
        #expect(kat.root_hashes_by_size_hex.count == leaves.count + 1)
        for (size, hex) in kat.root_hashes_by_size_hex.enumerated() {
            let want = try hash(hex: hex)
            #expect(MerkleTree.rootHash(leafHashes: leaves[..<size]) == want, "rootHash size \(size)")
            #expect(try MerkleTree.treeHash(size: UInt64(size), reader: stored) == want, "treeHash size \(size)")
        }
    }

    @Test func storedNodeHashesByLevel() throws {
        let kat = try KnownAnswers.load()
        let stored = try TestLog.storedHashes(try kat.leafHashes())
        #expect(stored.count == Int(MerkleTree.storedHashCount(8)))
        var checked = 0
        for (level, row) in kat.node_hashes_by_level_hex.enumerated() {
            for (n, hex) in row.enumerated() {
                let index = MerkleTree.storedHashIndex(level: level, n: UInt64(n))
                #expect(stored[Int(index)] == (try hash(hex: hex)), "level \(level) node \(n)")
                checked += 1
            }
        }
        #expect(checked == 15)
    }
}

@Suite struct TransparencyDevProbes {
    static let inclusionFiles = Resources.probeFiles("inclusion")
    static let consistencyFiles = Resources.probeFiles("consistency")

    @Test func allProbesPresent() {
        #expect(Self.inclusionFiles.count == 98)
        #expect(Self.consistencyFiles.count == 98)
        #expect(Self.inclusionFiles.filter { $0.hasSuffix("happy-path.json") }.count == 5)
    }

    @Test(arguments: inclusionFiles)
    func inclusion(file: String) throws {
        let probe = try JSONDecoder().decode(InclusionProbe.self, from: Resources.data(file))
        var failure: (any Error)?
        do {
            try MerkleTree.verifyInclusion(
                index: probe.leafIdx, size: probe.treeSize,
                leafHash: try hashOrReject(probe.leafHash),
                proof: try hashes(probe.proof), root: rootStandIn(probe.root))
        } catch {
            failure = error
        }
        if probe.wantErr {
            #expect(failure != nil, "\(file) (\(probe.desc)) verified but must fail")
        } else {
            #expect(failure == nil, "\(file) (\(probe.desc)) must verify: \(String(describing: failure))")
        }
    }

    @Test(arguments: consistencyFiles)
    func consistency(file: String) throws {
        let probe = try JSONDecoder().decode(ConsistencyProbe.self, from: Resources.data(file))
        var failure: (any Error)?
        do {
            try MerkleTree.verifyConsistency(
                size1: probe.size1, size2: probe.size2, proof: try hashes(probe.proof),
                root1: rootStandIn(probe.root1), root2: rootStandIn(probe.root2))
        } catch {
            failure = error
        }
        if probe.wantErr {
            #expect(failure != nil, "\(file) (\(probe.desc)) verified but must fail")
        } else {
            #expect(failure == nil, "\(file) (\(probe.desc)) must verify: \(String(describing: failure))")
        }
    }

    /// The happy paths are proofs in the 8-leaf known-answer tree: the prover must produce them.
    @Test func proverReproducesHappyPaths() throws {
        let stored = try TestLog.storedHashes(try KnownAnswers.load().leafHashes())
        for file in Self.inclusionFiles where file.hasSuffix("happy-path.json") {
            let probe = try JSONDecoder().decode(InclusionProbe.self, from: Resources.data(file))
            let proof = try MerkleTree.inclusionProof(index: probe.leafIdx, size: probe.treeSize, reader: stored)
            #expect(proof == (try hashes(probe.proof)), "\(file)")
            #expect(try MerkleTree.treeHash(size: probe.treeSize, reader: stored) == Hash(probe.root), "\(file)")
        }
        for file in Self.consistencyFiles where file.hasSuffix("happy-path.json") {
            let probe = try JSONDecoder().decode(ConsistencyProbe.self, from: Resources.data(file))
            let proof = try MerkleTree.consistencyProof(size1: probe.size1, size2: probe.size2, reader: stored)
            #expect(proof == (try hashes(probe.proof)), "\(file)")
        }
    }
}
