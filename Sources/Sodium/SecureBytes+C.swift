internal import CSodium

/// Secret bytes in libsodium's guarded heap: locked in RAM (never swapped), fenced by guard
/// pages, and zeroed when freed. Keys, passwords and seeds live only here.
///
/// `@unchecked Sendable` is sound: the buffer is written only inside `init` (before the value
/// can be shared) and is read-only afterwards; `deinit` runs when no reference remains.
public final class SecureBytes: @unchecked Sendable, ContiguousBytesView {
    private let pointer: UnsafeMutableRawPointer
    public let count: Int

    /// Allocates `count` locked bytes and lets `fill` write them once.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        ensureSodium()
        guard count > 0 else { throw SodiumError(.invalidLength, "a secret must have at least one byte") }
        guard let pointer = sodium_malloc(count) else {
            throw SodiumError(.outOfMemory, "could not allocate \(count) bytes of locked memory; raise the memlock limit (ulimit -l)")
        }
        self.pointer = pointer
        self.count = count
        // Every stored property is set, so if `fill` throws, `deinit` frees (and zeroes) the buffer.
        try fill(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }

    /// Copies `bytes` into locked memory. The caller should zero its own copy (`zeroize`).
    public convenience init(copying bytes: some ContiguousBytesView) throws {
        let count = bytes.withBytes { $0.count }
        try self.init(count: count) { dst in bytes.withBytes { dst.copyMemory(from: $0) } }
    }

    /// `count` random bytes, generated straight into locked memory.
    public convenience init(randomCount count: Int) throws {
        try self.init(count: count) { randombytes_buf($0.u8, $0.count) }
    }

    deinit { sodium_free(pointer) }  // sodium_free zeroes before it frees

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Constant-time comparison with another secret or a public value.
    public func constantTimeEquals(_ other: some ContiguousBytesView) -> Bool {
        Sodium.constantTimeEqual(self, other)
    }
}

extension SecureBytes: CustomStringConvertible {
    /// Never prints the contents: a secret that reaches a log line says only its size.
    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
}

/// Overwrites an ordinary buffer that briefly held a secret (e.g. a decoded request field).
public func zeroize(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { sodium_memzero($0.u8, $0.count) }
}

/// libsodium's guarded heap for buffers that other code owns and frees, such as the NIO
/// buffer that carries a secret to the socket: the same locked, fenced pages as `SecureBytes`,
/// zeroed by `free`. Written to fit NIO's C allocator hooks (no throwing, nil only when out
/// of memory).
public enum GuardedMemory {
    public static func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        ensureSodium()
        return sodium_malloc(max(size, 1))
    }

    /// A new block of `newSize` bytes holding the old block's first bytes; the old block is freed.
    public static func reallocate(_ pointer: UnsafeMutableRawPointer?, from oldSize: Int, to newSize: Int)
        -> UnsafeMutableRawPointer?
    {
        guard let moved = allocate(newSize) else { return nil }
        if let pointer {
            moved.copyMemory(from: pointer, byteCount: min(oldSize, newSize))
            sodium_free(pointer)
        }
        return moved
    }

    /// Zeroes and frees a block from `allocate` or `reallocate`.
    public static func free(_ pointer: UnsafeMutableRawPointer) { sodium_free(pointer) }
}
