import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15, point 3, attacked for real: slow clients against a running `tamga node --dev`.
@Suite struct SlowClientTests {
    /// A TCP connection to `address` (`host:port`) that has sent `bytes` and stays open.
    static func connect(_ address: String, sending bytes: String) throws -> Int32 {
        let parts = address.split(separator: ":")
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MissingTool(description: "socket() failed: errno \(errno)") }
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = in_port_t(UInt16(parts.last.flatMap { Int($0) } ?? 0)).bigEndian
        inet_pton(AF_INET, String(parts.first ?? ""), &peer.sin_addr)
        let connected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw MissingTool(description: "connect to \(address) failed: errno \(errno)")
        }
        _ = bytes.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        return fd
    }

    /// Whether the server closed `fd` within `seconds` (a read returns 0 or an error).
    static func closedByServer(_ fd: Int32, within seconds: Int) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        var read = recv(fd, &byte, 1, 0)
        while read > 0 { read = recv(fd, &byte, 1, 0) }  // a 408 or the like, then the close
        return read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// With 600 files at most (as a small server would have), 400 half-sent requests held on
    /// each listener: the node stays within its files by closing the oldest half-open
    /// connections, `/health` answers, and tools/demo (an independent Python client) creates a
    /// key and signs. Before the listeners had a connection limit, the node ran out of files
    /// and answered nothing.
    @Test func halfOpenConnectionsDoNotStarveTheNode() async throws {
        let root = try temporaryFolder("slow-clients")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = root + "/node.json"
        // Long timeouts: only the connection limit is at work here.
        try #"{"maxConnections": 150, "headerTimeout": 300, "idleTimeout": 300, "bodyTimeout": 300}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let node = try await offPool {
            try NodeProcess.start(
                ["--dev", "--data", root + "/dev", "--public", "127.0.0.1:0", "--service", "127.0.0.1:0", "--config",
                 config, "--log-level", "error"],
                prefix: "ulimit -n 600")
        }
        defer { node.stop() }
        let held = try await offPool {
            try [node.publicAddress, node.serviceAddress].flatMap { address in
                try (0..<400).map { _ in
                    try Self.connect(address, sending: "POST /csc/v2/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                }
            }
        }
        defer { held.forEach { close($0) } }

        let health = try await offPool { try curlGet("http://\(node.publicAddress)/health") }
        #expect(health?.status == 200, "\(String(describing: health))")
        let demo = try await offPool {
            try runProcess(
                "/usr/bin/env",
                ["python3", packageRoot.appendingPathComponent("tools/demo").path, "http://\(node.serviceAddress)",
                 "http://\(node.publicAddress)", "--no-audit"])
        }
        #expect(demo.status == 0, "tools/demo failed: \(demo.output.suffix(3000))")
        let files = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(node.process.processIdentifier)/fd")
        #expect(files.count < 600, "the node holds \(files.count) files")
        #expect(held.prefix(10).allSatisfy { Self.closedByServer($0, within: 2) }, "the oldest half-open ones were closed")
    }

    /// Each deadline closes its slow client: a head not finished, a body not finished, an idle
    /// keep-alive connection. A client that sends in time is served.
    @Test func slowHeadsBodiesAndIdleConnectionsAreClosed() async throws {
        let root = try temporaryFolder("slow-deadlines")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = root + "/node.json"
        try #"{"headerTimeout": 1, "bodyTimeout": 1, "idleTimeout": 1}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let node = try await offPool {
            try NodeProcess.start(
                ["--dev", "--data", root + "/dev", "--public", "127.0.0.1:0", "--service", "127.0.0.1:0", "--config",
                 config, "--log-level", "error"])
        }
        defer { node.stop() }
        let closed = try await offPool {
            let head = try Self.connect(node.publicAddress, sending: "GET /health HTTP/1.1\r\nHost: x\r\n")
            let body = try Self.connect(
                node.serviceAddress,
                sending: "POST /owner/v1/challenge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            let idle = try Self.connect(node.publicAddress, sending: "")
            defer { [head, body, idle].forEach { close($0) } }
            return [head, body, idle].map { Self.closedByServer($0, within: 5) }
        }
        #expect(closed == [true, true, true], "a head that never ends, a body that never ends, a connection that sends nothing")
        #expect(try await offPool { try curlGet("http://\(node.publicAddress)/health") }?.status == 200)
    }
}
