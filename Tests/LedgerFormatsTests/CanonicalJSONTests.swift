import Foundation
import LedgerFormats
import Testing

/// One row of Resources/canonical-json.json (written by make-canonical-json.py with Python's
/// json module): a loose rendering of an object and Python's canonical bytes for it.
struct CanonicalJSONFixture: Decodable {
    let name: String
    let input: String
    let canonical: String

    var inputBytes: [UInt8] { Data(base64Encoded: input).map(Array.init) ?? [] }
    var canonicalBytes: [UInt8] { Data(base64Encoded: canonical).map(Array.init) ?? [] }

    static func load() throws -> [CanonicalJSONFixture] {
        let url = try #require(
            Bundle.module.url(forResource: "canonical-json", withExtension: "json", subdirectory: "Resources")
        )
        return try JSONDecoder().decode([CanonicalJSONFixture].self, from: Data(contentsOf: url))
    }

    static func named(_ name: String) throws -> CanonicalJSONFixture {
        try #require(try load().first { $0.name == name })
    }
}

/// Runs `body`, requires it to throw a `LedgerFormatsError` with `code`, and returns the
/// error so the caller can check its message.
@discardableResult
func requireFormatsError(
    _ code: LedgerFormatsError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> LedgerFormatsError? {
    let error = #expect(throws: LedgerFormatsError.self, sourceLocation: sourceLocation) { try body() }
    #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
    return error
}

@Suite struct CanonicalJSONTests {
    @Test func pythonFixtureBytesMatchExactly() throws {
        let fixtures = try CanonicalJSONFixture.load()
        #expect(fixtures.count >= 40)
        for fixture in fixtures {
            let canonical = fixture.canonicalBytes
            try #require(!canonical.isEmpty && !fixture.inputBytes.isEmpty, "\(fixture.name): bad base64")
            let value = try JSONValue(parsing: fixture.inputBytes)
            #expect(try value.canonicalBytes() == canonical, "\(fixture.name)")
            let reparsed = try JSONValue(parsingCanonical: canonical)
            #expect(reparsed == value, "\(fixture.name)")
            #expect(try reparsed.canonicalBytes() == canonical, "\(fixture.name)")
            #expect(JSONValue.isCanonical(canonical), "\(fixture.name)")
            #expect(JSONValue.isCanonical(fixture.inputBytes) == (fixture.inputBytes == canonical), "\(fixture.name)")
        }
    }

    /// The fixture must actually exercise what the serializer has to get right.
    @Test func fixtureCoversTheHardCases() throws {
        let all = try CanonicalJSONFixture.load().flatMap(\.canonicalBytes)
        let text = String(decoding: all, as: UTF8.self)
        for byte in 0..<0x20 {
            let escape: String
            switch byte {
            case 0x08: escape = "\\b"
            case 0x09: escape = "\\t"
            case 0x0A: escape = "\\n"
            case 0x0C: escape = "\\f"
            case 0x0D: escape = "\\r"
            default: escape = String(format: "\\u%04x", byte)
            }
            #expect(text.contains(escape), "no control character 0x\(String(byte, radix: 16)) in fixture")
        }
        for needle in ["\u{7F}", "\u{2028}", "ә", "ғ", "қ", "ң", "ө", "ұ", "ү", "һ", "і", "ж", "\u{1F600}", "\\\"", "\\\\",
            "9007199254740991", "-9007199254740991", "[[[[", "{\"a\":{"]
        {
            #expect(text.contains(needle), "fixture lacks \(needle)")
        }
    }

    @Test func serializesDomainValues() throws {
        let value = JSONValue.object([
            "b": .array([.integer(-1), .bool(true), .bool(false), .string("")]),
            "a": .object([:]),
            "B": .integer(JSONValue.maxSafeInteger),
            "c": .integer(-JSONValue.maxSafeInteger),
        ])
        let text = String(decoding: try value.canonicalBytes(), as: UTF8.self)
        #expect(text == #"{"B":9007199254740991,"a":{},"b":[-1,true,false,""],"c":-9007199254740991}"#)
        #expect(try JSONValue(parsing: Array(text.utf8)) == value)
    }

    @Test func randomValuesRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "\"", "\\", "\u{0}", "\u{1F}", "\u{7F}", "қ", "\u{2028}", "\u{1F510}", "\u{FEFF}", "/"]
        func randomValue(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 3 : 5), using: &generator) {
            case 0: return .string(String((0..<Int.random(in: 0...6, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" }))
            case 1: return .integer(Int64.random(in: -JSONValue.maxSafeInteger...JSONValue.maxSafeInteger, using: &generator))
            case 2: return .bool(Bool.random(using: &generator))
            case 3: return .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in randomValue(depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<Int.random(in: 0...4, using: &generator) {
                    members["k\(Int.random(in: 0...20, using: &generator))"] = randomValue(depth + 1)
                }
                return .object(members)
            }
        }
        for _ in 0..<500 {
            let value = randomValue(0)
            let bytes = try value.canonicalBytes()
            #expect(try JSONValue(parsingCanonical: bytes) == value)
        }
    }

    @Test(arguments: [
        // floats and nulls
        "1.5", "{\"a\":1.0}", "1e3", "-1E2", "0.0", "null", "{\"a\":null}", "[null]",
        // duplicate keys
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":1}",
        // out of range
        "9007199254740992", "-9007199254740992", "99999999999999999999",
        // bad escapes and lone surrogates
        "\"\\x\"", "\"\\u12\"", "\"\\uZZZZ\"", "\"\\'\"", "\"\\\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"\\ud800x\"", "\"\\udbff\\udbff\"",
        // syntax, trailing garbage
        "", " ", "{} x", "{}{}", "1 2", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{", "[1,", "\"abc",
        "01", "-", "-01", "+1", "tru", "True", "nul", "'a'", "{\"a\":1}\u{0}", "\"a\nb\"", "\"tab\there\"",
        // non-ASCII key
        "{\"ключ\":1}",
    ])
    func parserRejects(_ input: String) {
        requireFormatsError(.malformed) { _ = try JSONValue(parsing: Array(input.utf8)) }
        #expect(!JSONValue.isCanonical(Array(input.utf8)))
    }

    @Test(arguments: [
        [0x22, 0xC0, 0x80, 0x22],  // overlong NUL
        [0x22, 0xC1, 0xBF, 0x22],  // overlong
        [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong '/'
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8-encoded surrogate U+D800
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0xFF, 0x22],
        [0x22, 0x80, 0x22],  // lone continuation byte
        [0x22, 0xE2, 0x82, 0x22],  // truncated sequence
        [0x22, 0xF0, 0x9F, 0x98],  // truncated at end of input
        [0xEF, 0xBB, 0xBF, 0x7B, 0x7D],  // byte-order mark before {}
    ] as [[UInt8]])
    func parserRejectsInvalidUTF8(_ input: [UInt8]) {
        requireFormatsError(.malformed) { _ = try JSONValue(parsing: input) }
    }

    @Test func parserRejectsDeepNesting() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        requireFormatsError(.malformed) { _ = try JSONValue(parsing: Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(JSONValue.isCanonical(Array(fine.utf8)))
    }

    @Test func parserAcceptsValidNonCanonicalInput() throws {
        #expect(try JSONValue(parsing: Array(" { \"b\" : [ 1 , -0 ] ,\n\t\"a\":\"\\/\\u00e9\\uD83D\\ude00\" } ".utf8))
            == .object(["a": .string("/é\u{1F600}"), "b": .array([.integer(1), .integer(0)])]))
        #expect(try JSONValue(parsing: Array("9007199254740991".utf8)) == .integer(JSONValue.maxSafeInteger))
        #expect(try JSONValue(parsing: Array("-9007199254740991".utf8)) == .integer(-JSONValue.maxSafeInteger))
    }

    @Test(arguments: [
        "{ }", "{\"b\":1,\"a\":2}", "\"\\/\"", "\"\\u001F\"", "\"\\u00e9\"", "\"\\u007f\"", "-0", "{}\n", " 1",
        "[1, 2]", "\"\\u0041\"", "{\"a\":\"\\ud83d\\ude00\"}",
    ])
    func nonCanonicalInputIsDetected(_ input: String) throws {
        _ = try JSONValue(parsing: Array(input.utf8))
        #expect(!JSONValue.isCanonical(Array(input.utf8)))
        requireFormatsError(.malformed) { _ = try JSONValue(parsingCanonical: Array(input.utf8)) }
    }

    @Test func serializerRefusesWhatTheDomainCannotHold() {
        requireFormatsError(.invalidArgument) { _ = try JSONValue.integer(JSONValue.maxSafeInteger + 1).canonicalBytes() }
        requireFormatsError(.invalidArgument) { _ = try JSONValue.array([.integer(Int64.min)]).canonicalBytes() }
        requireFormatsError(.invalidArgument) { _ = try JSONValue.object(["é": .bool(true)]).canonicalBytes() }
        var deep = JSONValue.array([])
        for _ in 0..<64 { deep = .array([deep]) }
        requireFormatsError(.invalidArgument) { _ = try deep.canonicalBytes() }
    }
}
