import Foundation
public import HSMBoundary
import Journal
public import LedgerFormats

extension Ledger {
    /// What `create` made: shown to the operator once.
    public struct Created: Sendable {
        public let genesis: Genesis
        public let genesisHash: [UInt8]
        public let verifierKey: String
        public let createdMasterKey: Bool
        /// Whether a killed run's leftovers (`.init`) were removed first.
        public let removedLeftovers: Bool
    }

    /// `tamga init`: a new chain in `folder`: the master key (unless the operator placed one
    /// there), the sealed log key, the genesis document and an empty store with its first
    /// signed checkpoint. Refuses a folder that already holds a store or a genesis. A
    /// `development` chain is marked so in its store (see `isDevelopmentChain`).
    ///
    /// Atomic: everything is made in `<folder>/.init`, then moved into place, the genesis last
    /// (a folder with a genesis holds a whole chain). A `.init` left by a killed run is removed
    /// first, with what that run had moved out of it (`Created.removedLeftovers`).
    public static func create(
        folder: DataFolder, origin: String, timeZone: String, startDate: LocalDate, development: Bool = false
    ) throws -> Created {
        let files = FileManager.default
        try files.createDirectory(atPath: folder.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let staging = DataFolder(folder.path + "/.init")
        let createdMarker = staging.path + "/.created-master-key"
        let removedLeftovers = files.fileExists(atPath: staging.path)
        if removedLeftovers {
            // No genesis: the killed run never finished, and what it moved out is its own (it
            // refused a folder that held any of it).
            if !files.fileExists(atPath: folder.genesis) {
                var leftovers = [folder.store, folder.logKey]
                if files.fileExists(atPath: createdMarker) { leftovers.append(folder.masterKey) }
                for path in leftovers where files.fileExists(atPath: path) { try files.removeItem(atPath: path) }
            }
            try files.removeItem(atPath: staging.path)
        }
        for existing in [folder.genesis, folder.store, folder.logKey] where files.fileExists(atPath: existing) {
            throw LedgerError(.mismatch, "\(existing) already exists: \(folder.path) already holds a chain; choose an empty folder")
        }
        try files.createDirectory(atPath: staging.path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let created: Created = try secrets {
            let createdMasterKey = !files.fileExists(atPath: folder.masterKey)
            if createdMasterKey { try writeNewFile(createdMarker, []) }
            let masterKey =
                try createdMasterKey ? MasterKey.create(at: staging.masterKey) : MasterKey.load(from: folder.masterKey)
            let logKey = try SoftwareHSM(master: masterKey, logKeyPath: staging.logKey).createLogKey(origin: origin)
            let genesis = try Genesis(origin: origin, verifierKey: logKey.verifier.verifierKey, timeZone: timeZone, startDate: startDate)
            try writeNewFile(staging.genesis, genesis.canonicalBytes, mode: 0o644)
            try initialize(
                store: try JournalStore.create(at: staging.store, genesis: genesis.canonicalBytes, development: development),
                signer: logKey)  // the store closes when this returns
            return Created(
                genesis: genesis, genesisHash: genesis.hash, verifierKey: logKey.verifier.verifierKey,
                createdMasterKey: createdMasterKey, removedLeftovers: removedLeftovers)
        }
        var moves = [(staging.logKey, folder.logKey), (staging.store, folder.store), (staging.genesis, folder.genesis)]
        if created.createdMasterKey { moves.insert((staging.masterKey, folder.masterKey), at: 0) }
        for (from, to) in moves {
            guard rename(from, to) == 0 else {
                throw LedgerError(.storage, "cannot move \(from) to \(to): \(String(cString: strerror(errno))); run tamga init again")
            }
            try secrets { try syncFolder(folder.path) }
        }
        try files.removeItem(atPath: staging.path)
        return created
    }


    /// Opens the chain in `folder` with the software HSM backend: loads the master key
    /// (refusing loose permissions), unseals the log key, and checks store, genesis and key
    /// against each other.
    public static func open(folder: DataFolder, clock: any LedgerClock = SystemClock(), maxBatch: Int = 4096) throws -> Ledger {
        try open(folder: folder, hsm: softwareHSM(folder), clock: clock, maxBatch: maxBatch)
    }

    /// The software HSM backend of `folder`: its `master.key` and `log-key.sealed`.
    public static func softwareHSM(_ folder: DataFolder) throws -> SoftwareHSM {
        try secrets { try SoftwareHSM(masterKeyPath: folder.masterKey, logKeyPath: folder.logKey) }
    }

    /// Opens the chain in `folder`, signing with `hsm`'s log key (so that the node loads its
    /// secrets once, for the ledger and the embedded HSM alike).
    public static func open(
        folder: DataFolder, hsm: any HSMBackend, clock: any LedgerClock = SystemClock(), maxBatch: Int = 4096
    ) throws -> Ledger {
        let genesisBytes: [UInt8]
        do {
            genesisBytes = try readFile(folder.genesis)
        } catch {
            throw LedgerError(.secrets, "no genesis document at \(folder.genesis): is \(folder.path) a Tamga data folder? Create one with `tamga init --data \(folder.path) --origin ORIGIN`")
        }
        let genesis = try Genesis(parsing: genesisBytes)
        let logKey = try secrets { try hsm.logSigner(origin: genesis.origin) }
        let store = try JournalStore.open(at: folder.store)
        return try Ledger(store: store, genesis: genesis, signer: logKey, clock: clock, maxBatch: maxBatch)
    }

    /// Runs `body`, reporting a key file's failure as the ledger's `secrets` error.
    private static func secrets<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as HSMBoundaryError {
            throw LedgerError(.secrets, error.message)
        }
    }
}
