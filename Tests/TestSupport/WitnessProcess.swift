public import Foundation

/// A `tamga witness run` process on a free-looking loopback port, started once it answers: what
/// an operator runs, for tests that kill and restart witnesses.
public struct WitnessProcess {
    public let process: Process
    /// `http://127.0.0.1:<port>/add-checkpoint`.
    public let url: String
    /// `http://127.0.0.1:<port>`: the URL a witness policy gives.
    public var base: String { String(url.dropLast("/add-checkpoint".count)) }

    public var port: Int { Int(url.split(separator: ":").last?.prefix { $0.isNumber } ?? "") ?? 0 }

    /// Starts `tamga witness run` on the folder `data` (made by `tamga witness init`) for the
    /// logs listed in the file `logs`, on `port` (a restart) or on one the system picks, and
    /// returns once it says where it listens (so a test never talks to another test's server).
    public static func start(data: String, logs: String, port: Int = 0) throws -> WitnessProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try builtExecutable("tamga"))
        process.arguments = ["witness", "run", "--data", data, "--logs", logs, "--listen", "127.0.0.1:\(port)", "--log-level", "error"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Read until the "listening on <url>" line, for at most 20 s.
        let reader = out.fileHandleForReading
        let found = DispatchSemaphore(value: 0)
        final class Line: @unchecked Sendable { var url: String? }  // written before `found` signals
        let line = Line()
        DispatchQueue.global().async {
            var text = ""
            var signalled = false
            // Then on to the end, so that the witness never blocks on a full pipe.
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                guard !signalled else { continue }
                text += String(decoding: chunk, as: UTF8.self)
                if let range = text.range(of: "listening on "), let end = text[range.upperBound...].firstIndex(of: "\n") {
                    line.url = String(text[range.upperBound..<end])
                    signalled = true
                    found.signal()
                }
            }
            if !signalled { found.signal() }
        }
        guard found.wait(timeout: .now() + 20) == .success, let url = line.url else {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw MissingTool(description: "tamga witness run --data \(data) did not start listening on port \(port)")
        }
        return WitnessProcess(process: process, url: url)
    }

    /// Sends `signal` and waits for the process to end.
    public func stop(_ signal: Int32 = SIGTERM) {
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }
}

/// POSTs `body` to `url` with curl (an independent HTTP client, 5 s at most); the status and
/// body, or nil when the connection failed (the server was killed).
public func curlPost(_ url: String, _ body: [UInt8]) throws -> (status: Int, body: String)? {
    let folder = try temporaryFolder("curl")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Data(body).write(to: URL(fileURLWithPath: folder + "/body"))
    return try curl(["--data-binary", "@" + folder + "/body", url], in: folder)
}

/// GETs `url` with curl (5 s at most): the status and body, or nil when the connection failed.
public func curlGet(_ url: String) throws -> (status: Int, body: String)? {
    let folder = try temporaryFolder("curl")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    return try curl([url], in: folder)
}

private func curl(_ arguments: [String], in folder: String) throws -> (status: Int, body: String)? {
    let run = try runProcess("/usr/bin/curl", ["-s", "-o", folder + "/answer", "-w", "%{http_code}", "--max-time", "5"] + arguments)
    guard run.status == 0, let status = Int(run.stdout), status > 0 else { return nil }
    return (status, (try? String(contentsOfFile: folder + "/answer", encoding: .utf8)) ?? "")
}

/// Runs blocking work (a child process, curl) on a Dispatch thread, not on the cooperative
/// pool: a test that blocks a pool thread starves every in-process server of the test run.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
