import Foundation
import Testing

@testable import LedgerFormats

/// The ordered JSON writer of the API bodies and the block's instants, against Foundation.
@Suite struct JSONWriterTests {
    @Test func writtenJSONParsesBackWithFoundation() throws {
        var json = JSONWriter()
        json.beginObject()
        json.key("n")
        json.number(UInt64.max)
        json.key("i")
        json.number(Int64.min)
        json.key("s")
        json.string("quote \" backslash \\ newline \n tab \t nul \u{0} é \u{2028}")
        json.key("non-static \"key\"")
        json.null()
        json.key("a")
        json.beginArray()
        json.base64(Array(repeating: UInt8(0xfb), count: 32))
        json.bool(false)
        json.raw(Array(#"{"x":[1]}"#.utf8))
        json.endArray()
        json.key("e")
        json.beginArray()
        json.endArray()
        json.endObject()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        #expect((object["n"] as? NSNumber)?.uint64Value == UInt64.max)
        #expect((object["i"] as? NSNumber)?.int64Value == Int64.min)
        #expect(object["s"] as? String == "quote \" backslash \\ newline \n tab \t nul \u{0} é \u{2028}")
        #expect(object["non-static \"key\""] is NSNull)
        let array = try #require(object["a"] as? [Any])
        #expect(array.count == 3)
        #expect(array[0] as? String == Data(Array(repeating: 0xfb, count: 32)).base64EncodedString())
        #expect(array[1] as? Bool == false)
        #expect((array[2] as? [String: [Int]])?["x"] == [1])
        #expect((object["e"] as? [Any])?.isEmpty == true)
        // Escapes are exactly RFC 8785's (the canonical writer's): short forms where JSON has
        // them, lowercase \u00xx for the other controls, everything else raw.
        var escapes = JSONWriter()
        escapes.string("\u{8}\u{c}\n\r\t\u{1}\u{1f}\"\\/\u{7f}é\u{2028}")
        #expect(escapes.bytes == Array(#""\b\f\n\r\t\u0001\u001f\"\\/"#.utf8) + Array("\u{7f}é\u{2028}\"".utf8))
        // Members stay in the order written (the APIs' documented shapes).
        let text = String(decoding: json.bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"n":18446744073709551615,"i":-9223372036854775808,"s":"#))
    }

    /// A block's `start`/`end` instants, formatted by the civil-date code the formats share,
    /// against Foundation after the Gregorian reform (Foundation switches to the Julian calendar
    /// before 1582; RFC 3339 and blocks do not), and parsed back.
    @Test func blockInstantsMatchFoundationAndParseBack() throws {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        var instants: [Int64] = [0, -1, 86_399, 86_400, -62_135_596_800, 253_402_300_799, 951_782_400, 1_795_287_600]
        for _ in 0..<1000 { instants.append(Int64.random(in: BlockTime.range, using: &generator)) }
        for seconds in instants {
            let text = BlockTime.formatInstant(seconds)
            #expect(try BlockTime.parseInstant(text, field: "t") == seconds, "\(text)")
            if seconds > -12_000_000_000 {  // after 1589
                #expect(text == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))))
            }
        }
        #expect(BlockTime.formatInstant(-62_135_596_800) == "0001-01-01T00:00:00Z")
        #expect(BlockTime.formatInstant(253_402_300_799) == "9999-12-31T23:59:59Z")
        for bad in ["2026-11-23T19:00:00", "2026-11-23 19:00:00Z", "2026-11-23T24:00:00Z", "2026-02-29T00:00:00Z",
            "2026-11-23T19:00:60Z", "2026-11-23T19:00:00.000Z", "0000-12-31T00:00:00Z"]
        {
            #expect(throws: LedgerFormatsError.self, "\(bad)") { try BlockTime.parseInstant(bad, field: "t") }
        }
        // A date line's date is exactly ten characters.
        #expect(BlockTime.isDate("2026-11-25") && !BlockTime.isDate("2026-11-25T") && !BlockTime.isDate("2026-11-25Tjunk"))
    }
}
