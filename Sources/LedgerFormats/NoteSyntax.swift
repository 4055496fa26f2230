import Codecs

/// The small lexical pieces shared by signed notes, checkpoints, blocks and receipts: hashes,
/// canonical decimals and line splitting (the codecs themselves are module `Codecs`). Every
/// parser here accepts exactly one spelling of each value (the one the formatter writes), so a
/// note's bytes are a function of its meaning and two honest implementations never disagree
/// about what was signed.
enum NoteSyntax {
    /// Decodes a base64 field that must hold exactly one SHA-256 hash.
    static func hash(_ text: some StringProtocol, field: String) throws(LedgerFormatsError) -> [UInt8] {
        guard let bytes = Base64.decode(text), bytes.count == 32 else {
            throw LedgerFormatsError(.malformed, "\(field) must be the standard base64 of 32 bytes, found \"\(text.prefix(60))\"")
        }
        return bytes
    }

    /// A canonical decimal (no sign, no leading zeros, "0" alone is zero) within UInt64.
    static func decimal(_ text: some StringProtocol, field: String) throws(LedgerFormatsError) -> UInt64 {
        guard let value = CanonicalDecimal.parse(text) else {
            throw LedgerFormatsError(
                .malformed, "\(field) must be a decimal number without sign or leading zeros within 64 bits, found \"\(text.prefix(30))\"")
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
