#if canImport(Glibc)
package import Glibc
#elseif canImport(Darwin)
package import Darwin
#endif
public import LedgerFormats
public import Sodium

/// The software backend: the master secret is 32 random bytes in `master.key` (mode 0600),
/// read straight into locked memory; the log key's seed is sealed under it in
/// `log-key.sealed`. Whoever copies the data folder with `master.key` has every secret the
/// backend guards, which is why production belongs in a PKCS#11 token (docs/hsm.md).
///
/// Derivations are BLAKE2b-256 keyed with the master secret, and sealing is XChaCha20-Poly1305
/// under a subkey of it: the same bytes the embedded HSM wrote before this backend existed.
public final class SoftwareHSM: HSMBackend {
    private let master: SecureBytes
    private let sealingKey: SecureBytes
    /// Where the sealed log key is (`log-key.sealed` in the data folder).
    public let logKeyPath: String

    /// Loads the master secret from `masterKeyPath`, refusing a file that others may read.
    public convenience init(masterKeyPath: String, logKeyPath: String) throws {
        try self.init(master: MasterKey.load(from: masterKeyPath), logKeyPath: logKeyPath)
    }

    /// Makes a backend over a master secret already in locked memory (a new chain, tests).
    public init(master: SecureBytes, logKeyPath: String) throws {
        guard master.count == MasterKey.length else {
            throw HSMBoundaryError(.secrets, "a master key has \(MasterKey.length) bytes, not \(master.count)")
        }
        self.master = master
        self.logKeyPath = logKeyPath
        // The label predates the backend (it was SignCore's TOTP seal key): kept, so that
        // sealed values written before still open.
        sealingKey = try Blake2b.keyedHash(Array("tamga signcore v1 totp seal".utf8), key: master)
    }

    public func derive(_ input: SecureBytes) throws -> SecureBytes {
        try Blake2b.keyedHash(input, key: master)
    }

    public func seal(_ secret: SecureBytes, context: [UInt8]) throws -> [UInt8] {
        try XChaCha20Poly1305.seal(secret, key: sealingKey, associatedData: context)
    }

    public func open(_ sealed: [UInt8], context: [UInt8]) throws -> SecureBytes {
        do {
            return try XChaCha20Poly1305.open(sealed, key: sealingKey, associatedData: context)
        } catch {
            throw HSMBoundaryError(.mismatch, "the sealed value does not open under this master key and context")
        }
    }

    /// The log key sealed at `logKeyPath` under this backend's master secret.
    public func logSigner(origin: String) throws -> any NoteSigner {
        try LogKey.load(origin: origin, masterKey: master, path: logKeyPath)
    }

    /// Generates the log key for `origin` and writes it sealed to `logKeyPath` (mode 0600).
    public func createLogKey(origin: String) throws -> LogKey {
        try LogKey.create(origin: origin, masterKey: master, path: logKeyPath)
    }
}

/// The software backend's master secret file: 32 random bytes only the node's user may read.
public enum MasterKey {
    public static let length = 32

    /// Makes a new master key file at `path` (mode 0600); refuses to replace an existing one.
    public static func create(at path: String) throws -> SecureBytes {
        let key = try SecureBytes(randomCount: length)
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw HSMBoundaryError(.secrets, "cannot create the master key file \(path): \(errnoText()) (it must not exist yet)")
        }
        defer { close(fd) }
        try key.withBytes { bytes in
            guard write(fd, bytes.baseAddress, bytes.count) == bytes.count, fsync(fd) == 0 else {
                throw HSMBoundaryError(.secrets, "cannot write the master key file \(path): \(errnoText())")
            }
        }
        return key
    }

    /// Reads the master key straight into locked memory. Refuses a file that group or others can
    /// read or write: a master key anyone else can read protects nothing.
    public static func load(from path: String) throws -> SecureBytes {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw HSMBoundaryError(.secrets, "cannot open the master key file \(path): \(errnoText()); was `tamga init` run for this folder?")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw HSMBoundaryError(.secrets, "cannot stat \(path): \(errnoText())") }
        guard info.st_mode & 0o077 == 0 else {
            throw HSMBoundaryError(
                .secrets,
                "the master key file \(path) is readable or writable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))): run `chmod 600 \(path)` and check who could have copied it"
            )
        }
        guard info.st_size == length else {
            throw HSMBoundaryError(.secrets, "the master key file \(path) has \(info.st_size) bytes, not \(length): it is damaged or not a master key")
        }
        return try SecureBytes(count: length) { buffer in
            guard read(fd, buffer.baseAddress, length) == length else {
                throw HSMBoundaryError(.secrets, "cannot read the master key file \(path): \(errnoText())")
            }
        }
    }
}

/// The log's Ed25519 signing key. Its seed exists in the clear only in locked memory; on disk
/// it is sealed (XChaCha20-Poly1305) under the master key, bound to the origin.
public struct LogKey: NoteSigner {
    private let key: Ed25519.PrivateKey
    public let name: String
    public let keyID: UInt32
    public let verifier: NoteVerifier

    private init(key: Ed25519.PrivateKey, origin: String) throws {
        self.key = key
        self.name = origin
        self.verifier = try NoteVerifier(name: origin, publicKey: key.publicKey)
        self.keyID = verifier.keyID
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { key.signature(for: message) }

    private static func associatedData(_ origin: String) -> [UInt8] { Array("tamga log key v1\n\(origin)".utf8) }

    /// Generates a log key for `origin` and writes it sealed to `path` (mode 0600).
    public static func create(origin: String, masterKey: SecureBytes, path: String) throws -> LogKey {
        try LogKey(key: SealedSeed.create(path: path, masterKey: masterKey, associatedData: associatedData(origin)), origin: origin)
    }

    /// Unseals the log key; fails if the master key or the origin is not the one it was made with.
    public static func load(origin: String, masterKey: SecureBytes, path: String) throws -> LogKey {
        let key = try SealedSeed.load(
            path: path, masterKey: masterKey, associatedData: associatedData(origin),
            what: "the log key \(path) for origin '\(origin)'")
        return try LogKey(key: key, origin: origin)
    }
}

/// A witness's Ed25519 cosigning key (C2SP tlog-cosignature v1: key ID type 0x04), sealed like
/// the log key under its own data folder's master key, bound to the witness name.
public struct WitnessKey: NoteSigner {
    private let key: Ed25519.PrivateKey
    public let name: String
    public let keyID: UInt32
    public let verifier: CosignatureVerifier

    private init(key: Ed25519.PrivateKey, name: String) throws {
        self.key = key
        self.name = name
        self.verifier = try CosignatureVerifier(name: name, publicKey: key.publicKey)
        self.keyID = verifier.keyID
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { key.signature(for: message) }

    private static func associatedData(_ name: String) -> [UInt8] { Array("tamga witness key v1\n\(name)".utf8) }

    public static func create(name: String, masterKey: SecureBytes, path: String) throws -> WitnessKey {
        try WitnessKey(key: SealedSeed.create(path: path, masterKey: masterKey, associatedData: associatedData(name)), name: name)
    }

    public static func load(name: String, masterKey: SecureBytes, path: String) throws -> WitnessKey {
        let key = try SealedSeed.load(
            path: path, masterKey: masterKey, associatedData: associatedData(name),
            what: "the witness key \(path) for '\(name)'")
        return try WitnessKey(key: key, name: name)
    }
}

/// An Ed25519 seed sealed (XChaCha20-Poly1305) under the master key in a file of its own.
private enum SealedSeed {
    static func create(path: String, masterKey: SecureBytes, associatedData: [UInt8]) throws -> Ed25519.PrivateKey {
        let key = try Ed25519.PrivateKey()
        try writeNewFile(path, try XChaCha20Poly1305.seal(key.seed(), key: masterKey, associatedData: associatedData))
        return key
    }

    static func load(path: String, masterKey: SecureBytes, associatedData: [UInt8], what: String) throws
        -> Ed25519.PrivateKey
    {
        let sealed = try readFile(path)
        let seed: SecureBytes
        do {
            seed = try XChaCha20Poly1305.open(sealed, key: masterKey, associatedData: associatedData)
        } catch {
            throw HSMBoundaryError(
                .mismatch, "\(what) does not open with this master key: wrong master key, another's key, or a damaged file")
        }
        return try Ed25519.PrivateKey(seed: seed)
    }
}

package func errnoText() -> String { String(cString: strerror(errno)) }

/// Syncs a folder, so that a rename or a new file in it survives a crash.
package func syncFolder(_ path: String) throws {
    let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw HSMBoundaryError(.secrets, "cannot open the folder \(path): \(errnoText())") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw HSMBoundaryError(.secrets, "cannot sync the folder \(path): \(errnoText())") }
}

/// Writes a new file (mode 0600 unless told, refusing to overwrite) and syncs it.
package func writeNewFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
    let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { throw HSMBoundaryError(.secrets, "cannot create \(path): \(errnoText())") }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count, fsync(fd) == 0 else { throw HSMBoundaryError(.secrets, "cannot write \(path): \(errnoText())") }
}

/// The whole file at `path`.
package func readFile(_ path: String) throws -> [UInt8] {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw HSMBoundaryError(.secrets, "cannot open \(path): \(errnoText())") }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n >= 0 else { throw HSMBoundaryError(.secrets, "cannot read \(path): \(errnoText())") }
        if n == 0 { return out }
        out += chunk[0..<n]
    }
}
