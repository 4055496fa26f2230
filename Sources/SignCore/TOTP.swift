import Crypto
import Foundation
public import Sodium

/// RFC 6238 time-based one-time passwords (HOTP, RFC 4226, over 30-second steps from T0 = 0):
/// the optional third factor. The secret is the owner's and the HSM's only: sealed at rest,
/// handed out once at enrolment.
public enum TOTP {
    public enum Algorithm: String, Sendable, Hashable, Codable, CaseIterable {
        case sha1 = "SHA1", sha256 = "SHA256", sha512 = "SHA512"

        /// RFC 6238's reference seeds have the hash's output length; RFC 4226 asks for >= 160 bits.
        var secretLength: Int {
            switch self {
            case .sha1: 20
            case .sha256: 32
            case .sha512: 64
            }
        }
    }

    public static let periodMilliseconds: Int64 = 30_000
    public static let digitRange = 6...8

    /// The time step containing an instant (ms since the epoch).
    public static func step(atMilliseconds milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / periodMilliseconds : (milliseconds + 1) / periodMilliseconds - 1
    }

    /// The code of one time step, `digits` long with leading zeros.
    public static func code(secret: some ContiguousBytesView, step: Int64, algorithm: Algorithm, digits: Int) throws
        -> String
    {
        guard digitRange.contains(digits) else {
            throw SignCoreError(.invalidRequest, "a TOTP code has 6 to 8 digits, not \(digits)")
        }
        let counter = withUnsafeBytes(of: UInt64(bitPattern: step).bigEndian) { Array($0) }
        var mac: [UInt8] = secret.withBytes { raw in
            let key = SymmetricKey(data: raw)
            switch algorithm {
            case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: counter, using: key))
            case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: counter, using: key))
            case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: counter, using: key))
            }
        }
        defer { zeroize(&mac) }
        // Dynamic truncation (RFC 4226 section 5.3).
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary =
            UInt32(mac[offset] & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16 | UInt32(mac[offset + 2]) << 8
            | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The step in `now - 1 ... now + 1` (one step of drift) whose code is `code`, if it is later
    /// than `lastStep`: a code once accepted, or any older one, is never accepted again. All three
    /// candidates are computed and compared in constant time, so timing does not tell which matched.
    static func matchingStep(
        _ code: String, secret: SecureBytes, algorithm: Algorithm, digits: Int, now: Int64, after lastStep: Int64
    ) throws -> Int64? {
        let offered = Array(code.utf8)
        guard offered.count == digits, offered.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let current = step(atMilliseconds: now)
        var found: Int64?
        for candidate in (current - 1)...(current + 1) {
            let matches = Sodium.constantTimeEqual(
                Array(try self.code(secret: secret, step: candidate, algorithm: algorithm, digits: digits).utf8),
                offered)
            if matches, candidate > lastStep, found == nil { found = candidate }
        }
        return found
    }

    /// `otpauth://totp/<issuer>:<label>?secret=<base32>&issuer=<issuer>&algorithm=…&digits=…&period=30`,
    /// built in locked memory because it carries the secret.
    static func provisioningURI(
        secret: SecureBytes, issuer: String, label: String, algorithm: Algorithm, digits: Int
    ) throws -> SecureBytes {
        let name = issuer.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "Tamga"
        let head = Array("otpauth://totp/\(name):\(label)?secret=".utf8)
        let tail = Array("&issuer=\(name)&algorithm=\(algorithm.rawValue)&digits=\(digits)&period=30".utf8)
        let encodedCount = (secret.count * 8 + 4) / 5
        return try SecureBytes(count: head.count + encodedCount + tail.count) { out in
            out.copyBytes(from: head)
            secret.withBytes {
                Base32.encode(
                    $0, into: UnsafeMutableRawBufferPointer(rebasing: out[head.count..<(head.count + encodedCount)]))
            }
            UnsafeMutableRawBufferPointer(rebasing: out[(head.count + encodedCount)...]).copyBytes(from: tail)
        }
    }
}

/// RFC 4648 base32 without padding, as authenticator apps read it.
enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Writes `(input.count * 8 + 4) / 5` characters.
    static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        var buffer: UInt32 = 0
        var bits = 0
        var index = 0
        for byte in input {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output[index] = alphabet[Int(buffer >> UInt32(bits - 5) & 31)]
                index += 1
                bits -= 5
            }
        }
        if bits > 0 { output[index] = alphabet[Int(buffer << UInt32(5 - bits) & 31)] }
        buffer = 0
    }

    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.uppercased().utf8 where character != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
                bits -= 8
            }
        }
        return out
    }
}
