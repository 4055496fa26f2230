import LedgerFormats
import Testing

/// The shared hex and base64url helpers, against RFC 4648's examples and malformed input.
@Suite struct EncodingTests {
    @Test func hexRoundTripsAndRefusesMalformedText() {
        let bytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]
        #expect(hex(bytes) == "00017f80abff")
        #expect(LedgerFormats.bytes(hex: "00017F80ABff") == bytes)
        #expect(LedgerFormats.bytes(hex: "") == [])
        for bad in ["0", "0g", "abc", " 00", "0x00"] { #expect(LedgerFormats.bytes(hex: bad) == nil, "\(bad)") }
    }

    /// RFC 4648 section 10's vectors, padding removed, and the two characters base64url changes.
    @Test func base64URLFollowsRFC4648() {
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (text, encoded) in vectors {
            #expect(base64URL(Array(text.utf8)) == encoded)
            #expect(LedgerFormats.bytes(base64URL: encoded) == Array(text.utf8))
        }
        #expect(base64URL([0xfb, 0xff]) == "-_8")
        #expect(LedgerFormats.bytes(base64URL: "-_8") == [0xfb, 0xff])
        #expect(LedgerFormats.bytes(base64URL: "+/8") == nil, "standard base64's characters are not base64url")
        #expect(LedgerFormats.bytes(base64URL: "Zm9v!") == nil)
    }
}
