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
        let (process, lines) = try startListening(
            ["witness", "run", "--data", data, "--logs", logs, "--listen", "127.0.0.1:\(port)", "--log-level", "error"],
            lines: 1)
        let url = lines[0]
        return WitnessProcess(process: process, url: url)
    }

    /// Sends `signal` and waits for the process to end.
    public func stop(_ signal: Int32 = SIGTERM) {
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }
}

/// A `tamga node` process (`arguments` after `node`), started once both listeners say where
/// they listen; `prefix` runs before it in bash (a `ulimit`).
public struct NodeProcess: @unchecked Sendable {  // Process: only its pid and wait are used across threads
    public let process: Process
    /// `127.0.0.1:<port>` of the public and the service listener.
    public let publicAddress: String
    public let serviceAddress: String

    public static func start(_ arguments: [String], prefix: String = "") throws -> NodeProcess {
        let quoted = (["exec", try builtExecutable("tamga"), "node"] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let (process, lines) = try startListening(
            ["-c", prefix.isEmpty ? quoted : prefix + " && " + quoted], lines: 2, executable: "/bin/bash")
        func address(_ listener: String) -> String {
            lines.first { $0.hasPrefix(listener + " API") }.map { String($0.split(separator: " ").last ?? "") } ?? ""
        }
        return NodeProcess(process: process, publicAddress: address("public"), serviceAddress: address("service"))
    }

    public func stop(_ signal: Int32 = SIGTERM) {
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }
}

/// Starts `executable` (`tamga` by default) and waits, at most 20 s, for `lines` lines that say
/// "listening on <address>": the process and, per line, what follows "listening on " (for a
/// node, the whole line after "tamga node: "). Standard output is read to the end after, so the
/// process never blocks on a full pipe.
private func startListening(_ arguments: [String], lines count: Int, executable: String? = nil) throws -> (
    Process, [String]
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try executable ?? builtExecutable("tamga"))
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let reader = out.fileHandleForReading
    let found = DispatchSemaphore(value: 0)
    final class Lines: @unchecked Sendable { var all: [String] = [] }  // written before `found` signals
    let lines = Lines()
    DispatchQueue.global().async {
        var text = ""
        var signalled = false
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            guard !signalled else { continue }
            text += String(decoding: chunk, as: UTF8.self)
            let listening = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                .filter { $0.contains("listening on ") }
            if listening.count >= count {
                lines.all = listening.map { line in
                    line.hasPrefix("tamga node: ")
                        ? String(line.dropFirst("tamga node: ".count))
                        : String(line[line.range(of: "listening on ")!.upperBound...])
                }
                signalled = true
                found.signal()
            }
        }
        if !signalled { found.signal() }
    }
    guard found.wait(timeout: .now() + 20) == .success, lines.all.count >= count else {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw MissingTool(description: "\(executable ?? "tamga") \(arguments.joined(separator: " ")) did not start listening")
    }
    return (process, lines.all)
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
