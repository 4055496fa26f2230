import Foundation
import Hummingbird
import ServiceAPI
import Sodium
import TestSupport
import Testing

/// docs/openapi-service.yaml and the router agree: every documented path and method reaches a
/// handler (whatever it then says about the empty request), and an undocumented path does not.
@Suite struct OpenAPITests {
    /// (path, method) for every operation in the document, parameters filled with dummies.
    static func documentedOperations() throws -> [(path: String, method: HTTPRequest.Method)] {
        let yaml = try String(
            contentsOf: packageRoot.appendingPathComponent("docs/openapi-service.yaml"), encoding: .utf8)
        var operations: [(String, HTTPRequest.Method)] = []
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
                    .replacingOccurrences(of: "{keyID}", with: String(repeating: "0", count: 32))
                    .replacingOccurrences(of: "{seq}", with: "0")
            } else if let current = path, line == "    get:" || line == "    post:" {
                operations.append((current, line == "    get:" ? .get : .post))
            } else if !line.hasPrefix(" "), !line.isEmpty {
                path = nil  // left `paths:`
            }
        }
        return operations
    }

    @Test func everyDocumentedOperationIsRouted() async throws {
        let operations = try Self.documentedOperations()
        #expect(operations.count >= 20, "the document lists \(operations.count) operations")
        let devKey = try Ed25519.PrivateKey()
        try await Fixture.run(configure: { $0.devBiometricKey = devKey }) { f in
            for (path, method) in operations {
                let reply = try await f.send(method, path, json: [:])
                #expect(reply.error != "not_found", "\(method) \(path) is documented but not routed: \(reply.text)")
                #expect(reply.status != .methodNotAllowed, "\(method) \(path): \(reply.text)")
            }
            let undocumented = try await f.send(.post, "/owner/v1/undocumented", json: [:])
            #expect(undocumented.error == "not_found" && undocumented.status == .notFound)
        }
    }
}
