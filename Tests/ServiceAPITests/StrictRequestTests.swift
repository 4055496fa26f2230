import Foundation
import Hummingbird
import Testing

/// Request bodies over real HTTP: JSON only as `application/json` (415 otherwise), and only
/// strict JSON: no byte-order mark, no member twice, no escaped member name, integers only.
/// Each refusal is a CSC error that says what was wrong; a strict body still gets through.
@Suite struct StrictRequestTests {
    static let path = "/csc/v2/credentials/info"

    @Test func aJSONBodyNeedsTheJSONContentType() async throws {
        try await Fixture.run { f in
            let body = Array(#"{"credentialID":"nope"}"#.utf8)
            for type in ["text/plain", "application/x-www-form-urlencoded", "application/jsonp", nil] as [String?] {
                let reply = try await f.send(.post, Self.path, raw: body, contentType: type)
                #expect(reply.status == .unsupportedMediaType, "\(type ?? "no Content-Type"): \(reply.status)")
                #expect(reply.error == "invalid_request" && reply.text.contains("application/json"), "\(reply.text)")
            }
            // The media type is what counts: parameters and case do not. The body reaches the
            // handler, which looks the credential up.
            for type in ["application/json", "application/json; charset=utf-8", "Application/JSON"] {
                let reply = try await f.send(.post, Self.path, raw: body, contentType: type)
                #expect(reply.text.contains("there is no key with that identifier"), "\(type): \(reply.status) \(reply.text)")
            }
        }
    }

    @Test(arguments: [
        ("\u{FEFF}{\"credentialID\":\"nope\"}", "byte-order mark"),
        (#"{"credentialID":"a","credentialID":"nope"}"#, "appears twice"),
        (#"{"credentialID":"nope","x":{"y":1,"y":2}}"#, "appears twice"),
        (#"{"credential\u0049D":"nope"}"#, "member name with an escape"),
        (#"{"credentialID":"nope","numSignatures":7.0}"#, "not an integer"),
        (#"{"credentialID":"nope","n":1e3}"#, "not an integer"),
        (#"{"credentialID":"nope","n":01}"#, "leading zero"),
        (#"{"credentialID":"nope"} {}"#, "follows the JSON value"),
        (#"{"credentialID":"nope",}"#, "member name must be a string"),
        (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "nested deeper"),
    ])
    func aBodyThatIsNotStrictJSONIsRefused(body: String, reason: String) async throws {
        try await Fixture.run { f in
            let reply = try await f.send(.post, Self.path, raw: Array(body.utf8))
            #expect(reply.status == .badRequest, "\(reply.status) \(reply.text)")
            #expect(reply.error == "invalid_request" && reply.text.contains(reason), "\(reply.text)")
        }
    }
}
