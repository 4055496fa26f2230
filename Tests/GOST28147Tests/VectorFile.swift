import Foundation
import Testing

/// Reads Resources/vectors.txt (the published GOST 28147-89, Magma and RFC 4357 vectors) as published:
/// expected values come from the file, never from this test code.
struct VectorFile {
    let lines: [String]

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    static func load() throws -> VectorFile {
        let url = try #require(
            Bundle.module.url(forResource: "vectors", withExtension: "txt", subdirectory: "Resources"),
            "Resources/vectors.txt is missing from the test bundle"
        )
        let text = try String(contentsOf: url, encoding: .utf8)
        return VectorFile(lines: text.components(separatedBy: "\n"))
    }

    /// The lines of section `letter` ("A." ... "G."), up to the next section's header.
    func section(_ letter: String) throws -> VectorFile {
        guard let start = lines.firstIndex(where: { $0.hasPrefix("\(letter). ") }) else {
            throw Missing(description: "section \(letter). not found in vectors.txt")
        }
        let isHeader = { (line: String) in
            line.count > 2 && line.first?.isUppercase == true && line.dropFirst().hasPrefix(". ")
        }
        let end = lines[(start + 1)...].firstIndex(where: isHeader) ?? lines.endIndex
        return VectorFile(lines: Array(lines[start..<end]))
    }

    /// The lines from the first one containing `marker` to the end of this file or section.
    func after(_ marker: String) throws -> VectorFile {
        guard let start = lines.firstIndex(where: { $0.contains(marker) }) else {
            throw Missing(description: "\"\(marker)\" not found in vectors.txt")
        }
        return VectorFile(lines: Array(lines[start...]))
    }

    /// The first `name = hex` (or `name : hex`) line, as bytes; spaces inside the hex are ignored.
    func bytes(_ name: String, separator: String = "=") throws -> [UInt8] {
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(name) else { continue }
            let rest = trimmed.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
            guard rest.hasPrefix(separator) else { continue }
            return try hex(String(rest.dropFirst(separator.count)))
        }
        throw Missing(description: "no \"\(name) \(separator)\" line in vectors.txt")
    }

    /// Every match of `pattern` (a regex), as its capture groups.
    func matches(_ pattern: String) throws -> [[String]] {
        let regex = try Regex(pattern)
        return lines.flatMap { line in
            line.matches(of: regex).map { match in
                (1..<match.output.count).map { match.output[$0].substring.map(String.init) ?? "" }
            }
        }
    }
}

struct BadHex: Error, CustomStringConvertible {
    let description: String
}

func hex(_ string: String) throws -> [UInt8] {
    let digits = Array(string.filter { !$0.isWhitespace })
    guard digits.count % 2 == 0 else { throw BadHex(description: "odd-length hex: \(string)") }
    return try stride(from: 0, to: digits.count, by: 2).map { i in
        guard let byte = UInt8(String(digits[i...i + 1]), radix: 16) else {
            throw BadHex(description: "not hex: \(string)")
        }
        return byte
    }
}

extension Array where Element == UInt8 {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }

    static func random(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
