#if canImport(Glibc)
import Codecs
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HSMBoundary
import LedgerFormats
import Sodium

extension HSMBackup {
    /// The file name of share `index` (1-based) of a set.
    static func shareFileName(identifier: Int, index: Int, count: Int) -> String {
        "tamga-share-\(identifier)-\(index)-of-\(count).txt"
    }

    /// Writes each share to its own new file (mode 0600, O_EXCL): a comment header a
    /// custodian can read, then the mnemonic alone on the last line. On failure removes the
    /// files it wrote.
    static func writeShareFiles(
        _ mnemonics: [String], folder: String, metadata: BackupMetadata, archiveHash: [UInt8]
    ) throws -> [String] {
        var written: [String] = []
        do {
            for (offset, mnemonic) in mnemonics.enumerated() {
                let path = folder + "/" + shareFileName(identifier: metadata.identifier, index: offset + 1, count: mnemonics.count)
                let text = """
                    # Tamga HSM backup share \(offset + 1) of \(metadata.shares): any \(metadata.threshold) shares restore the backup key.
                    # archive sha256 \(hex(archiveHash))
                    # chain \(metadata.origin), tree size \(metadata.treeSize), share set \(metadata.identifier), made \(metadata.created)
                    # Secret. Keep on a protected token; use only to restore (docs/key-ceremony.md).
                    \(mnemonic)

                    """
                let file = try OutputFile(creating: path, mode: 0o600)
                written.append(path)
                var bytes = Array(text.utf8)
                defer { zeroize(&bytes) }
                try file.write(bytes)
                _ = try file.close()
            }
            try? syncFolder(folder)
            return written
        } catch {
            for path in written { unlink(path) }
            throw error
        }
    }

    /// The mnemonic in a share file: its last non-empty line (comment lines start with `#`).
    public static func readShareFile(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BackupError(.shares, "cannot read the share file \(path): check the path and that this user may read it")
        }
        var bytes = [UInt8](data)
        defer { zeroize(&bytes) }
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let last = lines.last(where: { !$0.isEmpty }), !last.hasPrefix("#") else {
            throw BackupError(.shares, "the share file \(path) has no mnemonic on its last line: give the file `tamga hsm backup` wrote")
        }
        return last
    }
}
