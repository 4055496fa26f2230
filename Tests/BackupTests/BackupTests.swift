import Backup
import Crypto
import Foundation
import HSMBoundary
import Ledger
import LevelDB
import PublicLog
import LedgerFormats
import MerkleLog
import SignCore
import Sodium
import TestSupport
import Testing

@Suite struct BackupTests {
    @Test func everyThreeOfFiveSubsetRestores() async throws {
        let chain = try await Chain.make()
        let created = try await chain.backup()
        #expect(created.shareFiles.count == 5)
        #expect(created.shares.isEmpty, "shares written to files are not also returned")
        let mnemonics = try created.shareFiles.map(HSMBackup.readShareFile)
        #expect(Set(mnemonics).count == 5)
        let subsets = subsets(5, 3)
        #expect(subsets.count == 10)
        for (number, subset) in subsets.enumerated() {
            let target = DataFolder(chain.root + "/restored-\(number)")
            // Alternate the order in which the shares are given.
            let given = number % 2 == 0 ? subset.map { mnemonics[$0] } : subset.reversed().map { mnemonics[$0] }
            let restored = try await HSMBackup.restore(archive: created.archive, shares: given, into: target, clock: chain.clock)
            #expect(restored.archiveHash == created.archiveHash, "subset \(subset)")
            #expect(restored.seq == created.metadata.treeSize)
            for file in [\DataFolder.genesis, \.masterKey, \.logKey] {
                #expect(try read(target[keyPath: file]) == read(chain.folder[keyPath: file]), "subset \(subset) \(file)")
            }
            #expect(try mode(target.masterKey) == 0o600)
            #expect(try mode(target.logKey) == 0o600)
        }
        let leftovers = try contents(chain.root).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "no staging folder remains: \(leftovers)")
    }

    @Test func threeOfSixSharesShownNotWrittenRestore() async throws {
        let chain = try await Chain.make()
        let archive = chain.root + "/six.tamgabak"
        let created = try await HSMBackup.create(
            folder: chain.folder, archive: archive, threshold: 3, shares: 6, shareFolder: nil, clock: chain.clock)
        #expect(created.shares.count == 6)
        #expect(created.shareFiles.isEmpty)
        #expect(created.metadata.threshold == 3 && created.metadata.shares == 6)
        let restored = try await HSMBackup.restore(
            archive: archive, shares: [created.shares[5], created.shares[0], created.shares[3]],
            into: DataFolder(chain.root + "/restored"), clock: chain.clock)
        #expect(restored.archiveHash == created.archiveHash)
    }

    @Test func shareFilesAreSecretAndEndWithTheMnemonic() async throws {
        let chain = try await Chain.make()
        let created = try await chain.backup()
        for (offset, path) in created.shareFiles.enumerated() {
            #expect(try mode(path) == 0o600)
            let lines = String(decoding: try read(path), as: UTF8.self).split(separator: "\n").map(String.init)
            let last = try #require(lines.last)
            #expect(lines.dropLast().allSatisfy { $0.hasPrefix("#") }, "only comment lines before the mnemonic")
            #expect(last.split(separator: " ").count == 33, "a 256-bit SLIP-39 share has 33 words")
            #expect(lines[0].contains("share \(offset + 1) of 5"))
            #expect(lines.contains { $0.contains(hexString(created.archiveHash)) })
            #expect(try HSMBackup.readShareFile(path) == last)
        }
    }

    @Test func archiveHoldsNoSecretInTheClear() async throws {
        let chain = try await Chain.make()
        let created = try await chain.backup()
        let archive = Data(try read(created.archive))
        let master = try read(chain.folder.masterKey)
        let record = try #require(try Ledger.open(folder: chain.folder).record("signcore/key/\(chain.key.id)"))
        #expect(archive.range(of: Data(master)) == nil, "the master key is not in the clear")
        #expect(archive.range(of: Data(record.prefix(64))) == nil, "store records are not in the clear")
        #expect(archive.range(of: Data(Chain.owner.utf8)) == nil, "no owner identifier in the clear")
        for share in try created.shareFiles.map(HSMBackup.readShareFile) {
            #expect(archive.range(of: Data(share.utf8)) == nil)
        }
        #expect(try mode(created.archive) == 0o600)
        let prefix = String(decoding: archive.prefix(20), as: UTF8.self)
        #expect(prefix == "tamga-hsm-backup v1\n")
        let digest = Array(SHA256.hash(data: archive))
        #expect(digest == created.archiveHash, "the archive hash is the SHA-256 of the file")
    }

    @Test func backupIsJournaledWithoutShares() async throws {
        let chain = try await Chain.make()
        let created = try await chain.backup()
        let entries = try chain.entries()
        #expect(entries.count == Int(created.metadata.treeSize) + 1)
        let entry = try Entry(parsing: try #require(entries.last))
        #expect(entry.event == .backupCreate)
        #expect(entry.record[field: "archive"] == .string(hexString(created.archiveHash)))
        #expect(entry.record[field: "threshold"] == .integer(3))
        #expect(entry.record[field: "shares"] == .integer(5))
        #expect(entry.record[field: "treeSize"] == .integer(Int64(created.metadata.treeSize)))
        let text = String(decoding: entries.joined(), as: UTF8.self)
        for share in try created.shareFiles.map(HSMBackup.readShareFile) {
            #expect(!text.contains(share.split(separator: " ").prefix(4).joined(separator: " ")))
        }
    }

    @Test func tooFewDuplicatedMixedOrWrongSetSharesAreRefused() async throws {
        let chain = try await Chain.make()
        let a = try await chain.backup(name: "a.tamgabak")
        let b = try await chain.backup(name: "b.tamgabak")
        let sharesA = try a.shareFiles.map(HSMBackup.readShareFile)
        let sharesB = try b.shareFiles.map(HSMBackup.readShareFile)
        let target = DataFolder(chain.root + "/restored")
        let before = try contents(chain.root)
        func refused(_ shares: [String], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) async {
            let error = await expectBackupError(.shares, sourceLocation: sourceLocation) {
                try await HSMBackup.restore(archive: a.archive, shares: shares, into: target, clock: chain.clock)
            }
            #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")", sourceLocation: sourceLocation)
            #expect((try? contents(chain.root)) == before, "nothing written", sourceLocation: sourceLocation)
        }
        await refused([sharesA[0], sharesA[1]], "3 needed")
        await refused([sharesA[0], sharesA[2], sharesA[0]], "give each share once")
        await refused([sharesA[0], sharesB[1], sharesA[2]], "another set")
        await refused([sharesB[0], sharesB[1], sharesB[2]], "share set")
        await refused([sharesA[0], sharesA[1], String(sharesA[2].dropLast(3)) + "zoo"], "share 3")
        await refused([], "no shares")
        // and the right shares still work afterwards
        _ = try await HSMBackup.restore(archive: a.archive, shares: Array(sharesA[2...4]), into: target, clock: chain.clock)
    }

    @Test func corruptedArchivesAreRefusedWithNothingWritten() async throws {
        let chain = try await Chain.make()
        let created = try await chain.backup()
        let shares = try created.shareFiles.prefix(3).map(HSMBackup.readShareFile)
        let original = try read(created.archive)
        let text = String(decoding: original.prefix(4096), as: UTF8.self)
        let metadataEnd = try #require(original.indices.filter { original[$0] == 0x0A }.dropFirst().first)
        let createdAt = try #require(text.range(of: "\"created\":\"2026-")).upperBound
        let createdDigit = text.utf8.distance(from: text.startIndex, to: createdAt)  // a digit of the year
        let headerStart = metadataEnd + 1
        let firstFrame = headerStart + SecretStream.headerLength
        func flipped(_ index: Int, _ mask: UInt8 = 0x01) -> [UInt8] {
            var bytes = original
            bytes[index] ^= mask
            return bytes
        }
        let cases: [(String, [UInt8])] = [
            ("magic", flipped(3, 0x20)),
            ("metadata, still valid JSON", flipped(createdDigit, 0x01)),
            ("secretstream header", flipped(headerStart + 7)),
            ("first frame length", flipped(firstFrame + 3)),
            ("first chunk", flipped(firstFrame + 40)),
            ("a middle byte", flipped(original.count / 2 + 11)),
            ("last byte (final MAC)", flipped(original.count - 1)),
            ("truncated by 1", Array(original.dropLast())),
            ("truncated to the first chunk", Array(original.prefix(firstFrame + 4 + 100))),
            ("trailing data", original + [0]),
            ("empty", []),
        ]
        let target = chain.root + "/restored"
        for (name, bytes) in cases {
            let path = chain.root + "/corrupt.tamgabak"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let before = try contents(chain.root)
            do {
                _ = try await HSMBackup.restore(archive: path, shares: shares, into: DataFolder(target), clock: chain.clock)
                Issue.record("\(name): a corrupted archive was restored")
            } catch let error as BackupError {
                #expect(error.code == .archive, "\(name): \(error)")
            }
            #expect(try contents(chain.root) == before, "\(name): nothing written")
            #expect(!FileManager.default.fileExists(atPath: target))
            try FileManager.default.removeItem(atPath: path)
        }
        _ = try await HSMBackup.restore(archive: created.archive, shares: shares, into: DataFolder(target), clock: chain.clock)
    }

    /// A restore killed midway leaves a hidden folder beside the target holding the master key
    /// in the clear: the next restore into that target removes it, and leaves alone one whose
    /// store is locked (a restore still at work).
    @Test func whatAKilledRestoreLeftIsRemovedByTheNext() async throws {
        let chain = try await Chain.make()
        let created = try await chain.backup()
        let shares = try created.shareFiles.prefix(3).map(HSMBackup.readShareFile)
        let killed = chain.root + "/.restored.restoring-dead0001"
        try FileManager.default.createDirectory(atPath: killed + "/store", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: chain.folder.masterKey, toPath: killed + "/master.key")
        let busy = chain.root + "/.restored.restoring-b0b0b0b0"
        try FileManager.default.createDirectory(atPath: busy, withIntermediateDirectories: false)
        var options = Database.Options()
        options.createIfMissing = true
        let held = try Database(path: busy + "/store", options: options)
        let unrelated = chain.root + "/.other.restoring-dead0002"
        try FileManager.default.createDirectory(atPath: unrelated, withIntermediateDirectories: false)

        var said: [String] = []
        _ = try await HSMBackup.restore(
            archive: created.archive, shares: shares, into: DataFolder(chain.root + "/restored"), clock: chain.clock,
            progress: { said.append($0) })
        #expect(!FileManager.default.fileExists(atPath: killed), "the master key a killed restore left is gone")
        #expect(FileManager.default.fileExists(atPath: busy + "/store"), "a restore at work is left alone")
        #expect(FileManager.default.fileExists(atPath: unrelated), "another target's folders are not touched")
        #expect(said.contains { $0.contains("removed 1 folder") && $0.contains(".restored.restoring-dead0001") }, "\(said)")
        _ = held
    }

    @Test func onlyAnEmptyOrAbsentTargetIsRestoredInto() async throws {
        let chain = try await Chain.make()
        let created = try await chain.backup()
        let shares = try created.shareFiles.prefix(3).map(HSMBackup.readShareFile)
        await expectBackupError(.exists) {
            try await HSMBackup.restore(archive: created.archive, shares: shares, into: chain.folder, clock: chain.clock)
        }
        #expect(try Chain.entries(chain.folder).count == Int(created.metadata.treeSize) + 1, "the live store is untouched")
        let occupied = chain.root + "/occupied"
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: false)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: occupied + "/note.txt"))
        await expectBackupError(.exists) {
            try await HSMBackup.restore(archive: created.archive, shares: shares, into: DataFolder(occupied), clock: chain.clock)
        }
        #expect(try contents(occupied) == ["note.txt"])
        let empty = chain.root + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        _ = try await HSMBackup.restore(archive: created.archive, shares: shares, into: DataFolder(empty), clock: chain.clock)
        #expect(try contents(empty) == ["genesis.json", "log-key.sealed", "master.key", "store"])
    }

    @Test func thresholdsBelowR5AreRefused() async throws {
        let chain = try await Chain.make()
        for (m, n) in [(2, 5), (3, 4), (1, 5), (6, 5), (3, 17)] {
            let archive = chain.root + "/\(m)-of-\(n).tamgabak"
            await expectBackupError(.invalidArgument) {
                try await HSMBackup.create(
                    folder: chain.folder, archive: archive, threshold: m, shares: n, shareFolder: chain.root + "/s",
                    clock: chain.clock)
            }
            #expect(!FileManager.default.fileExists(atPath: archive))
        }
    }

    @Test func backupRefusesARunningNodeAndExistingFiles() async throws {
        let chain = try await Chain.make()
        let before = try chain.entries().count
        do {
            let running = try Ledger.open(folder: chain.folder, clock: chain.clock)
            let error = await expectBackupError(.locked) {
                try await HSMBackup.create(
                    folder: chain.folder, archive: chain.root + "/x.tamgabak", threshold: 3, shares: 5, shareFolder: nil,
                    clock: chain.clock)
            }
            #expect(error?.message.contains("stop it first") == true)
            _ = running
        }
        #expect(!FileManager.default.fileExists(atPath: chain.root + "/x.tamgabak"))
        let existing = chain.root + "/existing.tamgabak"
        try Data("an older backup".utf8).write(to: URL(fileURLWithPath: existing))
        await expectBackupError(.exists) {
            try await HSMBackup.create(
                folder: chain.folder, archive: existing, threshold: 3, shares: 5, shareFolder: nil, clock: chain.clock)
        }
        #expect(try read(existing) == Array("an older backup".utf8))
        #expect(try chain.entries().count == before, "a refused backup journals nothing")
    }

    @Test func aKeyCreatedBeforeTheBackupSignsAfterTheRestore() async throws {
        let chain = try await Chain.make()
        let created = try await chain.backup()
        let shares = try [4, 1, 2].map { try HSMBackup.readShareFile(created.shareFiles[$0]) }
        let target = DataFolder(chain.root + "/restored")
        _ = try await HSMBackup.restore(archive: created.archive, shares: shares, into: target, clock: chain.clock)
        // Wipe the original: the restored folder must stand on its own.
        try FileManager.default.removeItem(atPath: chain.folder.path)

        chain.clock.advance(60_000)
        let document = Array("contract no. 7".utf8)
        let hash = Array(SHA256.hash(data: document))
        let (info, signature) = try await Chain.withCore(folder: target, clock: chain.clock, biometricKey: chain.biometricKey) {
            core in
            let info = try core.key(chain.key.id)
            let totp = try SignCoreClient.totpCode(otpauthURI: chain.otpauth, time: chain.clock.now())
            let activation = try await core.authorize(
                keyID: info.id, owner: Chain.owner, hashes: [hash],
                factors: Chain.factors(
                    core, owner: Chain.owner, for: .authorize(keyID: info.id, hashes: [hash]), clock: chain.clock,
                    biometricKey: chain.biometricKey, totp: totp))
            let signatures = try await core.sign(keyID: info.id, owner: Chain.owner, sad: activation.sad, hashes: [hash])
            return (info, try #require(signatures.first))
        }
        #expect(info.publicKey == chain.key.publicKey)
        #expect(info.fingerprint == chain.key.fingerprint)
        #expect(info.totpEnrolled)
        #expect(Ed25519.verify(signature: signature, message: hash, publicKey: chain.key.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: document, publicKey: chain.key.publicKey))
        let last = try Entry(parsing: try #require(try Chain.entries(target).last))
        #expect(last.event == .keyUse)
        #expect(last.record[field: "doc"] == .string(hexString(hash)))
    }

    @Test func theRestoredLogContinuesTheSameChain() async throws {
        let chain = try await Chain.make()
        let created = try await chain.backup()
        let original = try chain.entries()
        let size = created.metadata.treeSize
        let shares = try created.shareFiles.suffix(3).map(HSMBackup.readShareFile)
        let target = DataFolder(chain.root + "/restored")
        let restored = try await HSMBackup.restore(archive: created.archive, shares: shares, into: target, clock: chain.clock)
        #expect(restored.seq == size)

        let ledger = try Ledger.open(folder: target, clock: chain.clock)
        let head = ledger.head
        #expect(head.treeSize == size + 1)
        let entries = try ledger.entries(from: 0, count: Int(head.treeSize))
        #expect(Array(entries.prefix(Int(size))) == Array(original.prefix(Int(size))), "the archived log is kept byte for byte")
        let entry = try Entry(parsing: try #require(entries.last))
        #expect(entry.event == .backupRestore)
        #expect(entry.seq == size)
        #expect(entry.record[field: "archive"] == .string(hexString(created.archiveHash)))
        #expect(entry.record[field: "treeSize"] == .integer(Int64(size)))

        // The archived checkpoint, verified with the genesis key, is a prefix of the new head.
        let archived = try Checkpoint(note: SignedNote(parsing: Array(created.metadata.checkpoint.utf8)), verifier: ledger.verifier)
        #expect(archived.size == size)
        let current = try Checkpoint(note: head.checkpoint, verifier: ledger.verifier)
        let proof = try ledger.consistencyProof(from: size, to: head.treeSize)
        try MerkleTree.verifyConsistency(
            size1: size, size2: head.treeSize, proof: proof, root1: try #require(Hash(archived.rootHash)),
            root2: try #require(Hash(current.rootHash)))
        let storedLeaf = try #require(try ledger.hashes(level: 0, from: size, count: 1).first)
        #expect(MerkleTree.leafHash(try #require(entries.last)).bytes == storedLeaf)
        #expect(try ledger.verifyChain().isValid)
    }
}
