import Foundation
import Journal
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

/// Milliseconds of a UTC instant written as RFC 3339.
func ms(_ text: String) -> Int64 {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    return Int64(((date?.timeIntervalSince1970 ?? 0) * 1000).rounded())
}

func record(_ event: EventName = .authOK, owner: String = "900101300123", key: String? = nil) throws -> EventRecord {
    var fields: [String: FieldValue] = [:]
    if let key { fields["key"] = .string(key) }
    if event == .keyUse {
        fields["doc"] = .string(String(repeating: "ab", count: 32))
        fields["alg"] = "Ed25519"
    }
    return try EventRecord(event: event, owner: owner, fields: fields)
}

/// Independently recomputes what a chain must satisfy from the stored entries, blocks and
/// genesis, with MerkleLog's reference functions (not the ledger's incremental state).
func checkChainInvariants(_ ledger: Ledger) throws {
    let head = ledger.head
    let entries = try ledger.entries(from: 0, count: Int(head.treeSize))
    try #require(entries.count == Int(head.treeSize), "every entry below the checkpoint is stored")
    let leaves = entries.map { MerkleTree.leafHash($0) }
    #expect(referenceRoot( leaves) == head.rootHash, "checkpoint root = root of the stored entries")

    var previousHash = ledger.genesis.hash
    var previousSize: UInt64 = 0
    var previousRoot = MerkleTree.emptyRoot
    for height in 0..<head.blockCount {
        let note = try #require(try ledger.blockNote(height))
        let block = try Block(note: SignedNote(parsing: note), verifier: ledger.verifier)
        #expect(block.height == height)
        #expect(block.previousHash == previousHash, "block \(height) prev")
        #expect(block.dayFirst == previousSize, "block \(height) day ranges are contiguous")
        let day = Array(leaves[Int(block.dayFirst)..<Int(block.treeSize)])
        #expect(block.dayRoot == referenceRoot( day).bytes, "block \(height) day root")
        #expect(block.rootHash == referenceRoot( leaves[0..<Int(block.treeSize)]).bytes)
        if previousSize > 0 {
            let proof = try ledger.consistencyProof(from: previousSize, to: block.treeSize)
            try MerkleTree.verifyConsistency(
                size1: previousSize, size2: block.treeSize, proof: proof, root1: previousRoot,
                root2: try #require(Hash(block.rootHash)))
        }
        let calendarDay = try ledger.calendar.day(atHeight: Int64(height))
        #expect(block.date == calendarDay.date.description)
        for bytes in entries[Int(block.dayFirst)..<Int(block.treeSize)] {
            let time = try Entry(parsing: bytes).time.millisecondsSinceEpoch
            #expect(time >= block.start * 1000 && time < block.end * 1000, "entry inside its block's day")
        }
        previousHash = block.hash
        previousSize = block.treeSize
        previousRoot = try #require(Hash(block.rootHash))
    }
    var lastTime: Int64 = 0
    for (seq, bytes) in entries.enumerated() {
        let entry = try Entry(parsing: bytes)
        #expect(entry.seq == Int64(seq))
        #expect(entry.time.millisecondsSinceEpoch >= lastTime, "time never decreases")
        lastTime = entry.time.millisecondsSinceEpoch
        #expect(try ledger.leafIndex(of: leaves[seq]) == UInt64(seq), "leaf-hash index")
    }
    #expect(try ledger.verifyChain().problems == [])
}

/// RFC 6962 section 2.1's recursive definition, written out as the RFC states it: the
/// reference the ledger's incremental roots are checked against.
func referenceRoot(_ leaves: some Collection<Hash>) -> Hash {
    let leaves = Array(leaves)
    guard leaves.count > 1 else { return leaves.first ?? MerkleTree.emptyRoot }
    var k = 1
    while k * 2 < leaves.count { k *= 2 }
    return MerkleTree.nodeHash(referenceRoot(leaves[..<k]), referenceRoot(leaves[k...]))
}
