import Codecs
import Foundation
import Hummingbird
import LedgerFormats
import NIOCore
import SignCore

/// Request bodies: read up to 1 MiB, decoded strictly (every field typed, required ones
/// present), with errors that name the field.
enum Body {
    static let maxBytes = 1 << 20

    static func bytes(_ request: Request) async throws -> [UInt8] {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: maxBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw ServiceAPIError(.tooLarge, "the request body is over \(maxBytes) bytes; send less")
        }
    }

    /// The body as `T`. A non-empty body must be sent as `application/json` (else 415) and be
    /// strict JSON (`StrictJSON`: no byte-order mark, no duplicate member, integers only);
    /// an empty one reads as `{}`.
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let bytes = try await bytes(request)
        if !bytes.isEmpty {
            let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
            guard mediaType?.lowercased() == "application/json" else {
                throw ServiceAPIError(
                    .unsupportedMediaType,
                    "send the body as Content-Type: application/json, not \(mediaType.map { "\"\($0.prefix(60))\"" } ?? "without one")")
            }
            try StrictJSON.check(bytes)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes.isEmpty ? Array("{}".utf8) : bytes))
        } catch let error as DecodingError {
            throw ServiceAPIError(.invalidRequest, describe(error))
        }
    }

    private static func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
        var out = ""
        for key in codingPath + (last.map { [$0] } ?? []) {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "Missing parameter \(path(context.codingPath, key))"
        case .typeMismatch(let type, let context):
            return "Invalid type of parameter \(path(context.codingPath)): expected \(name(of: type))"
        case .valueNotFound(let type, let context):
            return "Invalid parameter \(path(context.codingPath)): null where \(name(of: type)) is expected"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "the body is not a JSON object: send UTF-8 JSON"
                : "Invalid parameter \(path(context.codingPath))"
        @unknown default:
            return "the body does not match this route's JSON (see docs/service-api.md)"
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}

/// Field checks with CSC-style messages ("Invalid parameter X: ...").
enum Field {
    static func base64(_ text: String, _ name: String, count: Int? = nil) throws -> [UInt8] {
        guard let data = Base64.decode(text) else {
            throw ServiceAPIError(.invalidRequest, "Invalid parameter \(name): not canonical standard base64")
        }
        if let count, data.count != count {
            throw ServiceAPIError(.invalidRequest, "Invalid parameter \(name): \(data.count) bytes, expected \(count)")
        }
        return data
    }

    static func hex(_ text: String, _ name: String, count: Int) throws -> [UInt8] {
        guard text.utf8.count == 2 * count else {
            throw ServiceAPIError(.invalidRequest, "Invalid parameter \(name): expected \(2 * count) hex digits")
        }
        guard let decoded = bytes(hex: text) else {
            throw ServiceAPIError(.invalidRequest, "Invalid parameter \(name): not hexadecimal")
        }
        return decoded
    }
}

/// A biometric assertion as owner routes send it.
struct BiometricBody: Decodable {
    var payload: String
    var signature: String

    func assertion(_ name: String) throws -> BiometricAssertion {
        BiometricAssertion(
            payload: try Field.base64(payload, "\(name).payload"), signature: try Field.base64(signature, "\(name).signature"))
    }
}

/// The factors of owner routes (see the contract's "Factors").
struct FactorsBody: Decodable {
    var challenge: String
    var password: String
    var biometric: BiometricBody
    var otp: String?

    func factors() throws -> SignCore.Factors {
        SignCore.Factors(
            challenge: try Field.base64(challenge, "factors.challenge"),
            sealedPassword: try Field.base64(password, "factors.password"),
            biometric: try biometric.assertion("factors.biometric"), totp: otp)
    }
}

/// CSC `authData`: the same factors as `{"id", "value"}` pairs.
struct AuthDataItem: Decodable {
    var id: String
    var value: String

    static func factors(_ items: [AuthDataItem]) throws -> SignCore.Factors {
        var values: [String: String] = [:]
        for item in items {
            guard ["challenge", "password", "biometricPayload", "biometricSignature", "otp"].contains(item.id) else {
                throw ServiceAPIError(
                    .invalidRequest,
                    "Invalid parameter authData: unknown id (use challenge, password, biometricPayload, "
                        + "biometricSignature, otp)")
            }
            guard values.updateValue(item.value, forKey: item.id) == nil else {
                throw ServiceAPIError(.invalidRequest, "Invalid parameter authData: id \(item.id) is given twice")
            }
        }
        func required(_ id: String) throws -> String {
            guard let value = values[id] else { throw ServiceAPIError(.invalidRequest, "Missing parameter authData.\(id)") }
            return value
        }
        return SignCore.Factors(
            challenge: try Field.base64(try required("challenge"), "authData.challenge"),
            sealedPassword: try Field.base64(try required("password"), "authData.password"),
            biometric: BiometricAssertion(
                payload: try Field.base64(try required("biometricPayload"), "authData.biometricPayload"),
                signature: try Field.base64(try required("biometricSignature"), "authData.biometricSignature")),
            totp: values["otp"])
    }
}
