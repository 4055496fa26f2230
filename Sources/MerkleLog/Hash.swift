import Codecs
internal import Crypto

/// A 32-byte SHA-256 value: a leaf hash, an interior node hash or a tree root.
///
/// The bytes live in four words rather than an `Array`, so a hash is a plain value: no heap
/// allocation, no reference counting, and `==` is four integer compares. A homogeneous tuple is
/// laid out contiguously and in order, so the words hold the bytes exactly as they appear on the
/// wire (native byte order in, native byte order out).
public struct Hash: Hashable, Sendable, CustomStringConvertible {
    /// The size of a hash in bytes.
    public static let byteCount = 32

    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The hash with the given bytes, or `nil` if there are not exactly 32.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Hash.byteCount else { return nil }
        words = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { $0.copyBytes(from: bytes) }
    }

    /// Parses standard base64 (RFC 4648, with padding), the form checkpoints and proofs use.
    /// Only the canonical 44-character encoding of 32 bytes is accepted, so one hash has one text.
    public init?(base64 text: String) {
        guard text.utf8.count == 44, let bytes = Base64.decode(text), let hash = Hash(bytes) else { return nil }
        self = hash
    }

    /// Copies the first 32 bytes of `buffer`; callers have checked its length.
    init(copying buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count >= Hash.byteCount, "MerkleLog: short hash buffer")
        words = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) {
            $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[..<Hash.byteCount]))
        }
    }

    init(_ digest: SHA256.Digest) {
        self = digest.withUnsafeBytes { Hash(copying: $0) }
    }

    /// The 32 bytes, as a new array.
    public var bytes: [UInt8] {
        Swift.withUnsafeBytes(of: words) { Array($0) }
    }

    /// Lends the 32 bytes without copying them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    /// Standard base64 with padding (44 characters).
    public var base64: String {
        Swift.withUnsafeBytes(of: words) { Base64.encode($0) }
    }

    public var description: String { base64 }

    public static func == (lhs: Hash, rhs: Hash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
