import Hummingbird
import HummingbirdTesting
import LedgerFormats
import NIOCore
import TestSupport
import Testing

@testable import Witness

/// The witness over HTTP: the one route, its statuses and content types.
@Suite struct ServerTests {
    @Test func addCheckpointOverHTTP() async throws {
        var log = TestLog()
        try log.grow(by: 3)
        let w = try TestWitness.make(logs: "log \(try log.key.verifier.verifierKey)")
        let app = Application(router: WitnessServer.router(w.witness, prefix: "/w"))
        let body = try log.submission(old: 0)
        try await app.test(.router) { client in
            try await client.execute(uri: "/w/add-checkpoint", method: .post, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(String(buffer: response.body).hasPrefix("\u{2014} witness.example/w1 "))
            }
            try await client.execute(uri: "/w/add-checkpoint", method: .post, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .conflict)
                #expect(response.headers[.contentType] == "text/x.tlog.size")
                #expect(String(buffer: response.body) == "3\n")
            }
            try await client.execute(uri: "/w/add-checkpoint", method: .get) { response in
                #expect(response.status == .methodNotAllowed && response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/add-checkpoint", method: .post, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .notFound, "outside the prefix")
            }
            let big = ByteBuffer(bytes: Array(repeating: UInt8(0x41), count: Witness.maxBodyBytes + 10))
            try await client.execute(uri: "/w/add-checkpoint", method: .post, body: big) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }
}
