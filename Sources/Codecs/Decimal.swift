/// Canonical unsigned decimals, the one spelling every format and route accepts: ASCII digits
/// only, no sign, no leading zero (but "0" itself), within `UInt64`. Checked digit by digit, so
/// no input can overflow.
package enum CanonicalDecimal {
    package static func parse(_ text: some StringProtocol) -> UInt64? {
        // Non-generic work on the UTF-8 bytes (see `Base64.append`).
        var text = String(text)
        return text.withUTF8(parse(utf8:))
    }

    private static func parse(utf8 digits: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard let first = digits.first, digits.count <= 20, first != UInt8(ascii: "0") || digits.count == 1 else {
            return nil
        }
        var value: UInt64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }

    /// Appends `value`'s digits to `out` without building a `String`.
    package static func append(_ value: UInt64, to out: inout [UInt8]) {
        guard value > 0 else {
            out.append(UInt8(ascii: "0"))
            return
        }
        let start = out.count
        var rest = value
        while rest > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        out[start...].reverse()
    }
}
