import Foundation
import Sodium

/// What an archive says about itself in the clear: enough to tell which chain, which state and
/// which share set it is, and nothing personal or secret. It is the associated data of the
/// first sealed chunk, so it cannot be edited or swapped onto another archive.
public struct BackupMetadata: Codable, Sendable, Hashable {
    /// The chain's origin and the SHA-256 (hex) of its genesis document.
    public let origin: String
    public let genesisHash: String
    /// The log the archive holds: its size, root (base64) and signed checkpoint text.
    public let treeSize: UInt64
    public let rootHash: String
    public let checkpoint: String
    public let blockCount: UInt64
    /// M of N, and the SLIP-39 identifier every share of this backup carries.
    public let threshold: Int
    public let shares: Int
    public let identifier: Int
    /// When the backup was made, RFC 3339 UTC with milliseconds.
    public let created: String
}

/// The archive format (v1):
///
///     tamga-hsm-backup v1\n
///     <metadata: one line of JSON, keys sorted>\n
///     <secretstream header, 24 bytes>
///     frames: <sealed length, u32 big-endian> <sealed chunk>, the last one tagged FINAL
///
/// A chunk's plaintext is whole records `kind(1) keyLength(u32) key valueLength(u32) value`:
/// `file` (the data folder's genesis.json, master.key, log-key.sealed; only in the first chunk,
/// kept in locked memory), `store` (a raw LevelDB key and value), and `end` (the number of
/// records before it, u64), the FINAL chunk's last record. The first chunk's associated data
/// is every byte before the secretstream header.
enum ArchiveFormat {
    static let magic = Array("tamga-hsm-backup v1".utf8)
    static let maxMetadataBytes = 16 << 10
    static let chunkTarget = 1 << 20
    /// A frame can never be larger: store values are at most a few hundred KiB.
    static let maxFrameBytes = 64 << 20
    static let fileNames = ["genesis.json", "master.key", "log-key.sealed"]

    enum Kind: UInt8 {
        case file = 1, store = 2, end = 3
    }

    static func appendRecord(_ kind: Kind, key: some ContiguousBytesView, value: some ContiguousBytesView, to out: inout [UInt8]) {
        out.append(kind.rawValue)
        key.withBytes { k in
            appendLength(k.count, to: &out)
            out.append(contentsOf: k)
        }
        value.withBytes { v in
            appendLength(v.count, to: &out)
            out.append(contentsOf: v)
        }
    }

    static func recordSize(keyCount: Int, valueCount: Int) -> Int { 9 + keyCount + valueCount }

    static func appendLength(_ value: Int, to out: inout [UInt8]) {
        let v = UInt32(truncatingIfNeeded: value)
        out.append(contentsOf: [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)])
    }

    static func readLength(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
    }

    /// The magic and metadata lines.
    static func prefix(_ metadata: BackupMetadata) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = Array(try encoder.encode(metadata))
        return magic + [0x0A] + json + [0x0A]
    }

    /// Splits a chunk's plaintext into records; nil if it is not whole records.
    static func forEachRecord(
        in plaintext: UnsafeRawBufferPointer, _ body: (Kind, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void
    ) throws -> Bool {
        var offset = 0
        while offset < plaintext.count {
            guard plaintext.count - offset >= 9, let kind = Kind(rawValue: plaintext[offset]) else { return false }
            let keyCount = readLength(plaintext, at: offset + 1)
            let keyStart = offset + 5
            guard plaintext.count - keyStart >= keyCount + 4 else { return false }
            let valueCount = readLength(plaintext, at: keyStart + keyCount)
            let valueStart = keyStart + keyCount + 4
            guard plaintext.count - valueStart >= valueCount else { return false }
            try body(
                kind, UnsafeRawBufferPointer(rebasing: plaintext[keyStart..<keyStart + keyCount]),
                UnsafeRawBufferPointer(rebasing: plaintext[valueStart..<valueStart + valueCount]))
            offset = valueStart + valueCount
        }
        return true
    }
}

/// Writes one archive: the prefix, the files chunk, store records, then the FINAL chunk.
final class ArchiveWriter {
    private let file: OutputFile
    private let stream: SecretStream.Encryptor
    private let prefix: [UInt8]
    private var pending: [UInt8] = []
    private var records: UInt64 = 0
    private var wroteFirst = false

    init(file: OutputFile, key: SecureBytes, metadata: BackupMetadata) throws {
        self.file = file
        stream = try SecretStream.Encryptor(key: key)
        prefix = try ArchiveFormat.prefix(metadata)
        try file.write(prefix)
        try file.write(stream.header)
    }

    /// The data folder's files, sealed from locked memory as the first chunk.
    func writeFiles(_ files: [(name: String, contents: SecureBytes)]) throws {
        let total = files.reduce(0) { $0 + ArchiveFormat.recordSize(keyCount: $1.name.utf8.count, valueCount: $1.contents.count) }
        let plaintext = try SecureBytes(count: total) { out in
            var offset = 0
            for file in files {
                let name = Array(file.name.utf8)
                // Built in a small header array, then the contents copied straight into locked memory.
                var head: [UInt8] = [ArchiveFormat.Kind.file.rawValue]
                ArchiveFormat.appendLength(name.count, to: &head)
                head += name
                ArchiveFormat.appendLength(file.contents.count, to: &head)
                UnsafeMutableRawBufferPointer(rebasing: out[offset..<offset + head.count]).copyBytes(from: head)
                offset += head.count
                file.contents.withBytes { UnsafeMutableRawBufferPointer(rebasing: out[offset..<offset + $0.count]).copyMemory(from: $0) }
                offset += file.contents.count
            }
        }
        try seal(plaintext, tag: .message, associatedData: prefix)
        records += UInt64(files.count)
        wroteFirst = true
    }

    func addStoreRecord(key: [UInt8], value: [UInt8]) throws {
        ArchiveFormat.appendRecord(.store, key: key, value: value, to: &pending)
        records += 1
        if pending.count >= ArchiveFormat.chunkTarget {
            try seal(pending, tag: .message, associatedData: [])
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// Seals the rest with the end record as the FINAL chunk.
    func finish() throws {
        precondition(wroteFirst, "the files chunk comes first")
        var count: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) { count.append(UInt8(truncatingIfNeeded: records >> UInt64(shift))) }
        ArchiveFormat.appendRecord(.end, key: [UInt8](), value: count, to: &pending)
        try seal(pending, tag: .final, associatedData: [])
        pending.removeAll()
    }

    private func seal(_ plaintext: some ContiguousBytesView, tag: SecretStream.Tag, associatedData: [UInt8]) throws {
        let sealed = try stream.push(plaintext, tag: tag, associatedData: associatedData)
        guard sealed.count <= ArchiveFormat.maxFrameBytes else {
            throw BackupError(.storage, "a store record is too large to archive (\(sealed.count) bytes)")
        }
        var length: [UInt8] = []
        ArchiveFormat.appendLength(sealed.count, to: &length)
        try file.write(length)
        try file.write(sealed)
    }
}

/// Reads an archive's prefix (without any key), then its sealed chunks.
final class ArchiveReader {
    private let file: InputFile
    let metadata: BackupMetadata
    private let prefix: [UInt8]

    init(path: String) throws {
        file = try InputFile(path: path)
        let notArchive = BackupError(.archive, "\(path) is not a Tamga HSM backup (no 'tamga-hsm-backup v1' line): give the archive `tamga hsm backup` wrote")
        guard let magic = try file.readLine(limit: 64), magic == ArchiveFormat.magic else { throw notArchive }
        guard let json = try file.readLine(limit: ArchiveFormat.maxMetadataBytes) else {
            throw BackupError(.archive, "\(path): the metadata line is missing or too long: the archive is damaged")
        }
        do {
            metadata = try JSONDecoder().decode(BackupMetadata.self, from: Data(json))
        } catch {
            throw BackupError(.archive, "\(path): the metadata line is not valid: the archive is damaged")
        }
        prefix = ArchiveFormat.magic + [0x0A] + json + [0x0A]
    }

    /// Opens every chunk in order and hands each record to `body` (plaintext in locked memory,
    /// valid only during the call). Returns the archive's SHA-256 once the FINAL chunk, the end
    /// record and the end of the file are all where they must be.
    func read(
        key: SecureBytes, _ body: (ArchiveFormat.Kind, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void
    ) throws -> [UInt8] {
        let path = file.path
        func damaged(_ what: String) -> BackupError {
            BackupError(.archive, "\(path) \(what): the archive is damaged or was altered; use an intact copy")
        }
        guard let header = try file.read(SecretStream.headerLength) else { throw damaged("ends inside its header") }
        let stream = try SecretStream.Decryptor(key: key, header: header)
        var records: UInt64 = 0
        var chunk = 0
        var sawEnd = false
        while !stream.isFinished {
            guard let lengthBytes = try file.read(4) else { throw damaged("ends before its final chunk (truncated)") }
            let length = lengthBytes.withUnsafeBytes { ArchiveFormat.readLength($0, at: 0) }
            guard length >= SecretStream.overhead, length <= ArchiveFormat.maxFrameBytes else {
                throw damaged("has a chunk of impossible length \(length)")
            }
            guard let sealed = try file.read(length) else { throw damaged("ends inside a chunk (truncated)") }
            let first = chunk == 0
            do {
                try stream.pull(sealed, associatedData: first ? prefix : []) { plaintext, tag in
                    let whole = try ArchiveFormat.forEachRecord(in: plaintext) { kind, name, value in
                        guard !sawEnd else { throw damaged("has records after its end record") }
                        switch kind {
                        case .file:
                            guard first else { throw damaged("has a file record outside its first chunk") }
                        case .store:
                            guard !first else { throw damaged("has a store record in its first chunk") }
                        case .end:
                            guard tag == .final, value.count == 8 else { throw damaged("has a misplaced end record") }
                            let count = value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                            guard count == records else { throw damaged("holds \(records) records, its end record says \(count)") }
                            sawEnd = true
                            return
                        }
                        records += 1
                        try body(kind, name, value)
                    }
                    guard whole else { throw damaged("has a chunk that is not whole records") }
                }
            } catch let error as SodiumError {
                throw BackupError(
                    .archive,
                    first
                        ? "\(path) does not open with the key these shares give: the shares are of another backup, or the archive (its metadata or first chunk) was altered. \(error.message)"
                        : "\(path): chunk \(chunk + 1) does not open: the archive was altered, reordered or cut; use an intact copy")
            }
            chunk += 1
        }
        guard sawEnd else { throw damaged("has no end record") }
        guard try file.isAtEnd() else { throw damaged("has data after its final chunk") }
        return file.digest()
    }
}
