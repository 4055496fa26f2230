/// Lowercase hex, as entries, notices, record names and the command line write hashes.
package func hex(_ bytes: some Sequence<UInt8>) -> String {
    // Non-generic work on contiguous bytes (see `Base64.append`): a `key.use` writes one per signature.
    bytes.withContiguousStorageIfAvailable { hex(UnsafeRawBufferPointer($0)) } ?? Array(bytes).withUnsafeBytes(hex)
}

private func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    let digits: StaticString = "0123456789abcdef"
    return digits.withUTF8Buffer { digits in
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digits[Int(byte >> 4)]
                out[2 * index + 1] = digits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}

/// The bytes written as hex digits (either case) in `text`, or nil if it is not an even run of them.
package func bytes(hex text: some StringProtocol) -> [UInt8]? {
    func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
        out.append(high << 4 | low)
    }
    return out
}

/// base64url without padding (RFC 4648 section 5): bearer tokens and URL parameters.
package func base64URL(_ bytes: some Collection<UInt8>) -> String { Base64.encode(bytes, .url) }
