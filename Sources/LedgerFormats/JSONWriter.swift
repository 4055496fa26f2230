import Codecs

/// Writes JSON with members in the order the caller writes them: the bodies of the public and
/// service APIs, whose shapes are pinned by their OpenAPI documents rather than by `Codable`
/// synthesis, so a renamed property cannot change an API. Strings are escaped exactly as the
/// canonical writer escapes them (RFC 8785), with the same code. Entries, the genesis and
/// other signed objects use `JSONValue.canonicalBytes()` instead (sorted keys).
package struct JSONWriter {
    private var writer: CanonicalWriter
    /// Whether the next member or element needs a comma before it.
    private var needsComma = false

    package init(capacity: Int = 256) {
        writer = CanonicalWriter(capacity: capacity)
    }

    package var bytes: [UInt8] { writer.bytes }

    package mutating func beginObject() {
        comma()
        writer.appendByte(UInt8(ascii: "{"))
        needsComma = false
    }

    package mutating func endObject() {
        writer.appendByte(UInt8(ascii: "}"))
        needsComma = true
    }

    package mutating func beginArray() {
        comma()
        writer.appendByte(UInt8(ascii: "["))
        needsComma = false
    }

    package mutating func endArray() {
        writer.appendByte(UInt8(ascii: "]"))
        needsComma = true
    }

    /// `"name":` for a fixed ASCII name; the value follows with one of the value writers.
    package mutating func key(_ name: StaticString) {
        comma()
        writer.appendKey(name)
        needsComma = false
    }

    /// `"name":` for any name.
    package mutating func key(_ name: String) {
        comma()
        writer.appendString(name)
        writer.appendByte(UInt8(ascii: ":"))
        needsComma = false
    }

    package mutating func number(_ value: UInt64) {
        comma()
        CanonicalDecimal.append(value, to: &writer.bytes)
        needsComma = true
    }

    package mutating func number(_ value: Int64) {
        comma()
        writer.appendInteger(value)
        needsComma = true
    }

    package mutating func bool(_ value: Bool) {
        comma()
        writer.appendASCII(value ? "true" : "false")
        needsComma = true
    }

    package mutating func null() {
        comma()
        writer.appendASCII("null")
        needsComma = true
    }

    package mutating func string(_ value: String) {
        comma()
        writer.appendString(value)
        needsComma = true
    }

    /// Bytes (a hash, a signature) as a standard base64 string.
    package mutating func base64(_ data: some Collection<UInt8>) {
        comma()
        writer.appendByte(UInt8(ascii: "\""))
        Base64.append(data, to: &writer.bytes)
        writer.appendByte(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A value that already is JSON (a stored canonical record), copied as is.
    package mutating func raw(_ json: [UInt8]) {
        comma()
        writer.bytes.append(contentsOf: json)
        needsComma = true
    }

    private mutating func comma() {
        if needsComma { writer.appendByte(UInt8(ascii: ",")) }
    }
}
