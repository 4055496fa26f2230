import Crypto
import Foundation
import LedgerFormats
import Testing

@Suite struct GenesisTests {
    static let origin = "tamga.example.kz/log"

    /// A real C2SP verifier key: key ID = SHA-256(name || 0x0A || 0x01 || public key)[0..<4].
    static func verifierKey(name: String = origin) -> String {
        let publicKey = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
        let keyID = SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + publicKey).prefix(4)
        let hex = keyID.map { String(format: "%02x", $0) }.joined()
        return "\(name)+\(hex)+\(Data([0x01] + publicKey).base64EncodedString())"
    }

    static func genesis(timeZone: String = "Asia/Almaty", startDate: String = "2026-11-23") throws -> Genesis {
        try Genesis(origin: origin, verifierKey: verifierKey(), timeZone: timeZone, startDate: LocalDate(parsing: startDate))
    }

    static func members(of genesis: Genesis) throws -> [String: JSONValue] {
        guard case .object(let members) = try JSONValue(parsing: genesis.canonicalBytes) else {
            Issue.record("genesis is not an object")
            return [:]
        }
        return members
    }

    static func bytes(_ members: [String: JSONValue]) throws -> [UInt8] {
        try JSONValue.object(members).canonicalBytes()
    }

    @Test func roundTripAndHash() throws {
        let genesis = try Self.genesis()
        #expect(try Genesis(parsing: genesis.canonicalBytes) == genesis)
        #expect(genesis.hash == Array(SHA256.hash(data: genesis.canonicalBytes)))
        #expect(genesis.canonicalBytes.last == UInt8(ascii: "}"))
        #expect(try Self.members(of: genesis) == [
            "v": .integer(1), "origin": .string(Self.origin), "verifierKey": .string(genesis.verifierKey),
            "timeZone": .string("Asia/Almaty"), "startDate": .string("2026-11-23"),
        ])
        let calendar = try DayCalendar(genesis: genesis)
        #expect(try calendar.day(atHeight: 0).start.rfc3339Seconds == "2026-11-22T19:00:00Z")
    }

    /// Python wrote the fixture's "genesis-like" bytes from the same fields.
    @Test func bytesEqualPythons() throws {
        let fixture = try CanonicalJSONFixture.named("genesis-like")
        let genesis = try Genesis(parsing: fixture.canonicalBytes)
        #expect(genesis.origin == Self.origin && genesis.timeZone == "Asia/Almaty" && genesis.startDate.description == "2026-11-23")
        let rebuilt = try Genesis(
            origin: genesis.origin, verifierKey: genesis.verifierKey, timeZone: genesis.timeZone, startDate: genesis.startDate)
        #expect(rebuilt.canonicalBytes == fixture.canonicalBytes)
        #expect(rebuilt.hash == Array(SHA256.hash(data: fixture.canonicalBytes)))
    }

    @Test(arguments: ["2026-02-30", "2026-1-05", "26-11-23", "2026-11-23T00:00:00Z", "1969-12-31"])
    func badStartDateIsRefused(_ date: String) throws {
        var members = try Self.members(of: Self.genesis())
        members["startDate"] = .string(date)
        requireFormatsError(.malformed) { _ = try Genesis(parsing: Self.bytes(members)) }
    }

    @Test(arguments: ["Asia/Nowhere", "asia/almaty", "GMT+5", "GMT+0500", "UTC", "Almaty", "", "Asia/Almaty "])
    func unknownZoneIsRefused(_ zone: String) throws {
        let error = requireFormatsError(.unsupported) { _ = try Self.genesis(timeZone: zone) }
        #expect(error?.message.contains("IANA") == true)
        var members = try Self.members(of: Self.genesis())
        members["timeZone"] = .string(zone)
        requireFormatsError(.unsupported) { _ = try Genesis(parsing: Self.bytes(members)) }
    }

    @Test(arguments: ["Etc/UTC", "Europe/Berlin", "America/Sao_Paulo", "Asia/Oral", "Pacific/Chatham"])
    func ordinaryZonesAreAccepted(_ zone: String) throws {
        let genesis = try Self.genesis(timeZone: zone, startDate: "2012-01-01")
        #expect(try Genesis(parsing: genesis.canonicalBytes).timeZone == zone)
    }

    /// Zones that skipped a whole date: Samoa and Tokelau 2011-12-30, Kwajalein 1993-08-21,
    /// Kiritimati 1994-12-31. A genesis starting before the skip is refused, one after is not.
    @Test(arguments: [("Pacific/Apia", "2011-01-01", "2011-12-30", "2012-01-01"),
        ("Pacific/Fakaofo", "2011-12-30", "2011-12-30", "2011-12-31"),
        ("Pacific/Kwajalein", "1990-05-01", "1993-08-21", "1993-08-22"),
        ("Pacific/Kiritimati", "1980-01-01", "1994-12-31", "1995-01-01")])
    func zoneThatSkipsADateIsRefused(_ zone: String, _ start: String, _ skipped: String, _ after: String) throws {
        let error = requireFormatsError(.unsupported) { _ = try Self.genesis(timeZone: zone, startDate: start) }
        #expect(error?.message.contains(skipped) == true, "\(String(describing: error))")
        _ = try Self.genesis(timeZone: zone, startDate: after)
    }

    @Test(arguments: ["v", "origin", "verifierKey", "timeZone", "startDate"])
    func missingFieldIsRefused(_ name: String) throws {
        var members = try Self.members(of: Self.genesis())
        members[name] = nil
        requireFormatsError(.malformed) { _ = try Genesis(parsing: Self.bytes(members)) }
    }

    @Test func wrongTypesVersionsAndExtraFieldsAreRefused() throws {
        let valid = try Self.members(of: Self.genesis())
        func refuses(_ code: LedgerFormatsError.Code, _ change: (inout [String: JSONValue]) -> Void) throws {
            var members = valid
            change(&members)
            requireFormatsError(code) { _ = try Genesis(parsing: Self.bytes(members)) }
        }
        try refuses(.unsupported) { $0["v"] = .integer(2) }
        try refuses(.malformed) { $0["v"] = .string("1") }
        try refuses(.malformed) { $0["origin"] = .integer(1) }
        try refuses(.malformed) { $0["startDate"] = .array([]) }
        try refuses(.malformed) { $0["comment"] = .string("hello") }
        try refuses(.malformed) { $0["privateKey"] = .string("never") }
    }

    @Test func nonCanonicalBytesAreRefused() throws {
        let genesis = try Self.genesis()
        let text = String(decoding: genesis.canonicalBytes, as: UTF8.self)
        for variant in [text + "\n", " " + text, text.replacingOccurrences(of: ",", with: ", "),
            text.replacingOccurrences(of: "/log", with: "\\/log")]
        {
            let error = requireFormatsError(.malformed) { _ = try Genesis(parsing: Array(variant.utf8)) }
            #expect(error != nil, "\(variant)")
        }
        var reordered = #"{"v":1,"origin":"\#(genesis.origin)","verifierKey":"\#(genesis.verifierKey)","#
        reordered += #""timeZone":"Asia/Almaty","startDate":"2026-11-23"}"#
        #expect(try JSONValue(parsing: Array(reordered.utf8)) == JSONValue(parsing: genesis.canonicalBytes))
        requireFormatsError(.malformed) { _ = try Genesis(parsing: Array(reordered.utf8)) }
    }

    @Test func verifierKeyMustMatchTheOriginAndHaveItsShape() throws {
        let good = Self.verifierKey()
        let parts = good.split(separator: "+", maxSplits: 2).map(String.init)
        let cases: [(String, String)] = [
            (Self.verifierKey(name: "other.example/log"), "not the origin"),
            (Self.verifierKey(name: "tamga.example.kz/lo"), "not the origin"),
            // A random key ID may have no letters to uppercase: force a non-lowercase-hex digit.
            ("\(parts[0])+\(parts[1].dropLast())A+\(parts[2])", "8 lowercase hex"),
            ("\(parts[0])+\(parts[1].dropLast())+\(parts[2])", "8 lowercase hex"),
            ("\(parts[0])+\(parts[1])+\(Data([0x02] + Array(repeating: 7, count: 32)).base64EncodedString())", "0x01"),
            ("\(parts[0])+\(parts[1])+\(Data([0x01] + Array(repeating: 7, count: 31)).base64EncodedString())", "0x01"),
            ("\(parts[0])+\(parts[1])+\(parts[2].dropLast())", "0x01"),
            ("\(parts[0])+\(parts[1])", "form"),
            (parts[0], "form"),
        ]
        for (key, reason) in cases {
            let error = requireFormatsError(.invalidArgument) {
                _ = try Genesis(origin: Self.origin, verifierKey: key, timeZone: "Asia/Almaty", startDate: LocalDate(parsing: "2026-11-23"))
            }
            #expect(error?.message.contains(reason) == true, "\(key): \(String(describing: error))")
            var members = try Self.members(of: Self.genesis())
            members["verifierKey"] = .string(key)
            requireFormatsError(.malformed) { _ = try Genesis(parsing: Self.bytes(members)) }
        }
    }

    @Test(arguments: ["", "has space", "plus+sign", "tab\there", "line\nbreak", "nbsp\u{A0}x"])
    func badOriginIsRefused(_ origin: String) throws {
        requireFormatsError(.invalidArgument) {
            _ = try Genesis(origin: origin, verifierKey: Self.verifierKey(name: origin), timeZone: "Asia/Almaty",
                startDate: LocalDate(parsing: "2026-11-23"))
        }
    }
}
