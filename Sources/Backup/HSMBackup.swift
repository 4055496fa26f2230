#if canImport(Glibc)
import Codecs
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import HSMBoundary
import Journal
import LevelDB
public import Ledger
public import LedgerFormats
import PublicLog
import MerkleLog
import SLIP39
import Sodium

/// HSM backup and restore (R5): the whole data folder (genesis, master key, sealed log key and
/// every record of the store, the HSM's wrapped keys, password verifiers and TOTP secrets
/// among them) leaves only inside an encrypted archive, under a fresh random key that exists
/// afterwards only as M-of-N SLIP-39 shares, M >= 3 and N >= 5.
///
/// Both operations need the data folder's store to themselves: stop the node first.
public enum HSMBackup {
    /// R5: no fewer than 3 of 5.
    public static let minimumThreshold = 3
    public static let minimumShares = 5
    /// SLIP-39 allows at most 16 members in a group.
    public static let maximumShares = 16

    public struct Created: Sendable {
        public let archive: String
        /// SHA-256 of the archive file, as journaled in `backup.create`.
        public let archiveHash: [UInt8]
        public let metadata: BackupMetadata
        /// The mnemonics in share order, for a ceremony on the terminal; empty when they went to files.
        public let shares: [String]
        public let shareFiles: [String]
        /// The seq of the `backup.create` entry.
        public let seq: UInt64
    }

    public struct Restored: Sendable {
        public let archiveHash: [UInt8]
        public let metadata: BackupMetadata
        /// The seq of the `backup.restore` entry: the archived tree size.
        public let seq: UInt64
        public let treeSize: UInt64
    }

    /// Archives `folder` into a new file `archive` under a fresh key split `threshold`-of-`shares`.
    /// With `shareFolder` each share goes to its own new file there; without it, the shares are
    /// returned for the caller to show once. Journals `backup.create` (archive hash, M, N, tree
    /// size; never a share) as the last step; on any failure nothing is left behind.
    public static func create(
        folder: DataFolder, archive: String, threshold: Int, shares: Int, shareFolder: String?,
        operator operatorID: String = "operator", clock: any LedgerClock = SystemClock(),
        progress: (String) -> Void = { _ in }
    ) async throws -> Created {
        guard threshold >= minimumThreshold, shares >= minimumShares, threshold <= shares, shares <= maximumShares else {
            throw BackupError(
                .invalidArgument,
                "\(threshold) of \(shares) is not allowed: R5 needs a threshold of at least \(minimumThreshold) and at least \(minimumShares) shares (at most \(maximumShares)), the threshold no more than the shares; e.g. --threshold 3 --shares 5"
            )
        }
        guard !fileExists(archive) else {
            throw BackupError(.exists, "\(archive) already exists: choose a new archive name, never overwrite a backup")
        }
        if let shareFolder, !fileExists(shareFolder) {
            guard mkdir(shareFolder, 0o700) == 0 else {
                throw BackupError(.storage, "cannot create the share folder \(shareFolder): \(errnoText())")
            }
        }

        let ledger = try openLedger(folder, clock: clock)
        // The ledger is not started, so nothing writes the store (LevelDB admits no other
        // process): `head` is the state the snapshot below copies.
        let head = ledger.head
        let genesisBytes = try readAll(folder.genesis)
        guard genesisBytes == ledger.genesis.canonicalBytes else {
            throw BackupError(.verification, "\(folder.genesis) differs from the genesis in the store: fix the data folder before backing it up")
        }
        let files: [(name: String, contents: SecureBytes)] = [
            ("genesis.json", try SecureBytes(copying: genesisBytes)),
            ("master.key", try MasterKey.load(from: folder.masterKey)),
            ("log-key.sealed", try SecureBytes(copying: readAll(folder.logKey))),
        ]

        let key = try SecureBytes(randomCount: SecretStream.keyLength)
        let mnemonics: [String]
        let identifier: Int
        do {
            mnemonics = try key.withBytes { bytes throws(SLIP39Error) in
                try SLIP39.split(secret: SymmetricKey(data: bytes), threshold: threshold, count: shares)
            }
            identifier = try Share(mnemonic: mnemonics[0]).identifier
        } catch let error as SLIP39Error {
            throw BackupError(.invalidArgument, "cannot split the backup key: \(error.message)")
        }
        let metadata = BackupMetadata(
            origin: ledger.genesis.origin, genesisHash: hex(ledger.genesis.hash), treeSize: head.treeSize,
            rootHash: head.rootHash.base64, checkpoint: head.checkpoint.formatted, blockCount: head.blockCount,
            threshold: threshold, shares: shares, identifier: identifier,
            created: try Timestamp(millisecondsSinceEpoch: clock.now()).rfc3339Milliseconds)
        if let shareFolder {
            for index in 1...shares {
                let path = shareFolder + "/" + shareFileName(identifier: identifier, index: index, count: shares)
                guard !fileExists(path) else { throw BackupError(.exists, "\(path) already exists: give an empty share folder") }
            }
        }

        progress("archiving \(folder.path): tree size \(head.treeSize), \(head.blockCount) blocks")
        let archiveHash = try writeArchive(archive, key: key, metadata: metadata, files: files, ledger: ledger)
        progress("archive written: \(archive), sha256 \(hex(archiveHash))")
        var shareFiles: [String] = []
        do {
            if let shareFolder {
                shareFiles = try writeShareFiles(mnemonics, folder: shareFolder, metadata: metadata, archiveHash: archiveHash)
                progress("\(shares) share files written to \(shareFolder) (mode 0600)")
            }
            ledger.start()
            defer { ledger.shutdown() }
            let appended = try await ledger.append(
                EventRecord(
                    .backupCreate(
                        archive: archiveHash, threshold: threshold, shares: shares, treeSize: head.treeSize,
                        set: identifier),
                    owner: operatorID))
            progress("journaled backup.create at seq \(appended.seq)")
            return Created(
                archive: archive, archiveHash: archiveHash, metadata: metadata, shares: shareFolder == nil ? mnemonics : [],
                shareFiles: shareFiles, seq: appended.seq)
        } catch {
            // An archive whose shares were not all written, or whose making was not journaled,
            // must not linger: nobody could restore it, or nobody would know of it.
            for path in shareFiles { unlink(path) }
            unlink(archive)
            throw error
        }
    }

    /// Recovers the key from `shares` (mnemonics, in any order), decrypts and checks the whole
    /// archive into a new folder beside `folder`, checks the restored chain, journals
    /// `backup.restore`, and only then moves it to `folder`, which must be absent or empty. On
    /// any failure `folder` is left as it was.
    public static func restore(
        archive: String, shares: [String], into folder: DataFolder, operator operatorID: String = "operator",
        clock: any LedgerClock = SystemClock(), progress: (String) -> Void = { _ in }
    ) async throws -> Restored {
        let reader = try ArchiveReader(path: archive)
        let metadata = reader.metadata
        try checkTarget(folder.path)
        let key = try recoverKey(shares, metadata: metadata)
        progress("shares combined: share set \(metadata.identifier), \(metadata.threshold) of \(metadata.shares)")

        let parent = parentFolder(folder.path)
        guard fileExists(parent) else {
            throw BackupError(.storage, "the folder \(parent) does not exist: create it, then restore into \(folder.path)")
        }
        let removed = try removeLeftovers(of: folder.path)
        if !removed.isEmpty {
            progress("removed \(removed.count) folder(s) a killed restore left beside \(folder.path): \(removed.joined(separator: ", "))")
        }
        let staging = DataFolder(parent + "/" + stagingPrefix(folder.path) + hex(Sodium.randomBytes(4)))
        guard mkdir(staging.path, 0o700) == 0 else {
            throw BackupError(.storage, "cannot create \(staging.path): \(errnoText())")
        }
        do {
            let archiveHash = try unpack(reader, key: key, into: staging)
            progress("archive decrypted and checked: sha256 \(hex(archiveHash))")
            let seq = try await check(staging, metadata: metadata, archiveHash: archiveHash, operatorID: operatorID, clock: clock)
            progress("restored chain verified; journaled backup.restore at seq \(seq)")
            try checkTarget(folder.path)
            // rmdir refuses a folder that is not empty: the last check, atomic with the move.
            if fileExists(folder.path), rmdir(folder.path) != 0 {
                throw BackupError(.exists, "\(folder.path) is no longer empty (\(errnoText())): restore only into an empty folder")
            }
            guard rename(staging.path, folder.path) == 0 else {
                throw BackupError(.storage, "cannot move \(staging.path) to \(folder.path): \(errnoText())")
            }
            try? syncFolder(parent)
            return Restored(archiveHash: archiveHash, metadata: metadata, seq: seq, treeSize: seq + 1)
        } catch {
            try? FileManager.default.removeItem(atPath: staging.path)
            throw error
        }
    }

    /// The name a restore into `target` builds its folder under, before the random suffix.
    static func stagingPrefix(_ target: String) -> String { "." + lastComponent(target) + ".restoring-" }

    /// Removes what a restore into `target` killed midway left beside it: a folder holding the
    /// master key in the clear, the log key and a copy of the store. A restore still running
    /// holds its store's lock from its first write to its move; a folder whose store is locked
    /// is left alone. Returns the names removed.
    static func removeLeftovers(of target: String) throws -> [String] {
        let parent = parentFolder(target)
        let prefix = stagingPrefix(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        var removed: [String] = []
        for name in names.sorted() where name.hasPrefix(prefix) {
            let store = DataFolder(parent + "/" + name).store
            var options = Database.Options()
            options.createIfMissing = false
            do {
                _ = try Database(path: store, options: options)
            } catch let error as LevelDBError where error.code == .locked {
                continue  // another restore is at work there
            } catch {
                // No store, or a damaged one: a leftover either way.
            }
            do {
                try FileManager.default.removeItem(atPath: parent + "/" + name)
            } catch {
                throw BackupError(.storage, "cannot remove \(parent)/\(name), which a killed restore left (it holds secrets): \(error)")
            }
            removed.append(name)
        }
        if !removed.isEmpty { try? syncFolder(parent) }
        return removed
    }

    // MARK: steps

    private static func openLedger(_ folder: DataFolder, clock: any LedgerClock) throws -> Ledger {
        do {
            return try Ledger.open(folder: folder, clock: clock)
        } catch let error as JournalError where error.code == .locked {
            throw BackupError(.locked, "the node is running on this folder (\(folder.path)); stop it first, then run this again")
        }
    }

    private static func readAll(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BackupError(.storage, "cannot read \(path): is this a Tamga data folder?")
        }
        return [UInt8](data)
    }

    /// Writes under a temporary name, syncs, then links it to `path` (which fails rather than
    /// replace a file that appeared meanwhile): a reader never sees half an archive.
    private static func writeArchive(
        _ path: String, key: SecureBytes, metadata: BackupMetadata, files: [(name: String, contents: SecureBytes)],
        ledger: Ledger
    ) throws -> [UInt8] {
        let partial = path + ".partial-" + hex(Sodium.randomBytes(4))
        let output = try OutputFile(creating: partial, mode: 0o600)
        defer { unlink(partial) }
        let writer = try ArchiveWriter(file: output, key: key, metadata: metadata)
        try writer.writeFiles(files)
        try ledger.forEachStoreRecord { key, value in try writer.addStoreRecord(key: key, value: value) }
        try writer.finish()
        let digest = try output.close()
        guard link(partial, path) == 0 else {
            throw BackupError(errno == EEXIST ? .exists : .storage, "cannot create \(path): \(errnoText())")
        }
        try? syncFolder(parentFolder(path))
        return digest
    }

    private static func checkTarget(_ path: String) throws {
        guard fileExists(path) else { return }
        let contents: [String]
        do {
            contents = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw BackupError(.exists, "\(path) exists and is not a folder: restore into a new or empty folder")
        }
        guard contents.isEmpty else {
            throw BackupError(.exists, "\(path) is not empty: restore only into a new or empty folder, never over a live store")
        }
    }

    private static func recoverKey(_ shares: [String], metadata: BackupMetadata) throws -> SecureBytes {
        let secret: SymmetricKey
        do {
            secret = try SLIP39.combine(shares)
        } catch {
            throw BackupError(.shares, "the shares do not combine (shares are numbered in the order given): \(error.message)")
        }
        // combine checked that every share is of one set; a whole set of another backup
        // combines into another key, which this says plainly before decryption fails.
        let set = (try? Share(mnemonic: shares[0]).identifier) ?? -1
        guard set == metadata.identifier else {
            throw BackupError(
                .shares,
                "these shares are of share set \(set), this archive's key was split into set \(metadata.identifier): give shares of this archive's set (each share file names its set)"
            )
        }
        guard secret.bitCount == SecretStream.keyLength * 8 else {
            throw BackupError(.shares, "the shares give a \(secret.bitCount / 8)-byte secret, not a \(SecretStream.keyLength)-byte backup key")
        }
        return try SecureBytes(count: SecretStream.keyLength) { out in secret.withUnsafeBytes { out.copyMemory(from: $0) } }
    }

    /// Decrypts the whole archive into `staging`: its files and a new store.
    private static func unpack(_ reader: ArchiveReader, key: SecureBytes, into staging: DataFolder) throws -> [UInt8] {
        let importer = try JournalImport(at: staging.store)
        var written: Set<String> = []
        let digest = try reader.read(key: key) { kind, name, value in
            switch kind {
            case .file:
                let fileName = String(decoding: name, as: UTF8.self)
                guard ArchiveFormat.fileNames.contains(fileName), written.insert(fileName).inserted else {
                    throw BackupError(.archive, "the archive holds an unexpected file '\(fileName)': it was not made by `tamga hsm backup`")
                }
                let file = try OutputFile(creating: staging.path + "/" + fileName, mode: fileName == "genesis.json" ? 0o644 : 0o600)
                try file.write(raw: value)  // straight from locked memory: no copy of the master key
                _ = try file.close()
            case .store:
                try importer.put(Array(name), Array(value))
            case .end:
                break
            }
        }
        guard written.count == ArchiveFormat.fileNames.count else {
            throw BackupError(.archive, "the archive lacks \(Set(ArchiveFormat.fileNames).subtracting(written).sorted().joined(separator: ", ")): it is incomplete")
        }
        try importer.finish()
        try? syncFolder(staging.path)
        return digest
    }

    /// Opens the restored chain, checks it against the archive's metadata and re-derives it
    /// (`verifyChain`), then journals the restore. Returns the `backup.restore` seq.
    private static func check(
        _ staging: DataFolder, metadata: BackupMetadata, archiveHash: [UInt8], operatorID: String, clock: any LedgerClock
    ) async throws -> UInt64 {
        let ledger = try Ledger.open(folder: staging, clock: clock)
        let head = ledger.head
        guard hex(ledger.genesis.hash) == metadata.genesisHash, ledger.genesis.origin == metadata.origin,
            head.treeSize == metadata.treeSize, head.checkpoint.formatted == metadata.checkpoint
        else {
            throw BackupError(.verification, "the restored store does not match the archive's metadata (genesis, size or checkpoint): the archive was not made by `tamga hsm backup`")
        }
        let report = try ledger.verifyChain()
        guard report.isValid else {
            throw BackupError(.verification, "the restored chain does not verify: \(report.problems.prefix(3).joined(separator: "; "))")
        }
        ledger.start()
        defer { ledger.shutdown() }
        let appended = try await ledger.append(
            EventRecord(
                .backupRestore(archive: archiveHash, treeSize: metadata.treeSize, set: metadata.identifier),
                owner: operatorID))
        return appended.seq
    }
}
