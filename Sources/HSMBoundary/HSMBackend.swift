public import LedgerFormats
public import Sodium

/// The HSM's root of trust: the operations that need the node's master secret or the log key,
/// run where those secrets live. The software backend (`SoftwareHSM`, the default) holds it in locked memory,
/// read from `master.key`; a PKCS#11 backend keeps it in a token as a non-extractable key and
/// runs the same operations there. Nothing outside a backend ever holds the master secret:
/// callers get only results derived from it.
///
/// Every operation is deterministic for its inputs (except `seal`'s nonce) and safe to call
/// concurrently. Results that are secrets come back in locked, zeroizing memory.
public protocol HSMBackend: Sendable {
    /// A pseudorandom function of `input` under the master secret (keyed BLAKE2b-256 in
    /// software): the key-encryption key and the password verifier are derived from the
    /// owner's stretched password with it, so neither can be computed without the backend.
    func derive(_ input: SecureBytes) throws -> SecureBytes

    /// Encrypts a small secret (a TOTP seed) so that only this backend opens it, bound to
    /// `context` (the key it belongs to): a sealed value moved to another context does not open.
    func seal(_ secret: SecureBytes, context: [UInt8]) throws -> [UInt8]

    /// Opens what `seal` made for the same `context`; throws if it was made elsewhere or altered.
    func open(_ sealed: [UInt8], context: [UInt8]) throws -> SecureBytes

    /// The log's signing key for `origin`: checkpoints and blocks are signed where it lives.
    /// Throws if the backend holds no log key for that origin.
    func logSigner(origin: String) throws -> any NoteSigner
}
