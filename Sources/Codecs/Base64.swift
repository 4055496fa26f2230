/// RFC 4648 base64, the one codec every module uses: standard (section 4, padded) for notes,
/// entries, JSON bodies and the service API; base64url (section 5, unpadded) for tokens and URL
/// parameters. Decoding accepts only the canonical spelling (the one `encode` writes: the
/// alphabet's characters, padding exactly where it belongs, unused trailing bits zero), so
/// every value has one encoding and two honest implementations never disagree about bytes.
package enum Base64 {
    package enum Alphabet: Sendable {
        /// `+` and `/`, padded with `=`.
        case standard
        /// `-` and `_`, no padding.
        case url
    }

    private static let standardDigits: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlDigits: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 6-bit values by ASCII byte, 0xFF for bytes outside the alphabet.
    private static let standardValues = values(of: standardDigits)
    private static let urlValues = values(of: urlDigits)

    private static func values(of digits: [UInt8]) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, digit) in digits.enumerated() { table[Int(digit)] = UInt8(value) }
        return table
    }

    /// The encoded length of `count` bytes.
    package static func encodedLength(_ count: Int, _ alphabet: Alphabet = .standard) -> Int {
        switch alphabet {
        case .standard: (count + 2) / 3 * 4
        case .url: (count * 8 + 5) / 6
        }
    }

    /// Appends the encoding of `bytes` to `out` (no intermediate `String`: entries and JSON
    /// bodies are written straight into their buffers).
    package static func append(
        _ bytes: some Collection<UInt8>, _ alphabet: Alphabet = .standard, to out: inout [UInt8]
    ) {
        // The work happens in non-generic code: a generic body called from another module runs
        // unspecialized, byte by byte through witness tables (an entry's salt is encoded on the
        // ledger's hot path).
        if let done: Void = bytes.withContiguousStorageIfAvailable({
            append(UnsafeRawBufferPointer($0), alphabet, to: &out)
        }) {
            return done
        }
        Array(bytes).withUnsafeBytes { append($0, alphabet, to: &out) }
    }

    private static func append(_ bytes: UnsafeRawBufferPointer, _ alphabet: Alphabet, to out: inout [UInt8]) {
        let digits = alphabet == .standard ? standardDigits : urlDigits
        let padded = alphabet == .standard
        out.reserveCapacity(out.count + encodedLength(bytes.count, alphabet))
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(digits[Int(chunk >> 18 & 63)])
            out.append(digits[Int(chunk >> 12 & 63)])
            out.append(digits[Int(chunk >> 6 & 63)])
            out.append(digits[Int(chunk & 63)])
            index += 3
        }
        let rest = bytes.count - index
        guard rest > 0 else { return }
        let chunk = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
        out.append(digits[Int(chunk >> 18 & 63)])
        out.append(digits[Int(chunk >> 12 & 63)])
        if rest == 2 {
            out.append(digits[Int(chunk >> 6 & 63)])
        } else if padded {
            out.append(UInt8(ascii: "="))
        }
        if padded { out.append(UInt8(ascii: "=")) }
    }

    package static func encode(_ bytes: some Collection<UInt8>, _ alphabet: Alphabet = .standard) -> String {
        var out: [UInt8] = []
        append(bytes, alphabet, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of canonical `text` in `alphabet`, or nil for anything else (white space,
    /// the other alphabet, wrong or missing padding, nonzero unused bits).
    package static func decode(_ text: some StringProtocol, _ alphabet: Alphabet = .standard) -> [UInt8]? {
        var text = String(text)
        return text.withUTF8 { decode(bytes: $0, alphabet) }
    }

    private static func decode(bytes input: UnsafeBufferPointer<UInt8>, _ alphabet: Alphabet) -> [UInt8]? {
        let table = alphabet == .standard ? standardValues : urlValues
        var digits = input.count
        if alphabet == .standard {
            guard input.count % 4 == 0 else { return nil }
            if digits > 0, input[digits - 1] == UInt8(ascii: "=") { digits -= 1 }
            if digits > 0, input[digits - 1] == UInt8(ascii: "=") { digits -= 1 }
        }
        // One leftover digit carries 6 bits, less than a byte: no encoder writes it.
        guard digits % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for index in 0..<digits {
            let value = table[Int(input[index])]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // The unused bits of the last digit must be zero.
        guard accumulator == 0 else { return nil }
        return out
    }
}
