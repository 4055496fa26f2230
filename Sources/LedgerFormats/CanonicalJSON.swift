/// A JSON value in the ledger's domain (docs/formats.md): strings, integers within
/// ±(2^53 − 1), booleans, arrays and objects with ASCII keys. There are no floats and no
/// nulls, so every value has exactly one canonical (RFC 8785) rendering, and that rendering is
/// byte for byte what Python's
/// `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes.
///
/// Keys are restricted to ASCII because then RFC 8785 (which sorts by UTF-16 code units),
/// Python (code points) and the byte order used here all agree, and because Swift compares
/// `String`s by canonical equivalence, which would merge distinct non-ASCII keys.
public enum JSONValue: Hashable, Sendable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    /// 2^53 − 1: the largest integer every JSON implementation (JavaScript's included) reads
    /// exactly, so it is the bound for integers in entries.
    public static let maxSafeInteger: Int64 = 9_007_199_254_740_991

    /// Nesting limit for arrays and objects, so hostile input cannot exhaust the stack. Entries
    /// and genesis documents are flat; this is far above anything the formats use.
    static let maxDepth = 64

    /// Parses JSON strictly: RFC 8259 syntax, valid UTF-8, no floats, no nulls, no duplicate or
    /// non-ASCII keys, no integers beyond ±(2^53 − 1), no lone surrogates, nothing after the
    /// value but white space. White space and escapes are accepted; use
    /// `init(parsingCanonical:)` to require canonical form as well.
    public init(parsing bytes: some Collection<UInt8>) throws(LedgerFormatsError) {
        self = try JSONValue.parse(byteArray(bytes))
    }

    /// Parses and also requires the input to be canonical: re-serializing gives the same bytes.
    public init(parsingCanonical bytes: some Collection<UInt8>) throws(LedgerFormatsError) {
        let input = byteArray(bytes)
        let value = try JSONValue.parse(input)
        guard try value.canonicalBytes() == input else {
            throw LedgerFormatsError(
                .malformed,
                "JSON is valid but not in canonical form (RFC 8785: keys sorted, no white space, minimal escapes); re-serialize it canonically"
            )
        }
        self = value
    }

    static func parse(_ bytes: [UInt8]) throws(LedgerFormatsError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(LedgerFormatsError) in try JSONParser.parse(buffer) }
    }

    /// The RFC 8785 bytes. Throws `invalidArgument` for what the domain cannot represent: an
    /// integer beyond ±(2^53 − 1), a non-ASCII key, or nesting deeper than 64.
    public func canonicalBytes() throws(LedgerFormatsError) -> [UInt8] {
        var writer = CanonicalWriter(capacity: 256)
        try writer.append(self, depth: 0)
        return writer.bytes
    }

    /// Whether `bytes` parse and are already in canonical form.
    public static func isCanonical(_ bytes: some Collection<UInt8>) -> Bool {
        (try? JSONValue(parsingCanonical: bytes)) != nil
    }
}

/// The bytes as an array without copying when they already are one: the public parsers take
/// any collection, but the work happens in non-generic code (a generic body called from
/// another module runs unspecialized, byte by byte through witness tables).
func byteArray(_ bytes: some Collection<UInt8>) -> [UInt8] {
    (bytes as? [UInt8]) ?? Array(bytes)
}

// MARK: - Serializer

/// Appends canonical JSON to a byte buffer. Entries are serialized about 100k times a second,
/// so strings are copied in runs straight from their UTF-8 storage and only the few bytes that
/// need escaping are handled one by one.
struct CanonicalWriter {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func append(_ value: JSONValue, depth: Int) throws(LedgerFormatsError) {
        switch value {
        case .string(let string):
            appendString(string)
        case .integer(let integer):
            try appendCheckedInteger(integer)
        case .bool(let bool):
            appendASCII(bool ? "true" : "false")
        case .array(let elements):
            guard depth < JSONValue.maxDepth else { throw Self.tooDeep }
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                try append(element, depth: depth + 1)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            guard depth < JSONValue.maxDepth else { throw Self.tooDeep }
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in sorted.enumerated() {
                guard member.key.utf8.allSatisfy({ $0 < 0x80 }) else {
                    throw LedgerFormatsError(
                        .invalidArgument,
                        "JSON object key \(Self.quoted(member.key)) is not ASCII; the ledger's formats allow ASCII keys only"
                    )
                }
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendString(member.key)
                bytes.append(UInt8(ascii: ":"))
                try append(member.value, depth: depth + 1)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `"key":` for a key the caller knows is ASCII and needs no escaping.
    mutating func appendKey(_ key: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        appendASCII(key)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func appendASCII(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func appendByte(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func appendCheckedInteger(_ value: Int64) throws(LedgerFormatsError) {
        guard value >= -JSONValue.maxSafeInteger, value <= JSONValue.maxSafeInteger else {
            throw LedgerFormatsError(
                .invalidArgument,
                "integer \(value) is outside ±(2^53 − 1); the ledger's JSON allows only integers every reader represents exactly"
            )
        }
        appendInteger(value)
    }

    /// Decimal digits without allocating (a `String` of more than 15 bytes would).
    mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Escapes exactly what RFC 8785 and Python escape: `"`, `\` and U+0000...U+001F (as `\b`
    /// `\t` `\n` `\f` `\r` or `\u00xx` with lowercase hex). DEL, U+2028 and all non-ASCII are
    /// written raw.
    mutating func appendString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { appendEscaped($0) }
        if done == nil {
            Array(string.utf8).withUnsafeBufferPointer { appendEscaped($0) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in utf8.indices {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            default:
                bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(Self.lowercaseHex[Int(byte >> 4)])
                bytes.append(Self.lowercaseHex[Int(byte & 0x0F)])
            }
            runStart = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
    }

    /// The length `appendString` writes for `string`, quotes included.
    static func escapedLength(of string: String) -> Int {
        func count(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
            var length = utf8.count + 2
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x09, 0x0A, 0x0C, 0x0D: length += 1
                default: length += 5
                }
            }
            return length
        }
        return string.utf8.withContiguousStorageIfAvailable(count)
            ?? Array(string.utf8).withUnsafeBufferPointer(count)
    }

    /// The length `appendInteger` writes for `value`.
    static func decimalLength(of value: Int64) -> Int {
        var length = value < 0 ? 2 : 1
        var magnitude = value.magnitude
        while magnitude >= 10 {
            magnitude /= 10
            length += 1
        }
        return length
    }

    private static let lowercaseHex: [UInt8] = Array("0123456789abcdef".utf8)

    private static let tooDeep = LedgerFormatsError(
        .invalidArgument,
        "JSON value nests arrays/objects deeper than \(JSONValue.maxDepth) levels; flatten it"
    )

    /// A key or value quoted for an error message, with control characters made visible.
    static func quoted(_ text: String) -> String {
        var writer = CanonicalWriter(capacity: text.utf8.count + 2)
        writer.appendString(String(text.prefix(80)))
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

// MARK: - Parser

/// A strict recursive-descent parser over contiguous bytes; every error names the byte offset.
private struct JSONParser {
    private let input: UnsafeBufferPointer<UInt8>
    private var position = 0

    private init(_ input: UnsafeBufferPointer<UInt8>) {
        self.input = input
    }

    static func parse(_ input: UnsafeBufferPointer<UInt8>) throws(LedgerFormatsError) -> JSONValue {
        var parser = JSONParser(input)
        parser.skipWhiteSpace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhiteSpace()
        guard parser.position == input.count else {
            throw parser.error("unexpected bytes after the JSON value")
        }
        return value
    }

    private func error(_ what: String, at offset: Int? = nil) -> LedgerFormatsError {
        LedgerFormatsError(.malformed, "JSON: \(what) at byte \(offset ?? position)")
    }

    private mutating func skipWhiteSpace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(LedgerFormatsError) -> JSONValue {
        guard position < input.count else { throw error("unexpected end of input, expected a value") }
        switch input[position] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return try parseObject(depth: depth)
        case UInt8(ascii: "["):
            return try parseArray(depth: depth)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            throw error("null is not allowed (omit the field instead)", at: position - 4)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .integer(try parseInteger())
        default:
            throw error("unexpected character, expected a value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(LedgerFormatsError) {
        let length = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected in
            position + length <= input.count
                && expected.elementsEqual(UnsafeBufferPointer(rebasing: input[position..<position + length]))
        }
        guard matches else { throw error("invalid literal") }
        position += length
    }

    private mutating func parseInteger() throws(LedgerFormatsError) -> Int64 {
        let start = position
        var negative = false
        if input[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var magnitude: Int64 = 0
        var digits = 0
        while position < input.count, case let byte = input[position],
            byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9")
        {
            if digits == 1 && magnitude == 0 {
                throw error("number has a leading zero", at: start)
            }
            magnitude = magnitude * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
            guard magnitude <= JSONValue.maxSafeInteger else {
                throw error("integer is outside ±(2^53 − 1)", at: start)
            }
            position += 1
        }
        guard digits > 0 else { throw error("'-' is not followed by digits", at: start) }
        if position < input.count {
            switch input[position] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
                throw error("floating-point numbers are not allowed, only integers", at: start)
            default:
                break
            }
        }
        return negative ? -magnitude : magnitude
    }

    private mutating func parseArray(depth: Int) throws(LedgerFormatsError) -> JSONValue {
        guard depth < JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth) levels") }
        position += 1
        var elements: [JSONValue] = []
        skipWhiteSpace()
        if position < input.count, input[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhiteSpace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhiteSpace()
            guard position < input.count else { throw error("unterminated array") }
            let byte = input[position]
            position += 1
            if byte == UInt8(ascii: "]") { return .array(elements) }
            guard byte == UInt8(ascii: ",") else { throw error("expected ',' or ']' in array", at: position - 1) }
        }
    }

    private mutating func parseObject(depth: Int) throws(LedgerFormatsError) -> JSONValue {
        guard depth < JSONValue.maxDepth else { throw error("nesting deeper than \(JSONValue.maxDepth) levels") }
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhiteSpace()
        if position < input.count, input[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhiteSpace()
            let keyStart = position
            guard position < input.count, input[position] == UInt8(ascii: "\"") else {
                throw error("expected a string key in object")
            }
            let key = try parseString()
            guard key.utf8.allSatisfy({ $0 < 0x80 }) else {
                throw error("object key is not ASCII (the formats allow ASCII keys only)", at: keyStart)
            }
            skipWhiteSpace()
            guard position < input.count, input[position] == UInt8(ascii: ":") else {
                throw error("expected ':' after object key")
            }
            position += 1
            skipWhiteSpace()
            let value = try parseValue(depth: depth + 1)
            guard members.updateValue(value, forKey: key) == nil else {
                throw error("duplicate object key \(CanonicalWriter.quoted(key))", at: keyStart)
            }
            skipWhiteSpace()
            guard position < input.count else { throw error("unterminated object") }
            let byte = input[position]
            position += 1
            if byte == UInt8(ascii: "}") { return .object(members) }
            guard byte == UInt8(ascii: ",") else { throw error("expected ',' or '}' in object", at: position - 1) }
        }
    }

    /// Strings without escapes (the common case) are decoded straight from the input after the
    /// UTF-8 check; an escape switches to a scratch buffer.
    private mutating func parseString() throws(LedgerFormatsError) -> String {
        position += 1
        let start = position
        var runStart = position
        var unescaped: [UInt8]? = nil
        while true {
            guard position < input.count else { throw error("unterminated string", at: start - 1) }
            let byte = input[position]
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: input[runStart..<position])
                position += 1
                guard var buffer = unescaped else { return String(decoding: run, as: UTF8.self) }
                buffer.append(contentsOf: run)
                return String(decoding: buffer, as: UTF8.self)
            } else if byte == UInt8(ascii: "\\") {
                var buffer = unescaped ?? []
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<position]))
                try parseEscape(into: &buffer)
                unescaped = buffer
                runStart = position
            } else if byte < 0x20 {
                throw error("unescaped control character in string")
            } else if byte < 0x80 {
                position += 1
            } else {
                try skipUTF8Sequence()
            }
        }
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws(LedgerFormatsError) {
        let escapeStart = position
        position += 1
        guard position < input.count else { throw error("unterminated escape", at: escapeStart) }
        let byte = input[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xDC00...0xDFFF).contains(scalar) {
                throw error("lone low surrogate escape", at: escapeStart)
            }
            if (0xD800...0xDBFF).contains(scalar) {
                guard position + 1 < input.count, input[position] == UInt8(ascii: "\\"),
                    input[position + 1] == UInt8(ascii: "u")
                else { throw error("lone high surrogate escape", at: escapeStart) }
                position += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error("high surrogate escape not followed by a low surrogate", at: escapeStart)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicodeScalar = Unicode.Scalar(scalar) else {
                throw error("invalid \\u escape", at: escapeStart)
            }
            buffer.append(contentsOf: unicodeScalar.utf8)
        default:
            throw error("invalid escape sequence", at: escapeStart)
        }
    }

    private mutating func parseHex4() throws(LedgerFormatsError) -> UInt32 {
        guard position + 4 <= input.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = input[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Well-formed UTF-8 per Unicode table 3-7: no overlong forms, no encoded surrogates,
    /// nothing above U+10FFFF.
    private mutating func skipUTF8Sequence() throws(LedgerFormatsError) {
        let lead = input[position]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw error("invalid UTF-8")
        }
        guard position + length <= input.count, secondRange.contains(input[position + 1]) else {
            throw error("invalid UTF-8")
        }
        for offset in 2..<length where !(0x80...0xBF).contains(input[position + offset]) {
            throw error("invalid UTF-8")
        }
        position += length
    }
}
