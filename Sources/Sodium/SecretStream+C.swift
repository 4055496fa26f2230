internal import CSodium

/// libsodium's secretstream (XChaCha20-Poly1305): a long message cut into chunks, each sealed
/// with a nonce derived from the stream's state, so a chunk dropped, repeated, reordered or
/// moved to another stream fails to open, and a `final` tag marks the true end, so a
/// truncated stream is told from a complete one (`Decryptor.finish`).
///
/// Sealed form: a 24-byte header, then per chunk its plaintext length plus `overhead` bytes.
/// The framing of chunks (their lengths) is the caller's.
public enum SecretStream {
    public static let keyLength = Int(crypto_secretstream_xchacha20poly1305_KEYBYTES)
    public static let headerLength = Int(crypto_secretstream_xchacha20poly1305_HEADERBYTES)
    /// Bytes a sealed chunk has beyond its plaintext (tag byte and MAC).
    public static let overhead = Int(crypto_secretstream_xchacha20poly1305_ABYTES)
    /// Far below libsodium's own limit (about 256 GiB); a chunk is held in memory whole.
    static let maxChunkLength = Int(Int32.max)

    /// What a chunk says about the stream: more follows (`message`), or this is the end (`final`).
    public enum Tag: UInt8, Sendable, Hashable {
        case message = 0
        case final = 3
    }

    /// The cipher state (which holds the current subkey) in locked memory, zeroed when freed.
    private final class State {
        let pointer: UnsafeMutablePointer<crypto_secretstream_xchacha20poly1305_state>

        init() throws {
            ensureSodium()
            let size = crypto_secretstream_xchacha20poly1305_statebytes()
            guard let raw = sodium_malloc(size) else {
                throw SodiumError(.outOfMemory, "could not allocate locked memory for a stream state; raise the memlock limit (ulimit -l)")
            }
            pointer = raw.bindMemory(to: crypto_secretstream_xchacha20poly1305_state.self, capacity: 1)
        }

        deinit { sodium_free(pointer) }  // zeroes the subkey before freeing
    }

    private static func checkKey(_ key: SecureBytes) throws {
        guard key.count == keyLength else {
            throw SodiumError(.invalidLength, "a secretstream key has \(keyLength) bytes, got \(key.count)")
        }
    }

    /// Seals chunks in order. Not thread-safe: one owner pushes.
    public final class Encryptor {
        private let state: State
        /// Written first: the pulling side needs it (it is public, a random nonce).
        public let header: [UInt8]
        private var finished = false

        public init(key: SecureBytes) throws {
            try checkKey(key)
            let state = try State()
            var header = [UInt8](repeating: 0, count: headerLength)
            let rc = header.withUnsafeMutableBytes { h in
                key.withBytes { k in crypto_secretstream_xchacha20poly1305_init_push(state.pointer, h.u8, k.u8) }
            }
            self.state = state
            guard rc == 0 else { throw SodiumError(.operationFailed, "could not start a secretstream") }
            self.header = header
        }

        /// Seals the next chunk. After a `final` chunk the stream is closed.
        public func push(
            _ plaintext: some ContiguousBytesView, tag: Tag = .message, associatedData: [UInt8] = []
        ) throws -> [UInt8] {
            guard !finished else {
                throw SodiumError(.operationFailed, "the stream was already closed by a final chunk; start a new stream")
            }
            return try plaintext.withBytes { (m: UnsafeRawBufferPointer) throws -> [UInt8] in
                guard m.count <= maxChunkLength else {
                    throw SodiumError(.invalidLength, "a secretstream chunk of \(m.count) bytes is too long; cut it smaller")
                }
                var out = [UInt8](repeating: 0, count: m.count + overhead)
                let rc = out.withUnsafeMutableBytes { c in
                    associatedData.withUnsafeBytes { ad in
                        crypto_secretstream_xchacha20poly1305_push(
                            state.pointer, c.u8, nil, m.u8, UInt64(m.count), ad.u8, UInt64(ad.count), tag.rawValue)
                    }
                }
                guard rc == 0 else { throw SodiumError(.operationFailed, "could not seal a secretstream chunk") }
                if tag == .final { finished = true }
                return out
            }
        }
    }

    /// Opens chunks in order. Not thread-safe: one owner pulls.
    public final class Decryptor {
        private let state: State
        private var scratch: UnsafeMutableRawBufferPointer?
        /// Whether the `final` chunk was opened.
        public private(set) var isFinished = false

        /// A wrong key or a damaged header is found at the first `pull`, not here: the header
        /// is a nonce and carries no MAC of its own.
        public init(key: SecureBytes, header: some ContiguousBytesView) throws {
            try checkKey(key)
            let state = try State()
            self.state = state
            let rc = try header.withBytes { (h: UnsafeRawBufferPointer) throws -> Int32 in
                guard h.count == headerLength else {
                    throw SodiumError(.invalidLength, "a secretstream header has \(headerLength) bytes, got \(h.count)")
                }
                return key.withBytes { k in crypto_secretstream_xchacha20poly1305_init_pull(state.pointer, h.u8, k.u8) }
            }
            guard rc == 0 else { throw SodiumError(.verificationFailed, "the secretstream header is not valid") }
        }

        deinit {
            if let scratch, let base = scratch.baseAddress { sodium_free(base) }
        }

        /// Opens the next chunk and lends its plaintext to `body`, from locked memory that is
        /// zeroed once `body` returns (copy out what you keep). Throws on a wrong key, wrong
        /// associated data, or a chunk altered, reordered, replayed or from another stream.
        public func pull<R>(
            _ ciphertext: some ContiguousBytesView, associatedData: [UInt8] = [],
            _ body: (UnsafeRawBufferPointer, Tag) throws -> R
        ) throws -> R {
            guard !isFinished else {
                throw SodiumError(.verificationFailed, "data follows the stream's final chunk: the data was altered")
            }
            return try ciphertext.withBytes { (c: UnsafeRawBufferPointer) throws -> R in
                guard c.count >= overhead else {
                    throw SodiumError(.invalidLength, "a secretstream chunk has at least \(overhead) bytes, got \(c.count)")
                }
                let length = c.count - overhead
                let buffer = try scratchBuffer(max(length, 1))
                defer { sodium_memzero(buffer.u8, length) }
                var tag: UInt8 = 0
                let rc = associatedData.withUnsafeBytes { ad in
                    crypto_secretstream_xchacha20poly1305_pull(
                        state.pointer, buffer.u8, nil, &tag, c.u8, UInt64(c.count), ad.u8, UInt64(ad.count))
                }
                guard rc == 0 else {
                    throw SodiumError(.verificationFailed, "a secretstream chunk did not open: wrong key, or the data was altered, reordered or cut")
                }
                guard let known = Tag(rawValue: tag) else {
                    throw SodiumError(.verificationFailed, "a secretstream chunk has tag \(tag), which this reader does not use")
                }
                if known == .final { isFinished = true }
                return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), known)
            }
        }

        /// Call at the end of the input: throws unless the `final` chunk was opened, i.e. if
        /// the stream was truncated.
        public func finish() throws {
            guard isFinished else {
                throw SodiumError(.verificationFailed, "the stream ends before its final chunk: it was truncated")
            }
        }

        /// A locked buffer of at least `count` bytes, reused across chunks.
        private func scratchBuffer(_ count: Int) throws -> UnsafeMutableRawBufferPointer {
            if let scratch, scratch.count >= count { return scratch }
            if let scratch, let base = scratch.baseAddress { sodium_free(base) }
            scratch = nil
            guard let raw = sodium_malloc(count) else {
                throw SodiumError(.outOfMemory, "could not allocate \(count) bytes of locked memory; raise the memlock limit (ulimit -l)")
            }
            let buffer = UnsafeMutableRawBufferPointer(start: raw, count: count)
            scratch = buffer
            return buffer
        }
    }
}
