import Foundation
import HSMBoundary
public import LedgerFormats
import Sodium

/// A witness's data folder: its master key, its two sealed cosigning keys and its store.
///
/// | file | what |
/// |---|---|
/// | `master.key` | 32 random bytes, mode 0600: seals the keys |
/// | `witness-key.sealed` | the cosignature/v1 key, named `<name>` |
/// | `tamga-block-key.sealed` | the key of the Tamga block statement, named `<name>/tamga-block` |
/// | `name` | the witness's name, as `init` was given it |
/// | `store/` | LevelDB: the latest cosigned checkpoint of each log |
public struct WitnessFolder: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path }

    var masterKey: String { path + "/master.key" }
    var key: String { path + "/witness-key.sealed" }
    var blockKey: String { path + "/tamga-block-key.sealed" }
    var name: String { path + "/name" }
    var store: String { path + "/store" }

    /// The name of the block-statement key of witness `name`.
    public static func blockKeyName(_ name: String) -> String { name + "/tamga-block" }

    /// The verifier keys (vkeys) a log operator puts in its policy.
    public struct Keys: Sendable {
        public let name: String
        public let cosigner: CosignatureVerifier
        public let blockCosigner: CosignatureVerifier
    }

    /// `tamga witness init`: a new witness named `name` (a schema-less URL by convention, e.g.
    /// `witness.example.kz/w1`). Refuses a folder that already holds one.
    public static func create(at path: String, name: String) throws -> Keys {
        let folder = WitnessFolder(path)
        let files = FileManager.default
        guard !files.fileExists(atPath: folder.key), !files.fileExists(atPath: folder.store) else {
            throw WitnessError(.exists, "\(path) already holds a witness; choose an empty folder")
        }
        _ = try CosignatureVerifier(name: blockKeyName(name), publicKey: Array(repeating: 0, count: 32))
        try files.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let master = try MasterKey.create(at: folder.masterKey)
        let key = try WitnessKey.create(name: name, masterKey: master, path: folder.key)
        let blockKey = try WitnessKey.create(name: blockKeyName(name), masterKey: master, path: folder.blockKey)
        try Data((name + "\n").utf8).write(to: URL(fileURLWithPath: folder.name), options: .withoutOverwriting)
        _ = try WitnessStore(path: folder.store, create: true)
        return Keys(name: name, cosigner: key.verifier, blockCosigner: blockKey.verifier)
    }

    /// Opens the witness: its keys unsealed, its store, the logs it witnesses.
    public func open(logs: LogList, clock: any LedgerClock = SystemClock()) throws -> (Witness, Keys) {
        guard let text = FileManager.default.contents(atPath: name).map({ String(decoding: $0, as: UTF8.self) }) else {
            throw WitnessError(.configuration, "no witness at \(path) (no name file): create one with `tamga witness init --data \(path) --name NAME`")
        }
        let witnessName = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let master = try MasterKey.load(from: masterKey)
        let key = try WitnessKey.load(name: witnessName, masterKey: master, path: self.key)
        let blockKey = try WitnessKey.load(name: Self.blockKeyName(witnessName), masterKey: master, path: self.blockKey)
        let witness = Witness(
            logs: logs, key: key, blockKey: blockKey, store: try WitnessStore(path: store, create: false), clock: clock)
        return (witness, Keys(name: witnessName, cosigner: key.verifier, blockCosigner: blockKey.verifier))
    }
}
