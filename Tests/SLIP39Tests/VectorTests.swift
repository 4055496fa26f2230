import Crypto
import Foundation
import SLIP39
import Testing

/// One case of the official vectors.json: [description, mnemonics, master secret hex or "" when
/// combining must fail, xprv]. Valid sets use the passphrase "TREZOR".
struct Vector: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let mnemonics: [String]
    let secretHex: String

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        name = try container.decode(String.self)
        mnemonics = try container.decode([String].self)
        secretHex = try container.decode(String.self)
    }

    var testDescription: String { name }

    static func all() throws -> [Vector] {
        try JSONDecoder().decode([Vector].self, from: Data(contentsOf: resourceURL("vectors", "json")))
    }

    /// The check an invalid vector exercises, read from its published description, and the
    /// words the error message must contain.
    var expectedFailure: (code: SLIP39Error.Code, fragment: String?)? {
        let table: [(String, SLIP39Error.Code, String?)] = [
            ("invalid checksum", .invalidChecksum, "checksum"),
            ("invalid padding", .invalidPadding, "padding"),
            ("Basic sharing 2-of-3", .wrongShareCount, "1 share given, 2 needed"),
            ("different identifiers", .mismatchedShares, "(identifier differs)"),
            ("different iteration exponents", .mismatchedShares, "(iteration exponent differs)"),
            ("mismatching group thresholds", .mismatchedShares, "(group threshold differs)"),
            ("mismatching group counts", .mismatchedShares, "(group count differs)"),
            ("greater group threshold than group counts", .invalidShareParameters, nil),
            ("duplicate member indices", .duplicateShare, nil),
            ("mismatching member thresholds", .mismatchedShares, "member threshold"),
            ("invalid digest", .invalidDigest, "digest"),
            ("Insufficient number of groups", .wrongShareCount, "1 group given, 2 needed"),
            ("insufficient number of members", .wrongShareCount, "1 share given, 2 needed"),
            ("insufficient length", .invalidLength, "19 words"),
            ("invalid master secret length", .invalidLength, "21 words"),
        ]
        return table.first { name.contains($0.0) }.map { ($0.1, $0.2) }
    }
}

@Suite struct VectorTests {
    @Test func allFortyFiveVectorsArePresent() throws {
        let vectors = try Vector.all()
        #expect(vectors.count == 45)
        #expect(vectors.filter { $0.secretHex.isEmpty }.count == 30)
    }

    @Test(arguments: try Vector.all())
    func vector(_ vector: Vector) throws {
        if vector.secretHex.isEmpty {
            let expected = try #require(vector.expectedFailure, "no expected failure for '\(vector.name)'")
            let error = try #require(
                combineError(vector.mnemonics, passphrase: "TREZOR"), "'\(vector.name)' combined, must fail"
            )
            #expect(error.code == expected.code, "'\(vector.name)': \(error)")
            if let fragment = expected.fragment {
                #expect(error.message.contains(fragment), "'\(vector.name)': \(error)")
            }
        } else {
            let secret = try combine(vector.mnemonics, passphrase: "TREZOR")
            #expect(hex(bytes(secret)) == vector.secretHex, "'\(vector.name)'")
            // Order does not matter.
            let reversed = try combine(vector.mnemonics.reversed(), passphrase: "TREZOR")
            #expect(hex(bytes(reversed)) == vector.secretHex, "'\(vector.name)' reversed")
        }
    }
}
