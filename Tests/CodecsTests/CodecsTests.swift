import Codecs
import Foundation
import Testing

/// The one copy of each codec, against RFC 4648's vectors, Foundation's encoder, and malformed
/// input: decoding accepts exactly the spelling the encoder writes.
@Suite struct CodecsTests {
    static let rfc4648: [(text: String, standard: String, url: String)] = [
        ("", "", ""), ("f", "Zg==", "Zg"), ("fo", "Zm8=", "Zm8"), ("foo", "Zm9v", "Zm9v"),
        ("foob", "Zm9vYg==", "Zm9vYg"), ("fooba", "Zm9vYmE=", "Zm9vYmE"), ("foobar", "Zm9vYmFy", "Zm9vYmFy"),
    ]

    @Test func base64FollowsRFC4648() {
        for vector in Self.rfc4648 {
            let bytes = Array(vector.text.utf8)
            #expect(Base64.encode(bytes) == vector.standard)
            #expect(Base64.encode(bytes, .url) == vector.url)
            #expect(Base64.decode(vector.standard) == bytes)
            #expect(Base64.decode(vector.url, .url) == bytes)
            #expect(base64URL(bytes) == vector.url)
        }
        #expect(Base64.encode([0xfb, 0xff]) == "+/8=")
        #expect(Base64.encode([0xfb, 0xff], .url) == "-_8")
        #expect(Base64.decode("-_8", .url) == [0xfb, 0xff])
    }

    @Test func base64MatchesFoundationBothWays() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<100 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let foundation = Data(bytes).base64EncodedString()
            #expect(Base64.encode(bytes) == foundation, "length \(length)")
            #expect(Base64.decode(foundation) == bytes, "length \(length)")
            let url = foundation.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Base64.encode(bytes, .url) == url, "length \(length)")
            #expect(Base64.decode(url, .url) == bytes, "length \(length)")
            var appended: [UInt8] = [0x41]
            Base64.append(bytes, to: &appended)
            #expect(appended == [0x41] + Array(foundation.utf8))
            #expect(Base64.encodedLength(length) == foundation.utf8.count)
            #expect(Base64.encodedLength(length, .url) == url.utf8.count)
        }
    }

    /// Every other spelling of a value is refused: nonzero unused bits ("Zh==" is "f" with a set
    /// bit), missing or misplaced padding, white space, the other alphabet, a lone 6-bit digit.
    @Test func base64RefusesNonCanonicalText() {
        for bad in ["Zh==", "Zm9=", "Zg", "Zg=", "Zg===", "Z===", "====", "Zg==Zg==", "Zm=v", " Zg==", "Zg==\n",
            "Zm9v Zm9v", "-_8=", "Zm9v!", "é"]
        {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
        for bad in ["Zh", "Z", "AAAAA", "Zg==", "ab+c", "ab/c", "ab c", "é", "AB"] {
            #expect(Base64.decode(bad, .url) == nil, "\(bad)")
        }
        #expect(Base64.decode("AA", .url) == [0])
        #expect(Base64.decode("_-8", .url) == [0xff, 0xef])
    }

    @Test func hexRoundTripsAndRefusesMalformedText() {
        let bytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]
        #expect(hex(bytes) == "00017f80abff")
        #expect(Codecs.bytes(hex: "00017F80ABff") == bytes)
        #expect(Codecs.bytes(hex: "") == [])
        for bad in ["0", "0g", "abc", " 00", "0x00"] { #expect(Codecs.bytes(hex: bad) == nil, "\(bad)") }
    }

    @Test func decimalsAreCanonical() {
        #expect(CanonicalDecimal.parse("0") == 0)
        #expect(CanonicalDecimal.parse("42") == 42)
        #expect(CanonicalDecimal.parse("18446744073709551615") == UInt64.max)
        for bad in ["", "00", "01", "-1", "+1", "1e3", " 1", "1 ", "18446744073709551616", "99999999999999999999",
            "100000000000000000000", "١", "0x1"]
        {
            #expect(CanonicalDecimal.parse(bad) == nil, "\(bad)")
        }
        var generator = SystemRandomNumberGenerator()
        for value in [0, 1, 9, 10, UInt64.max, UInt64.max / 10] + (0..<200).map({ _ in UInt64.random(in: 0...UInt64.max, using: &generator) }) {
            var out: [UInt8] = [0x2c]
            CanonicalDecimal.append(value, to: &out)
            #expect(out == [0x2c] + Array(String(value).utf8))
            #expect(CanonicalDecimal.parse(String(value)) == value)
        }
    }
}
