import Foundation
import GOST28147
import Testing

/// Random keys, IVs and messages through an independent implementation: the OpenSSL gost
/// engine (Debian package libengine-gost-openssl). Missing tools fail the tests, never skip them.
///
/// Engine traps (checked by hand against vectors.txt section D):
/// - `-gost89` (CFB) takes its S-box from CRYPT_PARAMS and defaults to param-Z;
/// - `-gost89-cnt` is always CryptoPro-A and `-gost89-cnt-12` always param-Z, whatever CRYPT_PARAMS says;
/// - `-mac gost-mac` is always CryptoPro-A and `gost-mac-12` always param-Z;
/// - the engine applies CryptoPro key meshing after every 1024 bytes and we do not, so
///   messages here stay at or below 1024 bytes.
@Suite struct OpenSSLCrossCheckTests {
    static let sets = [GOST28147ParameterSet.cryptoProA, .tc26Z]

    /// Edge lengths around block and meshing boundaries, plus random ones.
    static func lengths() -> [Int] {
        [0, 1, 7, 8, 9, 16, 1023, 1024] + (0..<4).map { _ in Int.random(in: 0...1024) }
    }

    @Test(arguments: sets)
    func cfbMatchesEngine(_ set: GOST28147ParameterSet) throws {
        for length in Self.lengths() {
            let (key, iv, message) = (
                [UInt8].random(count: 32), [UInt8].random(count: 8), [UInt8].random(count: length)
            )
            let cipher = try GOST28147Cipher(key: key, parameterSet: set)
            let args = ["enc", "-engine", "gost", "-gost89", "-K", key.hexString, "-iv", iv.hexString, "-nopad"]
            let context = "\(set.name) CFB key=\(key.hexString) iv=\(iv.hexString) length=\(length)"
            #expect(try cipher.encryptCFB(message, iv: iv) == engine(args + ["-e"], set, message), "\(context) encrypt")
            #expect(try cipher.decryptCFB(message, iv: iv) == engine(args + ["-d"], set, message), "\(context) decrypt")
        }
    }

    @Test(arguments: sets)
    func cntMatchesEngine(_ set: GOST28147ParameterSet) throws {
        let mode = set == .cryptoProA ? "-gost89-cnt" : "-gost89-cnt-12"
        for length in Self.lengths() {
            let (key, iv, message) = (
                [UInt8].random(count: 32), [UInt8].random(count: 8), [UInt8].random(count: length)
            )
            let cipher = try GOST28147Cipher(key: key, parameterSet: set)
            let args = ["enc", "-engine", "gost", mode, "-K", key.hexString, "-iv", iv.hexString, "-nopad", "-e"]
            #expect(
                try cipher.encryptCNT(message, iv: iv) == engine(args, set, message),
                "\(set.name) CNT key=\(key.hexString) iv=\(iv.hexString) length=\(length)"
            )
        }
    }

    @Test(arguments: sets)
    func macMatchesEngine(_ set: GOST28147ParameterSet) throws {
        let algorithm = set == .cryptoProA ? "gost-mac" : "gost-mac-12"
        for (index, length) in (Self.lengths() + Array(2...6)).enumerated() {
            let (key, message) = ([UInt8].random(count: 32), [UInt8].random(count: length))
            let size = index % 2 == 0 ? 4 : 8
            let args = [
                "dgst", "-engine", "gost", "-mac", algorithm, "-macopt", "hexkey:\(key.hexString)", "-macopt",
                "size:\(size)",
            ]
            let output = String(decoding: try engine(args, set, message), as: UTF8.self)
            let tag = try #require(output.split(separator: "= ").last, "unexpected openssl dgst output: \(output)")
            #expect(
                try GOST28147Cipher(key: key, parameterSet: set).mac(message, length: size) == hex(String(tag)),
                "\(set.name) MAC key=\(key.hexString) length=\(length) size=\(size)"
            )
        }
    }

    // MARK: Running openssl

    struct EngineUnavailable: Error, CustomStringConvertible {
        let description: String
    }

    static let installHint =
        "install libengine-gost-openssl (apt-get install libengine-gost-openssl): it brings openssl and its gost engine"

    static func openssl() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates = path.split(separator: ":").map {
            URL(fileURLWithPath: String($0)).appendingPathComponent("openssl")
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw EngineUnavailable(description: "openssl is not on PATH (\(path)); \(installHint)")
        }
        return found
    }

    /// Runs openssl with CRYPT_PARAMS naming `set`, feeding `input` on stdin; returns stdout.
    func engine(_ arguments: [String], _ set: GOST28147ParameterSet, _ input: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = try Self.openssl()
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CRYPT_PARAMS"] = set.name
        process.environment = environment
        let (stdin, stdout, stderr) = (Pipe(), Pipe(), Pipe())
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EngineUnavailable(
                description:
                    "openssl \(arguments.prefix(4).joined(separator: " ")) exited \(process.terminationStatus): "
                    + "\(errors.split(whereSeparator: \.isNewline).joined(separator: " | ")); if the gost engine is missing, \(Self.installHint)"
            )
        }
        return [UInt8](output)
    }
}
