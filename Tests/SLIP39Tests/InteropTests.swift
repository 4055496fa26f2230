import Crypto
import Foundation
import SLIP39
import Testing

/// Interoperability with the reference implementation, trezor's `shamir-mnemonic` (PyPI), run as
/// a python3 subprocess. Without python3 or the package these tests fail: a backup that only
/// this code can read is the failure they exist to catch.
@Suite struct InteropTests {
    static let script = #"""
        import json, secrets, sys
        try:
            import shamir_mnemonic
        except ImportError:
            sys.exit(3)
        request = json.loads(sys.argv[1])
        passphrase = request["passphrase"].encode()
        if request["op"] == "generate":
            secret = secrets.token_bytes(request["length"])
            groups = shamir_mnemonic.generate_mnemonics(
                request["groupThreshold"], [tuple(g) for g in request["groups"]], secret,
                passphrase=passphrase, extendable=request["extendable"],
                iteration_exponent=request["iterationExponent"])
            json.dump({"secret": secret.hex(), "groups": groups}, sys.stdout)
        else:
            secret = shamir_mnemonic.combine_mnemonics(request["mnemonics"], passphrase)
            json.dump({"secret": secret.hex()}, sys.stdout)
        """#

    struct Generated: Decodable {
        let secret: String
        let groups: [[String]]
    }

    struct Combined: Decodable {
        let secret: String
    }

    /// Runs the script with `request` as a JSON argument (not stdin: writing to the pipe of a
    /// python3 that failed to start would kill the test process with SIGPIPE) and decodes its stdout.
    static func reference<Reply: Decodable>(_ request: [String: Any], as: Reply.Type) throws -> Reply {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        process.arguments = ["python3", "-c", script, json]
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw InteropFailure(
                "cannot start python3 (\(error)): install Python 3, then `pip install shamir-mnemonic`")
        }
        let reply = output.fileHandleForReading.readDataToEndOfFile()
        let diagnostics = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0:
            return try JSONDecoder().decode(Reply.self, from: reply)
        case 3:
            throw InteropFailure("python3 lacks the reference implementation: run `pip install shamir-mnemonic`")
        case 127:
            throw InteropFailure("python3 not found: install Python 3, then `pip install shamir-mnemonic`")
        case let status:
            throw InteropFailure("the reference implementation exited with \(status): \(diagnostics)")
        }
    }

    struct InteropFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static let schemes: [(groupThreshold: Int, groups: [(Int, Int)], extendable: Bool, length: Int)] = [
        (1, [(3, 5)], true, 32),
        (1, [(3, 5)], false, 16),
        (2, [(2, 3), (3, 5), (1, 1)], true, 32),
        (2, [(2, 3), (3, 5), (1, 1)], false, 24),
    ]

    /// The shares that meet the thresholds: the last members of each of the first GT groups.
    static func enough(_ groups: [[String]], groupThreshold: Int, scheme: [(Int, Int)]) -> [String] {
        zip(groups, scheme).prefix(groupThreshold).flatMap { members, counts in members.suffix(counts.0) }
    }

    @Test func weCombineSharesTheReferenceGenerates() throws {
        for scheme in Self.schemes {
            let generated = try Self.reference(
                [
                    "op": "generate", "length": scheme.length, "groupThreshold": scheme.groupThreshold,
                    "groups": scheme.groups.map { [$0.0, $0.1] }, "passphrase": "tamga backup",
                    "extendable": scheme.extendable, "iterationExponent": 0,
                ],
                as: Generated.self
            )
            #expect(generated.secret.count == scheme.length * 2)
            let mnemonics = Self.enough(generated.groups, groupThreshold: scheme.groupThreshold, scheme: scheme.groups)
            let secret = try combine(mnemonics.reversed(), passphrase: "tamga backup")
            #expect(hex(bytes(secret)) == generated.secret, "\(scheme)")
        }
    }

    @Test func theReferenceCombinesSharesWeGenerate() throws {
        var generator = SystemRandomNumberGenerator()
        for scheme in Self.schemes {
            let secret = randomSecret(scheme.length, using: &generator)
            let groups = try split(
                secret: key(secret), groupThreshold: scheme.groupThreshold,
                groups: scheme.groups.map { (memberThreshold: $0.0, memberCount: $0.1) }, passphrase: "tamga backup",
                iterationExponent: 0, extendable: scheme.extendable
            )
            let mnemonics = Self.enough(groups, groupThreshold: scheme.groupThreshold, scheme: scheme.groups)
            let combined = try Self.reference(
                ["op": "combine", "mnemonics": mnemonics, "passphrase": "tamga backup"], as: Combined.self
            )
            #expect(combined.secret == hex(secret), "\(scheme)")
        }
    }

    @Test func theConvenienceSplitInteroperatesAtTheDefaultIterationExponent() throws {
        var generator = SystemRandomNumberGenerator()
        let secret = randomSecret(32, using: &generator)
        let shares = try split(secret: key(secret), threshold: 3, count: 5, passphrase: "TREZOR")
        let combined = try Self.reference(
            ["op": "combine", "mnemonics": [shares[4], shares[0], shares[2]], "passphrase": "TREZOR"], as: Combined.self
        )
        #expect(combined.secret == hex(secret))
    }
}
