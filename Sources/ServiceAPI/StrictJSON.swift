/// What request bodies must be beyond what `JSONDecoder` checks: RFC 8259 JSON with no
/// byte-order mark, no object with the same member twice (decoders disagree on which one
/// wins, so a proxy and the node could read two requests), numbers only as integers (no
/// fraction, no exponent: every number in this API counts something), and at most 32 levels
/// of nesting. It only validates; `JSONDecoder` then reads the typed fields.
enum StrictJSON {
    static let maxDepth = 32

    static func check(_ bytes: [UInt8]) throws(ServiceAPIError) {
        guard !bytes.starts(with: [0xEF, 0xBB, 0xBF]) else {
            throw ServiceAPIError(.invalidRequest, "the body starts with a byte-order mark: send UTF-8 JSON without one")
        }
        var scanner = Scanner(bytes: bytes)
        try scanner.value(depth: 0)
        scanner.skipSpace()
        guard scanner.index == bytes.count else { throw scanner.fail("something follows the JSON value") }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        func fail(_ reason: String) -> ServiceAPIError {
            ServiceAPIError(.invalidRequest, "the body is not strict JSON: \(reason) (at byte \(index))")
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String) throws(ServiceAPIError) {
            let literal = Array(literal.utf8)
            guard bytes[index...].starts(with: literal) else { throw fail("an unknown literal") }
            index += literal.count
        }

        mutating func value(depth: Int) throws(ServiceAPIError) {
            skipSpace()
            guard index < bytes.count else { throw fail("it ends where a value should be") }
            switch bytes[index] {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "t"): try expect("true")
            case UInt8(ascii: "f"): try expect("false")
            case UInt8(ascii: "n"): try expect("null")
            default: try integer()
            }
        }

        mutating func object(depth: Int) throws(ServiceAPIError) {
            guard depth <= StrictJSON.maxDepth else { throw fail("nested deeper than \(StrictJSON.maxDepth)") }
            index += 1
            var keys: Set<[UInt8]> = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("a member name must be a string") }
                let key = try string()
                // Member names are plain identifiers here; an escaped one could spell a name
                // twice in two ways.
                guard !key.contains(UInt8(ascii: "\\")) else { throw fail("a member name with an escape") }
                guard keys.insert(key).inserted else {
                    throw fail("the member \"\(String(decoding: key.prefix(60), as: UTF8.self))\" appears twice")
                }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                try value(depth: depth)
                skipSpace()
                guard index < bytes.count else { throw fail("an object is not closed") }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return
                }
                guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
                index += 1
            }
        }

        mutating func array(depth: Int) throws(ServiceAPIError) {
            guard depth <= StrictJSON.maxDepth else { throw fail("nested deeper than \(StrictJSON.maxDepth)") }
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                try value(depth: depth)
                skipSpace()
                guard index < bytes.count else { throw fail("an array is not closed") }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
                index += 1
            }
        }

        /// The raw bytes between the quotes, escapes as written.
        mutating func string() throws(ServiceAPIError) -> [UInt8] {
            index += 1
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    defer { index += 1 }
                    return Array(bytes[start..<index])
                case UInt8(ascii: "\\"): index += 2
                case 0x00..<0x20: throw fail("a control character in a string")
                default: index += 1
                }
            }
            throw fail("a string is not closed")
        }

        mutating func integer() throws(ServiceAPIError) {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digits = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > digits else { throw fail("an unexpected character") }
            guard bytes[digits] != UInt8(ascii: "0") || index == digits + 1 else { throw fail("a number with a leading zero") }
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
                index = start
                throw fail("a number that is not an integer (this API counts, it does not measure)")
            }
        }
    }
}
