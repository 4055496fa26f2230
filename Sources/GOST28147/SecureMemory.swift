#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Overwrites secret bytes with zeros in a way the optimizer may not drop as a dead store
/// (a plain loop before `deallocate` is exactly what dead-store elimination removes).
func secureZero(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
    guard count > 0 else { return }
    #if canImport(Darwin)
        _ = memset_s(pointer, count, 0, count)
    #else
        explicit_bzero(pointer, count)
    #endif
}

/// Runs `body` with a scratch buffer for secrets (an unwrapped key, a diversified KEK) and
/// zeroizes and frees it afterwards, whether `body` returns or throws.
func withSecretBuffer<R, E: Error>(
    count: Int,
    _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
) throws(E) -> R {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
    buffer.initializeMemory(as: UInt8.self, repeating: 0)
    defer {
        if let base = buffer.baseAddress { secureZero(base, count) }
        buffer.deallocate()
    }
    return try body(buffer)
}

extension UnsafeRawPointer {
    /// Reads the little-endian word at `offset`: GOST 28147-89 (RFC 5830, CryptoPro, the OpenSSL
    /// engine) maps bytes to words little-endian, for keys and blocks alike.
    @inline(__always)
    func word(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

extension UnsafeMutableRawPointer {
    @inline(__always)
    func storeWord(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }
}
