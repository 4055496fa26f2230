import Foundation
public import Sodium

/// The other side of SignCore's protocol: what the owner's app, the CA's biometric service and
/// an authenticator app do. SignCore never runs these on an owner's behalf; the service API's
/// tests, the tests here and `tools/demo` use them to play those parts.
public enum SignCoreClient {
    /// `crypto_box_seal(password || challenge || operation.digest)` to the HSM's transport key
    /// (R10): done on the owner's device, so the password crosses the network only encrypted,
    /// bound to one challenge and one operation. The app takes `transportKey` from a statement
    /// it verified with the pinned log key (`TransportKeyStatement(note:verifier:)`).
    public static func sealPassword(
        _ password: some ContiguousBytesView, challenge: [UInt8], for operation: SignCore.Operation,
        transportKey: [UInt8]
    ) throws -> [UInt8] {
        do {
            let passwordCount = password.withBytes { $0.count }
            let digest = operation.digest
            let message = try SecureBytes(count: passwordCount + challenge.count + digest.count) { out in
                password.withBytes {
                    UnsafeMutableRawBufferPointer(rebasing: out[0..<passwordCount]).copyMemory(from: $0)
                }
                UnsafeMutableRawBufferPointer(rebasing: out[passwordCount..<passwordCount + challenge.count])
                    .copyBytes(from: challenge)
                UnsafeMutableRawBufferPointer(rebasing: out[(passwordCount + challenge.count)...]).copyBytes(from: digest)
            }
            return try SealedBox.seal(message, to: transportKey)
        } catch {
            throw SignCoreError(.invalidRequest, "cannot seal the password: \(error)")
        }
    }

    /// The biometric service's signed assertion (see `BiometricAssertion` for the format).
    /// - Parameter time: when the service decided, ms since the epoch.
    public static func biometricAssertion(
        owner: String, challenge: [UInt8], time: Int64, score: Int64 = 1000, result: String = "match",
        serviceKey: Ed25519.PrivateKey
    ) throws -> BiometricAssertion {
        let payload = try BiometricAssertion.payload(
            owner: owner, challenge: challenge, result: result, score: score, time: time)
        return BiometricAssertion(payload: payload, signature: serviceKey.signature(for: payload))
    }

    /// What an authenticator app shows at `time` (ms) for an `otpauth://totp/` URI.
    public static func totpCode(otpauthURI: String, time: Int64) throws -> String {
        guard let components = URLComponents(string: otpauthURI), components.scheme == "otpauth",
            components.host == "totp"
        else {
            throw SignCoreError(.invalidRequest, "not an otpauth://totp/ URI")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        guard var secret = query["secret"].flatMap(Base32.decode), !secret.isEmpty,
            let algorithm = TOTP.Algorithm(rawValue: query["algorithm"] ?? "SHA1"),
            let digits = Int(query["digits"] ?? "6"), query["period"] ?? "30" == "30"
        else {
            throw SignCoreError(
                .invalidRequest,
                "the otpauth URI lacks a base32 secret or has an unsupported algorithm, digits or period")
        }
        defer { zeroize(&secret) }
        return try TOTP.code(
            secret: secret, step: TOTP.step(atMilliseconds: time), algorithm: algorithm, digits: digits)
    }
}
