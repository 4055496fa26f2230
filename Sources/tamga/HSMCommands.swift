import Codecs
import ArgumentParser
import Backup
import Foundation
import Ledger
import PublicLog
import LedgerFormats

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tamga hsm`: the embedded HSM's backup and restore (R5). See docs/key-ceremony.md.
struct HSM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hsm",
        abstract: "Back up and restore the embedded HSM: encrypted archive, backup key split M-of-N (SLIP-39).",
        discussion: "Follow docs/key-ceremony.md. Both commands need the node stopped on the data folder.",
        subcommands: [BackupCommand.self, RestoreCommand.self]
    )

    struct BackupCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Archive the data folder encrypted, and split the backup key into SLIP-39 shares.",
            discussion: """
                The archive holds the whole data folder (genesis, master key, sealed log key, and every \
                store record: log, blocks, the HSM's wrapped keys, password verifiers and TOTP secrets), \
                encrypted with XChaCha20-Poly1305 under a fresh random key. That key is split into N \
                SLIP-39 shares, any M of which restore it (M >= 3, N >= 5); it is kept nowhere else.

                With --share-dir each share goes to its own new file (mode 0600; the mnemonic is the \
                last line): copy each to its custodian's token, then delete it. Without --share-dir \
                each share is shown once on this terminal, for a key ceremony. Journals backup.create \
                (archive SHA-256, M, N, tree size), never a share.

                Example (node stopped):
                  tamga hsm backup --data /var/lib/tamga --out /backup/hsm.tamgabak \\
                      --threshold 3 --shares 5
                """
        )

        @OptionGroup var data: DataOption
        @Option(help: ArgumentHelp("The archive to write; must not exist.", valueName: "file"))
        var out: String
        @Option(help: "How many shares restore the key (M, at least 3).")
        var threshold: Int
        @Option(help: "How many shares to make (N, at least 5, at most 16).")
        var shares: Int
        @Option(help: ArgumentHelp("Write each share to its own file in this folder instead of showing it.", valueName: "dir"))
        var shareDir: String?
        @Option(name: .customLong("operator"), help: "The operator's identifier, for the journal entry.")
        var operatorID: String = "operator"

        func validate() throws {
            guard threshold >= HSMBackup.minimumThreshold, shares >= HSMBackup.minimumShares, threshold <= shares,
                shares <= HSMBackup.maximumShares
            else {
                throw ValidationError(
                    "--threshold \(threshold) --shares \(shares) is not allowed: R5 needs a threshold of at least 3, at least 5 shares (at most 16), and threshold <= shares")
            }
            if shareDir == nil, isatty(STDIN_FILENO) != 1 || isatty(STDOUT_FILENO) != 1 {
                throw ValidationError(
                    "without --share-dir the shares are shown one at a time on this terminal, but standard input or output is not a terminal: run it on the console, or give --share-dir DIR")
            }
        }

        func run() async throws {
            note("tamga hsm backup: \(threshold) of \(shares) shares, data folder \(data.folder.path)")
            let created = try await HSMBackup.create(
                folder: data.folder, archive: out, threshold: threshold, shares: shares, shareFolder: shareDir,
                operator: operatorID, progress: { note("  " + $0) })
            let hash = hex(created.archiveHash)
            print("archive     \(created.archive)")
            print("sha256      \(hash)")
            print("shares      any \(threshold) of \(shares), share set \(created.metadata.identifier)")
            print("covers      tree size \(created.metadata.treeSize), \(created.metadata.blockCount) blocks, journaled at seq \(created.seq)")
            if created.shareFiles.isEmpty {
                try ceremony(created.shares, set: created.metadata.identifier, threshold: threshold)
            } else {
                for file in created.shareFiles { print("share file  \(file)") }
                print("Give each share file to its custodian's token, check it, then delete it here.")
            }
        }

        /// Shows each share alone on the screen, waits for Enter, then clears the screen and the
        /// scroll-back, so that each custodian sees only their own.
        private func ceremony(_ mnemonics: [String], set: Int, threshold: Int) throws {
            let clear = "\u{1B}[3J\u{1B}[H\u{1B}[2J"
            func waitForEnter(_ prompt: String) throws {
                print(prompt, terminator: "")
                fflush(nil)  // all streams: the prompt has no newline
                guard readLine() != nil else {
                    print(clear, terminator: "")
                    throw ValidationError(
                        "the ceremony was interrupted: the shares were not all recorded; delete the archive and run the backup again")
                }
            }
            try waitForEnter("\n\(mnemonics.count) shares follow, one per screen. Press Enter to show share 1. ")
            for (offset, mnemonic) in mnemonics.enumerated() {
                print(clear, terminator: "")
                print("Share \(offset + 1) of \(mnemonics.count) (share set \(set); any \(threshold) restore). For custodian \(offset + 1) only.\n")
                let words = mnemonic.split(separator: " ")
                for row in stride(from: 0, to: words.count, by: 4) {
                    let line = words[row..<min(row + 4, words.count)].enumerated().map { column, word in
                        String(row + column + 1).leftPadded(to: 3) + ". " + String(word).padded(to: 12)
                    }
                    print("  " + line.joined(separator: " "))
                }
                print("\nRecord the \(words.count) words in order on the custodian's token, read them back, check them.")
                try waitForEnter(
                    offset + 1 < mnemonics.count
                        ? "Press Enter to clear the screen and show share \(offset + 2). "
                        : "Press Enter to clear the screen. ")
            }
            print(clear, terminator: "")
            print("All \(mnemonics.count) shares were shown once; tamga kept no copy.")
        }
    }

    struct RestoreCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Restore a data folder from an archive and M share files.",
            discussion: """
                Combines the shares, decrypts and checks the whole archive in a folder beside the \
                target, verifies the restored chain, journals backup.restore, and only then moves it \
                to --data, which must not exist or be empty (never a live store). On any error the \
                target is left as it was. The restored node continues from the archived checkpoint: \
                restore only when the original store is lost (docs/key-ceremony.md).

                Example:
                  tamga hsm restore --archive /backup/hsm.tamgabak --data /var/lib/tamga \\
                      --share /media/t1/tamga-share-1234-1-of-5.txt \\
                      --share /media/t3/tamga-share-1234-3-of-5.txt \\
                      --share /media/t4/tamga-share-1234-4-of-5.txt
                """
        )

        @Option(help: ArgumentHelp("The archive `tamga hsm backup` wrote.", valueName: "file"))
        var archive: String
        @Option(
            name: .customLong("share"), parsing: .upToNextOption,
            help: ArgumentHelp("A share file (repeat, or list them): exactly the threshold M of them.", valueName: "file"))
        var shareFiles: [String]
        @Option(help: ArgumentHelp("The data folder to restore into; must not exist or be empty.", valueName: "dir"))
        var data: String
        @Option(name: .customLong("operator"), help: "The operator's identifier, for the journal entry.")
        var operatorID: String = "operator"

        func run() async throws {
            var mnemonics: [String] = []
            for (offset, file) in shareFiles.enumerated() {
                mnemonics.append(try HSMBackup.readShareFile(file))
                note("share \(offset + 1): \(file)")
            }
            note("tamga hsm restore: \(archive) into \(data)")
            let restored = try await HSMBackup.restore(
                archive: archive, shares: mnemonics, into: DataFolder(data), operator: operatorID,
                progress: { note("  " + $0) })
            print("restored    \(data)")
            print("sha256      \(hex(restored.archiveHash))")
            print("tree size   \(restored.metadata.treeSize) from the archive (made \(restored.metadata.created)); backup.restore at seq \(restored.seq)")
            print("Next: publish the restore (docs/key-ceremony.md), then start the node.")
        }
    }
}

extension String {
    fileprivate func padded(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
