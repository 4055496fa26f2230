internal import CSodium

/// libsodium must be initialised once before any other call; `sodium_init` is thread-safe and
/// idempotent, and Swift's lazy globals run this exactly once.
private let initResult: Int32 = sodium_init()

@inline(__always)
func ensureSodium() {
    // 0 = initialised now, 1 = already initialised; -1 means no entropy: nothing is safe then.
    precondition(initResult >= 0, "libsodium failed to initialise (no entropy source)")
}

public enum Sodium {
    /// Fills `count` bytes from the operating system's CSPRNG.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        ensureSodium()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.u8, $0.count) }
        return out
    }

    /// Constant-time equality, for MACs, hashes of secrets and tokens.
    public static func constantTimeEqual(_ a: some ContiguousBytesView, _ b: some ContiguousBytesView) -> Bool {
        ensureSodium()
        return a.withBytes { pa in
            b.withBytes { pb in
                pa.count == pb.count && (pa.count == 0 || sodium_memcmp(pa.u8, pb.u8, pa.count) == 0)
            }
        }
    }
}

/// Bytes that can be read without a copy: `[UInt8]`, `ArraySlice<UInt8>` and `SecureBytes`.
/// (Foundation's `ContiguousBytes` would drag Foundation into every caller.)
public protocol ContiguousBytesView {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytesView where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: ContiguousBytesView where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

/// libsodium declares its pointer parameters non-null even for zero lengths; an empty Swift
/// buffer has no base address, so it gets this one readable, writable byte instead.
nonisolated(unsafe) private let emptyBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

extension UnsafeRawBufferPointer {
    var u8: UnsafePointer<UInt8> { baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(emptyBuffer) }
    var cchar: UnsafePointer<CChar> { UnsafeRawPointer(u8).assumingMemoryBound(to: CChar.self) }
}

extension UnsafeMutableRawBufferPointer {
    var u8: UnsafeMutablePointer<UInt8> { baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyBuffer }
}
