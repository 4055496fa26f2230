import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import SignCore
import Sodium
import TestSupport
import Testing

@Suite struct TOTPTests {
    let owner = "900101300123"
    let password = "correct horse battery staple 42"

    /// The RFC 6238 appendix B table and RFC 4226 appendix D, from the shared vectors file.
    struct Vectors {
        var totp: [(seconds: Int64, codes: [TOTP.Algorithm: String])] = []
        var hotp: [String] = []

        init() throws {
            let url = try #require(
                Bundle.module.url(forResource: "totp-vectors", withExtension: "txt", subdirectory: "Resources"))
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
                $0.split(separator: " ").map(String.init)
            }
            for (index, words) in lines.enumerated() {
                if words.count == 5, let seconds = Int64(words[0]), words[1].count == 16 {
                    totp.append((seconds, [.sha1: words[2], .sha256: words[3], .sha512: words[4]]))
                }
                if words.first == "RFC", words.contains("HOTP"), index + 1 < lines.count { hotp = lines[index + 1] }
            }
        }
    }

    static let seeds: [TOTP.Algorithm: [UInt8]] = [
        .sha1: Array("12345678901234567890".utf8),
        .sha256: Array("12345678901234567890123456789012".utf8),
        .sha512: Array("1234567890123456789012345678901234567890123456789012345678901234".utf8),
    ]

    @Test func rfc6238Vectors() throws {
        let vectors = try Vectors()
        #expect(vectors.totp.count == 6)
        for (seconds, codes) in vectors.totp {
            for (algorithm, expected) in codes {
                let seed = try #require(Self.seeds[algorithm])
                let step = TOTP.step(atMilliseconds: seconds * 1000)
                #expect(
                    try TOTP.code(secret: seed, step: step, algorithm: algorithm, digits: 8) == expected,
                    "\(algorithm) at \(seconds)")
            }
        }
    }

    @Test func rfc4226Vectors() throws {
        let vectors = try Vectors()
        #expect(vectors.hotp.count == 10)
        for (counter, expected) in vectors.hotp.enumerated() {
            #expect(
                try TOTP.code(
                    secret: try #require(Self.seeds[.sha1]), step: Int64(counter), algorithm: .sha1, digits: 6)
                    == expected)
        }
        #expect(throws: SignCoreError.self) { try TOTP.code(secret: [1], step: 0, algorithm: .sha1, digits: 5) }
    }

    @Test(arguments: TOTP.Algorithm.allCases)
    func enrolledTOTPIsAThirdFactorAndEachCodeWorksOnce(algorithm: TOTP.Algorithm) async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let uriBytes = try await h.core.enrolTOTP(
                keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .enrolTOTP(keyID: key.id)), algorithm: algorithm,
                digits: 8)
            let uri = uriBytes.withBytes { String(decoding: $0, as: UTF8.self) }
            #expect(
                uri.hasPrefix("otpauth://totp/Tamga:\(key.id)?secret=")
                    && uri.contains("algorithm=\(algorithm.rawValue)"))
            let enrolled = try h.lastEntry()
            #expect(enrolled.event == .totpEnrol && enrolled.record[field: "key"] == .string(key.id))
            #expect(try h.core.key(key.id).totpEnrolled)

            // Missing or wrong: refused; a wrong code counts towards the lockout.
            await expectRefusal(.invalidOTP) { try await h.authorize(key, password: password, hashes: randomHashes(1)) }
            try expectJournaled(h, .authFail, owner: owner, reason: "totp-missing", key: key.id)
            let code = try SignCoreClient.totpCode(otpauthURI: uri, time: h.clock.now())
            let wrong = String(code.reversed()) == code ? "00000000" : String(code.reversed())
            await expectRefusal(.invalidOTP) {
                try await h.authorize(key, password: password, hashes: randomHashes(1), totp: wrong)
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "totp", key: key.id)
            #expect(try h.core.key(key.id).failedAttempts == 1)

            // Right: accepted once, never again.
            _ = try await h.authorize(key, password: password, hashes: randomHashes(1), totp: code)
            #expect(try h.lastEntry().record[field: "factors"] == "password+biometric+totp")
            await expectRefusal(.invalidOTP) {
                try await h.authorize(key, password: password, hashes: randomHashes(1), totp: code)
            }
            try expectJournaled(h, .authFail, owner: owner, reason: "totp-reused", key: key.id)
            #expect(try h.core.key(key.id).failedAttempts == 0, "a replay is no guess: it does not count")

            // The next step's code works.
            h.clock.advance(30_000)
            _ = try await h.authorize(
                key, password: password, hashes: randomHashes(1),
                totp: try SignCoreClient.totpCode(otpauthURI: uri, time: h.clock.now()))
        }
    }

    @Test func oneStepOfDriftEitherWayAndNoMore() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let uri = try await h.core.enrolTOTP(
                keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .enrolTOTP(keyID: key.id))
            )
            .withBytes { String(decoding: $0, as: UTF8.self) }
            func code(_ offset: Int64) throws -> String {
                try SignCoreClient.totpCode(otpauthURI: uri, time: h.clock.now() + offset)
            }
            await expectRefusal(.invalidOTP) {
                try await h.authorize(key, password: password, hashes: randomHashes(1), totp: try code(-60_000))
            }
            await expectRefusal(.invalidOTP) {
                try await h.authorize(key, password: password, hashes: randomHashes(1), totp: try code(60_000))
            }
            _ = try await h.authorize(key, password: password, hashes: randomHashes(1), totp: try code(-30_000))
            _ = try await h.authorize(key, password: password, hashes: randomHashes(1), totp: try code(30_000))
            // After the step ahead was used, the current step (earlier) is not accepted either.
            await expectRefusal(.invalidOTP) {
                try await h.authorize(key, password: password, hashes: randomHashes(1), totp: try code(0))
            }
        }
    }

    @Test func policyRequiringTOTPNeedsEnrolmentFirst() async throws {
        try await Harness.with(configure: { $0.requireTOTP = true }) { h in
            let key = try await h.createKey(owner: owner, password: password)
            await expectRefusal(.forbidden) { try await h.authorize(key, password: password, hashes: randomHashes(1)) }
            try expectJournaled(h, .authFail, owner: owner, reason: "totp-not-enrolled", key: key.id)
            let uri = try await h.core.enrolTOTP(
                keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .enrolTOTP(keyID: key.id))
            )
            .withBytes { String(decoding: $0, as: UTF8.self) }
            // Re-enrolling needs the enrolled TOTP too.
            await expectRefusal(.invalidOTP) {
                try await h.core.enrolTOTP(
                    keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .enrolTOTP(keyID: key.id)))
            }
            let hash = randomHashes(1)
            let activation = try await h.authorize(
                key, password: password, hashes: hash,
                totp: try SignCoreClient.totpCode(otpauthURI: uri, time: h.clock.now()))
            _ = try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: hash)

            // The secret is stored sealed: not in any file or record in the clear.
            let secret = try #require(URLComponents(string: uri)?.queryItems?.first { $0.name == "secret" }?.value)
            for (name, value) in try h.journal.records(prefix: "") {
                #expect(Data(value).range(of: Data(secret.utf8)) == nil, "TOTP secret in record \(name)")
            }
            if let ledger = h.ledger {
                ledger.shutdown()
                for (name, contents) in try filesUnder(h.folder.path) {
                    #expect(contents.range(of: Data(secret.utf8)) == nil, "TOTP secret in \(name)")
                }
            }
        }
    }
}
