import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// docs/openapi-public.yaml describes exactly the routes the API serves.
@Suite struct OpenAPITests {
    static func document() throws -> String {
        // The test file may be reached through a symlinked test folder: resolve it to the repository.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/openapi-public.yaml"), encoding: .utf8)
    }

    @Test func documentedPathsAreExactlyTheServedRoutes() async throws {
        let text = try Self.document()
        #expect(text.hasPrefix("openapi: 3.1"))
        // Path items: lines of the `paths:` map, indented by two spaces.
        var paths: [String] = []
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { break }
            if inPaths, line.hasPrefix("  /"), line.hasSuffix(":") {
                paths.append(String(line.dropFirst(2).dropLast()))
            }
        }
        #expect(
            Set(paths) == [
                "/checkpoint", "/latest-checkpoint", "/tile/{level}/{index}", "/tile/{level}/{index}.p/{width}", "/genesis", "/blocks",
                "/blocks/{height}", "/blocks/latest", "/proof/inclusion", "/proof/consistency", "/compromises",
                "/health",
                "/metrics",
            ])
        #expect(paths.count == 13)

        // Each documented path with example parameters.
        let uris = paths.map { path in
            var uri = path.replacingOccurrences(of: "{level}", with: "0").replacingOccurrences(
                of: "{index}", with: "000")
            uri = uri.replacingOccurrences(of: "{width}", with: "46").replacingOccurrences(of: "{height}", with: "0")
            if path == "/proof/inclusion" { uri += "?index=1" }
            if path == "/proof/consistency" { uri += "?from=1" }
            return uri
        }
        let chain = try await TestChain.make(dayCounts: [300], openCount: 2)
        try await chain.serve { client in
            for uri in uris {
                let response = try await client.fetch(uri)
                #expect(response.status == .ok, "documented \(uri)")
                // POST is refused on every documented route.
                #expect(try await client.fetch(uri, method: .post).status == .methodNotAllowed, "\(uri)")
            }
        }
        // And each path item documents that 405.
        #expect(
            text.components(separatedBy: "\"405\": { $ref: \"#/components/responses/MethodNotAllowed\" }").count - 1
                == 13)
    }
}
