/// A piece of HTML that is safe to emit as is. Text only becomes `HTML` through `escaped` (or
/// interpolation, which escapes), so a page cannot carry an unescaped dynamic string by accident:
/// the only raw strings are the literals written in this module's source.
struct HTML: Sendable, ExpressibleByStringInterpolation {
    private(set) var text: String

    init(stringLiteral literal: String) {
        text = literal
    }

    init(stringInterpolation: Interpolation) {
        text = stringInterpolation.text
    }

    /// Marks markup built from other `HTML` values.
    private init(raw: String) {
        text = raw
    }

    static func escaped(_ value: some StringProtocol) -> HTML {
        HTML(raw: escape(value))
    }

    static func joined(_ parts: some Sequence<HTML>, separator: HTML = "") -> HTML {
        HTML(raw: parts.map(\.text).joined(separator: separator.text))
    }

    static func + (lhs: HTML, rhs: HTML) -> HTML {
        HTML(raw: lhs.text + rhs.text)
    }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        mutating func appendLiteral(_ literal: String) {
            text += literal
        }

        mutating func appendInterpolation(_ html: HTML) {
            text += html.text
        }

        /// Every other value is text, escaped for element content and quoted attributes alike.
        mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            text += escape(value.description)
        }
    }

    /// Escapes the five characters that can end text or a quoted attribute value.
    static func escape(_ value: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
