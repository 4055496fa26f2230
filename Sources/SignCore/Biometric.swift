import Codecs
import Foundation
import LedgerFormats
import Sodium

/// A statement by the CA's biometric verification service that it matched a live capture to
/// an owner, for one SignCore challenge: the biometric factor (R6, R8, R20).
///
/// Format: `payload` is a canonical JSON object (RFC 8785, as the journal's entries) with
/// exactly these members, and `signature` is the service's detached Ed25519 signature over the
/// payload bytes exactly as sent:
///
///     {"challenge":"<base64 of the 32-byte challenge>","owner":"<owner id>","result":"match",
///      "score":<integer 0...1000>,"time":"<RFC 3339 UTC with ms>"}
///
/// `score` is the service's similarity in per mille (integers only: entries' JSON has no floats);
/// `time` is when the service decided. SignCore accepts an assertion for the owner and challenge
/// of the request, with result `match`, a score at least the configured minimum, and a time at
/// most 120 s old (and at most 5 s ahead of the HSM's clock). It is single use because its
/// challenge is: the challenge is consumed by the first request that presents it.
public struct BiometricAssertion: Sendable, Hashable {
    public let payload: [UInt8]
    public let signature: [UInt8]

    public init(payload: [UInt8], signature: [UInt8]) {
        self.payload = payload
        self.signature = signature
    }

    /// The payload's canonical bytes (what the service signs).
    static func payload(owner: String, challenge: [UInt8], result: String, score: Int64, time: Int64) throws -> [UInt8]
    {
        do {
            return try JSONValue.object([
                "challenge": .string(Base64.encode(challenge)),
                "owner": .string(owner),
                "result": .string(result),
                "score": .integer(score),
                "time": .string(try Timestamp(millisecondsSinceEpoch: time).rfc3339Milliseconds),
            ]).canonicalBytes()
        } catch {
            throw SignCoreError(.invalidRequest, "cannot build a biometric assertion: \(error)")
        }
    }

    static let maxAge: Int64 = 120_000
    static let maxLead: Int64 = 5_000

    /// Why the assertion is not acceptable, or nil if it is.
    func refusal(
        serviceKey: [UInt8], owner: String, challenge: [UInt8], minimumScore: Int64, now: Int64
    ) -> String? {
        guard payload.count <= 4096 else { return "biometric-malformed" }
        guard Ed25519.verify(signature: signature, message: payload, publicKey: serviceKey) else {
            return "biometric-signature"
        }
        guard case .object(let members)? = try? JSONValue(parsingCanonical: payload), members.count == 5,
            case .string(let claimedOwner)? = members["owner"],
            case .string(let claimedChallenge)? = members["challenge"],
            case .string(let result)? = members["result"],
            case .integer(let score)? = members["score"],
            case .string(let timeText)? = members["time"],
            let time = try? Timestamp(rfc3339Milliseconds: timeText).millisecondsSinceEpoch
        else { return "biometric-malformed" }
        guard claimedOwner == owner else { return "biometric-owner" }
        guard let bytes = Base64.decode(claimedChallenge), Sodium.constantTimeEqual(bytes, challenge)
        else {
            return "biometric-challenge"
        }
        guard result == "match" else { return "biometric-no-match" }
        guard score >= minimumScore, score <= 1000 else { return "biometric-score" }
        guard now - time <= Self.maxAge, time - now <= Self.maxLead else { return "biometric-stale" }
        return nil
    }
}
