import Journal
import LedgerFormats
import MerkleLog
import PublicLog

/// The node's own check of its store (`tamga chain verify`). The independent check, from public
/// data only, is `tamga-audit`; this one also reads the private entries.
public struct StoreReport: Sendable {
    public var blocks: UInt64 = 0
    public var entries: UInt64 = 0
    public var treeSize: UInt64 = 0
    /// Each problem names what failed and where; empty when the chain verified.
    public var problems: [String] = []
    public var isValid: Bool { problems.isEmpty }
}

extension Ledger {
    /// Re-derives every block and leaf from the stored entries and compares. `progress` gets
    /// (done, total) as entries are checked.
    public func verifyChain(progress: (UInt64, UInt64) -> Void = { _, _ in }) throws -> StoreReport {
        let head = self.head
        let reader = StoreHashReader(store)
        var report = StoreReport(treeSize: head.treeSize)
        func problem(_ text: String) { report.problems.append(text) }

        // Blocks: signature, height, date, prev chain, contiguous days, roots.
        var previousHash = genesis.hash
        var previousSize: UInt64 = 0
        var previousRoot = MerkleTree.emptyRoot
        var dayEnds: [(end: Int64, size: UInt64)] = []
        for height in 0..<head.blockCount {
            guard let bytes = try store.block(height) else {
                problem("block \(height): missing")
                break
            }
            let block: Block
            do {
                block = try Block(note: SignedNote(parsing: bytes), verifier: verifier)
            } catch {
                problem("block \(height): \(error)")
                break
            }
            report.blocks += 1
            if block.height != height { problem("block \(height): states height \(block.height)") }
            let day = try calendar.day(atHeight: Int64(height))
            if block.date != day.date.description || block.start * 1000 != day.start.millisecondsSinceEpoch
                || block.end * 1000 != day.end.millisecondsSinceEpoch
            {
                problem("block \(height): states date \(block.date) [\(block.start), \(block.end)), the genesis calendar gives \(day.date) [\(day.start), \(day.end))")
            }
            if block.previousHash != previousHash { problem("block \(height): prev does not hash the previous block") }
            if block.dayFirst != previousSize { problem("block \(height): day starts at \(block.dayFirst), previous block ended at \(previousSize)") }
            if block.treeSize < previousSize || block.treeSize > head.treeSize {
                problem("block \(height): tree size \(block.treeSize) outside \(previousSize)...\(head.treeSize)")
                break
            }
            let root = try MerkleTree.treeHash(size: block.treeSize, reader: reader)
            if root.bytes != block.rootHash { problem("block \(height): root hash differs from the stored tree's") }
            if previousSize > 0, let blockRoot = Hash(block.rootHash) {
                let proof = try MerkleTree.consistencyProof(size1: previousSize, size2: block.treeSize, reader: reader)
                do {
                    try MerkleTree.verifyConsistency(size1: previousSize, size2: block.treeSize, proof: proof, root1: previousRoot, root2: blockRoot)
                } catch {
                    problem("block \(height): not consistent with block \(height - 1): \(error)")
                }
            }
            var leaves = RootAccumulator()
            for bytes in try store.hashes(level: 0, from: block.dayFirst, count: Int(block.dayCount)) {
                if let hash = Hash(bytes) { leaves.append(hash) }
            }
            if leaves.count != block.dayCount || leaves.rootHash.bytes != block.dayRoot {
                problem("block \(height): day root differs from the hash of leaves [\(block.dayFirst), \(block.treeSize))")
            }
            previousHash = block.hash
            previousSize = block.treeSize
            previousRoot = Hash(block.rootHash) ?? previousRoot
            dayEnds.append((block.end * 1000, block.treeSize))
        }

        // Entries: canonical, in place, leaf hash stored, time monotonic and inside its day.
        var lastTime: Int64 = 0
        var dayIndex = 0
        var seq: UInt64 = 0
        while seq < head.treeSize {
            let count = Int(min(4096, head.treeSize - seq))
            let entries = try store.entries(from: seq, count: count)
            let leaves = try store.hashes(level: 0, from: seq, count: count)
            for (offset, bytes) in entries.enumerated() {
                let index = seq + UInt64(offset)
                do {
                    let entry = try Entry(parsing: bytes)
                    if entry.seq != Int64(index) { problem("entry \(index): states seq \(entry.seq)") }
                    if offset >= leaves.count || MerkleTree.leafHash(bytes).bytes != leaves[offset] {
                        problem("entry \(index): leaf hash differs from the stored tree")
                    }
                    let time = entry.time.millisecondsSinceEpoch
                    if time < lastTime { problem("entry \(index): time \(entry.time) is before the previous entry's") }
                    lastTime = time
                    while dayIndex < dayEnds.count, index >= dayEnds[dayIndex].size { dayIndex += 1 }
                    if dayIndex < dayEnds.count, time >= dayEnds[dayIndex].end {
                        problem("entry \(index): time \(entry.time) is after the end of the day of block \(dayIndex)")
                    }
                    if dayIndex > 0, time < dayEnds[dayIndex - 1].end {
                        problem("entry \(index): time \(entry.time) is before the start of its day (block \(dayIndex))")
                    }
                } catch {
                    problem("entry \(index): \(error)")
                }
                report.entries += 1
            }
            if entries.count < count { problem("entries \(seq + UInt64(entries.count))..<\(seq + UInt64(count)): missing") }
            seq += UInt64(count)
            progress(seq, head.treeSize)
            if report.problems.count > 100 { break }
        }
        return report
    }
}
