/// The small lexical pieces shared by signed notes, checkpoints, blocks and receipts: strict
/// base64, canonical decimals and line splitting. Every parser here accepts exactly one spelling
/// of each value (the one the formatter writes), so a note's bytes are a function of its meaning
/// and two honest implementations never disagree about what was signed.
enum NoteSyntax {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Maps an ASCII byte to its 6-bit value, 0xFF for anything outside the standard alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()

    /// Standard base64 (RFC 4648 section 4) with padding.
    static func base64(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = iterator.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            if let b1 {
                out.append(alphabet[Int((b1 & 0x0F) << 2 | (b2 ?? 0) >> 6)])
            } else {
                out.append(UInt8(ascii: "="))
            }
            if let b2 {
                out.append(alphabet[Int(b2 & 0x3F)])
            } else {
                out.append(UInt8(ascii: "="))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes canonical standard base64 only: padded, no white space, and unused trailing bits
    /// zero. Returns nil for anything else, so that one value has one encoding.
    static func base64Decode(_ text: some StringProtocol) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            let c0 = decodeTable[Int(input[index])]
            let c1 = decodeTable[Int(input[index + 1])]
            guard c0 != 0xFF, c1 != 0xFF else { return nil }
            let pad2 = input[index + 2] == UInt8(ascii: "=")
            let pad3 = input[index + 3] == UInt8(ascii: "=")
            if pad2 || pad3 {
                // Padding only at the very end, and "x=" after a character is not "=x".
                guard isLast, pad3 else { return nil }
            }
            out.append(c0 << 2 | c1 >> 4)
            if pad2 {
                guard c1 & 0x0F == 0 else { return nil }
                break
            }
            let c2 = decodeTable[Int(input[index + 2])]
            guard c2 != 0xFF else { return nil }
            out.append((c1 & 0x0F) << 4 | c2 >> 2)
            if pad3 {
                guard c2 & 0x03 == 0 else { return nil }
                break
            }
            let c3 = decodeTable[Int(input[index + 3])]
            guard c3 != 0xFF else { return nil }
            out.append((c2 & 0x03) << 6 | c3)
            index += 4
        }
        return out
    }

    /// Decodes a base64 field that must hold exactly one SHA-256 hash.
    static func hash(_ text: some StringProtocol, field: String) throws(LedgerFormatsError) -> [UInt8] {
        guard let bytes = base64Decode(text), bytes.count == 32 else {
            throw LedgerFormatsError(.malformed, "\(field) must be the standard base64 of 32 bytes, found \"\(text.prefix(60))\"")
        }
        return bytes
    }

    /// ASCII decimal with no sign and no leading zeros ("0" alone is zero), within UInt64.
    static func decimal(_ text: some StringProtocol, field: String) throws(LedgerFormatsError) -> UInt64 {
        let digits = text.utf8
        guard let first = digits.first, digits.count <= 20, first != UInt8(ascii: "0") || digits.count == 1 else {
            throw LedgerFormatsError(.malformed, "\(field) must be a decimal number without leading zeros, found \"\(text.prefix(30))\"")
        }
        var value: UInt64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else {
                throw LedgerFormatsError(.malformed, "\(field) must be a decimal number, found \"\(text.prefix(30))\"")
            }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else {
                throw LedgerFormatsError(.malformed, "\(field) \(text) does not fit in 64 bits")
            }
            value = sum
        }
        return value
    }

    /// Splits text that must end in a newline into its lines (without the newlines).
    static func lines(_ text: String, what: String) throws(LedgerFormatsError) -> [Substring] {
        guard text.utf8.last == UInt8(ascii: "\n") else {
            throw LedgerFormatsError(.malformed, "\(what) must end with a newline")
        }
        return Array(text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast())
            .map { Substring($0) }
    }

    /// True if the text has an ASCII control character other than newline (forbidden in notes).
    static func hasControlCharacter(_ text: some StringProtocol, allowNewline: Bool) -> Bool {
        text.utf8.contains { $0 < 0x20 && !(allowNewline && $0 == UInt8(ascii: "\n")) }
    }
}
