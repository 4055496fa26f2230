import Foundation
import LevelDB
import LedgerFormats
import MerkleLog

/// What a witness remembers of one log: the latest checkpoint it cosigned, and for a Tamga log
/// the latest daily block it vouched for (the next block must follow it).
struct LogState: Sendable, Hashable {
    var size: UInt64
    var rootHash: Hash
    /// The cosigned checkpoint's note text, for monitoring.
    var text: String
    var block: BlockState?

    struct BlockState: Sendable, Hashable {
        let height: UInt64
        /// SHA-256 of the block's note text: the next block's `prev`.
        let hash: [UInt8]
        let treeSize: UInt64
        let date: String
        /// Unix seconds: the next day's start.
        let end: Int64
    }

    /// Version byte, size, root, has-block, [height, hash, tree size, end, date length, date],
    /// text. Binary, not JSON: sizes run to 2^63, past what the formats' JSON integers hold.
    func encoded() -> [UInt8] {
        var out: [UInt8] = [1]
        func u64(_ value: UInt64) { withUnsafeBytes(of: value.bigEndian) { out += $0 } }
        u64(size)
        out += rootHash.bytes
        if let block {
            out.append(1)
            u64(block.height)
            out += block.hash
            u64(block.treeSize)
            u64(UInt64(bitPattern: block.end))
            out.append(UInt8(block.date.utf8.count))
            out += block.date.utf8
        } else {
            out.append(0)
        }
        out += text.utf8
        return out
    }

    init(size: UInt64, rootHash: Hash, text: String, block: BlockState?) {
        self.size = size
        self.rootHash = rootHash
        self.text = text
        self.block = block
    }

    init?(decoding bytes: [UInt8]) {
        var rest = bytes[...]
        func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard rest.count >= count else { return nil }
            defer { rest = rest.dropFirst(count) }
            return rest.prefix(count)
        }
        func u64() -> UInt64? { take(8).map { $0.reduce(0) { $0 << 8 | UInt64($1) } } }
        guard take(1) == [1], let size = u64(), let root = take(32).flatMap(Hash.init), let flag = take(1) else { return nil }
        var block: BlockState?
        if flag == [1] {
            guard let height = u64(), let hash = take(32), let treeSize = u64(), let end = u64(),
                let length = take(1)?.first, let date = take(Int(length))
            else { return nil }
            block = BlockState(
                height: height, hash: Array(hash), treeSize: treeSize, date: String(decoding: date, as: UTF8.self),
                end: Int64(bitPattern: end))
        } else if flag != [0] {
            return nil
        }
        self.init(size: size, rootHash: root, text: String(decoding: rest, as: UTF8.self), block: block)
    }
}

/// The witness's own LevelDB store: one record per origin, `log/<origin>`. Written only from
/// the witness's serial queue, each group's states synced before its submissions are answered.
final class WitnessStore: Sendable {
    private let db: Database
    static let formatKey = Array("meta/format".utf8)
    static let formatValue = Array("tamga-witness 1".utf8)

    init(path: String, create: Bool) throws(WitnessError) {
        var options = Database.Options()
        options.createIfMissing = create
        options.errorIfExists = create
        do {
            db = try Database(path: path, options: options)
            if create {
                try db.put(Self.formatKey, Self.formatValue, sync: true)
            } else {
                guard try db.get(Self.formatKey) == Self.formatValue else {
                    throw WitnessError(.storage, "\(path) is not a tamga witness store (format 'tamga-witness 1')")
                }
            }
        } catch let error as WitnessError {
            throw error
        } catch let error as LevelDBError where error.code == .locked {
            throw WitnessError(.storage, "the witness store at \(path) is in use by another process: stop it first")
        } catch {
            throw WitnessError(.storage, "cannot open the witness store at \(path): \(error)")
        }
    }

    private static func key(_ origin: String) -> [UInt8] { Array("log/\(origin)".utf8) }

    func state(_ origin: String) throws(WitnessError) -> LogState? {
        let bytes: [UInt8]?
        do {
            bytes = try db.get(Self.key(origin))
        } catch {
            throw WitnessError(.storage, "cannot read the witness state of \(origin): \(error)")
        }
        guard let bytes else { return nil }
        guard let state = LogState(decoding: bytes) else {
            throw WitnessError(.storage, "the witness state of \(origin) is damaged: restore the store from a backup")
        }
        return state
    }

    /// Writes the states of several logs in one synced batch: all or none, durable when this
    /// returns. Nothing to write writes nothing.
    func put(_ states: [String: LogState]) throws(WitnessError) {
        guard !states.isEmpty else { return }
        let batch = WriteBatch()
        for (origin, state) in states { batch.put(Self.key(origin), state.encoded()) }
        do {
            try db.write(batch, sync: true)
        } catch {
            throw WitnessError(.storage, "cannot write the witness state of \(states.keys.sorted().joined(separator: ", ")): \(error)")
        }
    }
}
