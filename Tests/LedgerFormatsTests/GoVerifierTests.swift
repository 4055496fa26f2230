import Crypto
import Foundation
import LedgerFormats
import TestSupport
import Testing

/// The independent Go verifier (tools/goverify: golang.org/x/mod's note and tlog packages),
/// built once per test run. Everything we sign must verify there, and every tampering we
/// reject must be rejected there too.
enum GoVerifier {
    /// Runs goverify; a missing Go toolchain fails the calling test with the apt packages to install.
    static func run(_ arguments: [String]) throws -> ProcessRun {
        try runProcess(try goVerifier.get(), arguments)
    }

    /// Writes `text` to a temporary file and runs `goverify <command> -key <key> <file>`.
    static func check(_ command: String, key: String, text: String) throws -> ProcessRun {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("goverify-input-\(UUID().uuidString)")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try run([command, "-key", key, file.path])
    }
}

@Suite struct GoVerifierTests {
    static let signer = TestSigner(name: "tamga.example/log")

    static func checkpointNote(size: UInt64 = 6) throws -> SignedNote {
        let entries = TestLog(count: Int(size)).entries
        return try Checkpoint(origin: signer.name, size: size, rootHash: ReferenceMerkle.root(entries[...])).signed(by: signer)
    }

    static func blockNote() throws -> SignedNote {
        let entries = TestLog(count: 9).entries
        let block = try Block(
            origin: signer.name, treeSize: 9, rootHash: ReferenceMerkle.root(entries[...]), height: 2,
            date: "2026-11-24", start: 1_795_460_400, end: 1_795_546_800,
            previousHash: Array(SHA256.hash(data: Array("block 1".utf8))), dayFirst: 4,
            dayRoot: ReferenceMerkle.root(entries[4...])
        )
        return try block.signed(by: signer)
    }

    /// Both implementations must reject the tampered note.
    func expectBothReject(_ text: String, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let verifier = try Self.signer.verifier
        let run = try GoVerifier.check("checkpoint", key: verifier.verifierKey, text: text)
        #expect(run.status == 1, "\(label): goverify exited \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        let ours = formatsError({ try Checkpoint(note: SignedNote(parsing: Array(text.utf8)), verifier: verifier) }, sourceLocation: sourceLocation)
        #expect(ours != nil, "\(label)", sourceLocation: sourceLocation)
    }

    @Test func goToolIsAvailable() throws {
        if case .failure(let failure) = goVerifier {
            Issue.record("\(failure)")
        }
        let usage = try GoVerifier.run([])
        #expect(usage.status == 2)
        #expect(try GoVerifier.run(["nonsense"]).status == 2)
    }

    @Test func buildScriptNamesThePackagesWhenGoIsMissing() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [packageRoot.appendingPathComponent("tools/goverify/build.sh").path, "/nonexistent/goverify"]
        process.environment = ["PATH": "/nonexistent"]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 3)
        #expect(message.contains("apt-get install -y golang-go golang-golang-x-mod-dev"))
    }

    @Test func xmodVectorVerifiesThere() throws {
        let run = try GoVerifier.check("note", key: SignedNoteTests.xmodVerifierKey, text: SignedNoteTests.xmodNote)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == SignedNoteTests.xmodText)
    }

    /// A checkpoint that witnesses cosigned (tlog-cosignature lines, key type 0x04) still
    /// verifies with golang.org/x/mod's note package, which ignores lines by unknown keys.
    @Test func cosignedCheckpointVerifiesThere() throws {
        var note = try Self.checkpointNote()
        for name in ["witness.example/w1", "witness.example/w2"] {
            note = try note.adding(try Cosignature.sign(text: note.text, time: 1_795_154_400, with: WitnessPolicyTests.Cosigner(name: name)))
        }
        #expect(note.signatures.count == 3)
        let run = try GoVerifier.check("note", key: try Self.signer.verifier.verifierKey, text: note.formatted)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == note.text)
    }

    @Test func signedCheckpointVerifiesThere() throws {
        let note = try Self.checkpointNote()
        let key = try Self.signer.verifier.verifierKey
        let asNote = try GoVerifier.check("note", key: key, text: note.formatted)
        #expect(asNote.status == 0, "\(asNote.stderr)")
        #expect(asNote.stdout == note.text)
        let asCheckpoint = try GoVerifier.check("checkpoint", key: key, text: note.formatted)
        #expect(asCheckpoint.status == 0, "\(asCheckpoint.stderr)")
        #expect(asCheckpoint.stdout == note.text)
    }

    @Test func signedBlockAndCosignedBlockVerifyThere() throws {
        let note = try Self.blockNote()
        let key = try Self.signer.verifier.verifierKey
        let run = try GoVerifier.check("checkpoint", key: key, text: note.formatted)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == note.text)
        let cosigned = try note.adding(signatureBy: TestSigner(name: "witness.example"))
        let cosignedRun = try GoVerifier.check("checkpoint", key: key, text: cosigned.formatted)
        #expect(cosignedRun.status == 0, "\(cosignedRun.stderr)")
    }

    @Test func witnessKeyVerifiesItsCosignatureThere() throws {
        let witness = TestSigner(name: "witness.example")
        let cosigned = try Self.blockNote().adding(signatureBy: witness)
        let run = try GoVerifier.check("note", key: witness.verifier.verifierKey, text: cosigned.formatted)
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test func unknownKeyFailsThere() throws {
        let run = try GoVerifier.check("checkpoint", key: TestSigner(name: Self.signer.name).verifier.verifierKey, text: Self.checkpointNote().formatted)
        #expect(run.status == 1)
    }

    @Test func tamperedCheckpointsFailThere() throws {
        for note in [try Self.checkpointNote(), try Self.blockNote()] {
            let text = note.formatted
            var lines = LineEdit.lines(text)

            var sizeChanged = lines
            sizeChanged[1] = "\((UInt64(lines[1]) ?? 0) + 1)"[...]
            try expectBothReject(LineEdit.join(sizeChanged), "size changed")

            var rootFlipped = lines
            var root = try #require(Data(base64Encoded: String(lines[2])))
            root[5] ^= 0x01
            rootFlipped[2] = root.base64EncodedString()[...]
            try expectBothReject(LineEdit.join(rootFlipped), "root byte flipped")

            let signatureLine = try #require(lines.last)
            let prefix = "\u{2014} \(Self.signer.name) "
            var signature = try #require(Data(base64Encoded: String(signatureLine.dropFirst(prefix.count))))
            signature[20] ^= 0x80
            lines[lines.count - 1] = (prefix + signature.base64EncodedString())[...]
            try expectBothReject(LineEdit.join(lines), "signature byte flipped")
        }
        // Changing a block line (here the day count) breaks the signature as well.
        let block = try Self.blockNote().formatted
        try expectBothReject(block.replacingOccurrences(of: "day 4 5 ", with: "day 3 6 "), "block line changed")
    }

    @Test func receiptsVerifyThere() throws {
        let log = TestLog(count: 7)
        let key = try log.signer.verifier.verifierKey
        for index in [0, 3, 6] {
            let receipt = try log.receipt(index)
            let run = try GoVerifier.check("receipt", key: key, text: receipt.formatted)
            #expect(run.status == 0, "\(run.stderr)")

            let inclusion = try GoVerifier.run(
                ["inclusion", "-size", "7", "-index", "\(index)", "-entry", base64Std(receipt.entry), "-root", base64Std(receipt.checkpoint.rootHash)]
                    + receipt.proof.map(base64Std)
            )
            #expect(inclusion.status == 0, "\(inclusion.stderr)")
        }
        let receipt = try log.receipt(2)
        let otherEntry = try Receipt(entry: log.entries[4], index: 2, proof: receipt.proof, note: receipt.note)
        #expect(try GoVerifier.check("receipt", key: key, text: otherEntry.formatted).status == 1)
        let otherIndex = try Receipt(entry: receipt.entry, index: 3, proof: receipt.proof, note: receipt.note)
        #expect(try GoVerifier.check("receipt", key: key, text: otherIndex.formatted).status == 1)
    }

    // MARK: - The tool itself, against transparency-dev's RFC 6962 proof vectors

    struct InclusionVector: Decodable {
        let leafIdx: UInt64
        let treeSize: UInt64
        let root: Data?
        let leafHash: Data?
        let proof: [Data]?
        let wantErr: Bool
    }

    struct ConsistencyVector: Decodable {
        let size1: UInt64
        let size2: UInt64
        let root1: Data?
        let root2: Data?
        let proof: [Data]?
        let wantErr: Bool
    }

    static func vectors(_ kind: String) throws -> [URL] {
        let base = try #require(Bundle.module.url(forResource: "transparency-dev-merkle-testdata", withExtension: nil, subdirectory: "Resources"))
        let directory = base.appendingPathComponent(kind)
        let enumerator = try #require(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil))
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
    }

    @Test func inclusionVectors() throws {
        let files = try Self.vectors("inclusion")
        #expect(files.count == 98)
        for file in files {
            let v = try JSONDecoder().decode(InclusionVector.self, from: Data(contentsOf: file))
            let run = try GoVerifier.run(
                ["inclusion", "-size", "\(v.treeSize)", "-index", "\(v.leafIdx)",
                 "-leaf", (v.leafHash ?? Data()).base64EncodedString(), "-root", (v.root ?? Data()).base64EncodedString()]
                    + (v.proof ?? []).map { $0.base64EncodedString() }
            )
            #expect(run.status == (v.wantErr ? 1 : 0), "\(file.lastPathComponent): \(run.stderr)")
        }
    }

    @Test func consistencyVectors() throws {
        let files = try Self.vectors("consistency")
        #expect(files.count == 98)
        for file in files {
            let v = try JSONDecoder().decode(ConsistencyVector.self, from: Data(contentsOf: file))
            let run = try GoVerifier.run(
                ["consistency", "-size1", "\(v.size1)", "-size2", "\(v.size2)",
                 "-root1", (v.root1 ?? Data()).base64EncodedString(), "-root2", (v.root2 ?? Data()).base64EncodedString()]
                    + (v.proof ?? []).map { $0.base64EncodedString() }
            )
            // transparency-dev compares the roots of equal sizes bytewise, whatever their length;
            // goverify refuses any root that is not a 32-byte hash.
            let malformedRoot = v.root1?.count != 32 || v.root2?.count != 32
            #expect(run.status == (v.wantErr || malformedRoot ? 1 : 0), "\(file.lastPathComponent): \(run.stderr)")
        }
    }
}
