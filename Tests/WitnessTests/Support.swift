import Crypto
import Foundation
import LedgerFormats
import MerkleLog
import TestSupport
import Testing

@testable import Witness

/// An Ed25519 note signer on swift-crypto: the test log's key, independent of the node's.
struct TestLogKey: NoteSigner {
    let name: String
    let key = Curve25519.Signing.PrivateKey()
    var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }
    var keyID: UInt32 { NoteVerifier.keyID(name: name, publicKey: publicKey) }
    var verifier: NoteVerifier {
        get throws { try NoteVerifier(name: name, publicKey: publicKey) }
    }
    func sign(_ message: [UInt8]) throws -> [UInt8] { Array(try key.signature(for: message)) }
}

/// A plain C2SP log in memory: leaves, stored hashes, and checkpoints signed by its key.
struct TestLog {
    let key: TestLogKey
    var stored: [Hash] = []
    var size: UInt64 = 0

    init(origin: String = "example.com/test-log") {
        key = TestLogKey(name: origin)
    }

    var origin: String { key.name }

    mutating func grow(by count: Int) throws {
        for _ in 0..<count {
            let leaf = MerkleTree.leafHash(Array("leaf \(size)".utf8))
            stored += try MerkleTree.storedHashes(n: size, leafHash: leaf, reader: stored)
            size += 1
        }
    }

    func root(_ size: UInt64) throws -> Hash { try MerkleTree.treeHash(size: size, reader: stored) }

    /// The signed checkpoint of the tree of `size` leaves (default: all), as note bytes.
    func checkpoint(_ size: UInt64? = nil, root: Hash? = nil, signer: (any NoteSigner)? = nil) throws -> [UInt8] {
        let size = size ?? self.size
        let checkpoint = try Checkpoint(origin: origin, size: size, rootHash: (try root ?? self.root(size)).bytes)
        return Array(try checkpoint.signed(by: signer ?? key).formatted.utf8)
    }

    func proof(from old: UInt64, to new: UInt64? = nil) throws -> [Hash] {
        let new = new ?? size
        guard old > 0, old < new else { return [] }
        return try MerkleTree.consistencyProof(size1: old, size2: new, reader: stored)
    }

    /// An `add-checkpoint` body.
    func submission(old: UInt64, proof: [Hash], note: [UInt8]) -> [UInt8] {
        Array(("old \(old)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n").utf8) + note
    }

    func submission(old: UInt64, size: UInt64? = nil) throws -> [UInt8] {
        submission(old: old, proof: try proof(from: old, to: size), note: try checkpoint(size))
    }
}

/// A witness in a scratch folder, witnessing `logs` (lines of a logs file).
struct TestWitness {
    let folder: String
    let witness: Witness
    let keys: WitnessFolder.Keys
    let clock: ManualClock

    static func make(logs: String, name: String = "witness.example/w1", clock: ManualClock = ManualClock(startTime))
        throws -> TestWitness
    {
        let folder = try temporaryFolder("witness") + "/data"
        _ = try WitnessFolder.create(at: folder, name: name)
        let (witness, keys) = try WitnessFolder(folder).open(logs: try LogList(parsing: logs), clock: clock)
        return TestWitness(folder: folder, witness: witness, keys: keys, clock: clock)
    }

    /// The witness in `folder` opened again, as after a restart (the first must be gone: the
    /// store admits one process, one instance).
    static func reopen(_ folder: String, logs: String) throws -> TestWitness {
        let clock = ManualClock(startTime)
        let (witness, keys) = try WitnessFolder(folder).open(logs: try LogList(parsing: logs), clock: clock)
        return TestWitness(folder: folder, witness: witness, keys: keys, clock: clock)
    }
}

/// The note with the witness's answer appended: what a log publishes.
func cosigned(_ note: [UInt8], _ outcome: Witness.Outcome) throws -> SignedNote {
    try SignedNote(parsing: note + Array(outcome.body.utf8))
}
