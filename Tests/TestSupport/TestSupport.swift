public import Foundation
public import HSMBoundary
public import Ledger
public import LedgerFormats
import Sodium
import Synchronization

// What every test target needs alike: a clock moved by hand, scratch folders, and running the
// built executables and tools. (No Swift Testing here: this is an ordinary module.)

/// A clock the test moves by hand, shared by a ledger and whatever runs on it.
public final class ManualClock: LedgerClock {
    private let millis: Mutex<Int64>
    public init(_ millis: Int64) { self.millis = Mutex(millis) }
    public func now() -> Int64 { millis.withLock { $0 } }
    public func set(_ value: Int64) { millis.withLock { $0 = value } }
    public func advance(_ delta: Int64) { millis.withLock { $0 += delta } }
}

/// 2026-11-20T06:00:00Z: inside the first day (Asia/Almaty) of a `makeChain()` chain.
public let startTime: Int64 = 1_795_154_400_000

/// A fresh chain in a temporary folder (`tamga init`), Asia/Almaty, starting `startDate`; a
/// development chain if asked (the only kind `tamga demo` and `journal append key.*` write to).
public func makeChain(
    startDate: String = "2026-11-20", origin: String = "test.tamga.local/log", development: Bool = false
) throws -> DataFolder {
    let folder = DataFolder(try temporaryFolder("chain") + "/data")
    _ = try Ledger.create(
        folder: folder, origin: origin, timeZone: "Asia/Almaty", startDate: LocalDate(parsing: startDate),
        development: development)
    return folder
}

/// A started ledger on a fresh `makeChain()` chain whose first `days` days are sealed, day d
/// holding `events(d)` `auth.ok` events; its clock stands a minute into the open day.
public func sealedChain(days: Int, events: (Int) -> Int = { _ in 4 }) async throws -> (
    folder: DataFolder, ledger: Ledger, clock: ManualClock
) {
    let folder = try makeChain()
    let calendar = try DayCalendar(genesis: try Genesis(parsing: try Data(contentsOf: URL(fileURLWithPath: folder.genesis))))
    let clock = ManualClock(try calendar.day(atHeight: 0).start.millisecondsSinceEpoch + 3_600_000)
    let ledger = try Ledger.open(folder: folder, clock: clock)
    ledger.start()
    for day in 0..<days {
        clock.set(try calendar.day(atHeight: Int64(day)).start.millisecondsSinceEpoch + 3_600_000)
        for i in 0..<events(day) {
            _ = try await ledger.append(EventRecord(.authOK(key: "k\(i)", purpose: "sign", factors: "password"), owner: "o"))
        }
    }
    clock.set(try calendar.day(atHeight: Int64(days)).start.millisecondsSinceEpoch + 60_000)
    try await ledger.sealDueDays()
    return (folder, ledger, clock)
}

/// A witness's cosigning key, sealed in a scratch folder under a throwaway master key.
public func makeWitnessKey(name: String) throws -> WitnessKey {
    try WitnessKey.create(
        name: name, masterKey: SecureBytes(randomCount: 32), path: try temporaryFolder("witness-key") + "/key.sealed")
}

/// A new empty folder under the system's temporary directory, named after `name`.
public func temporaryFolder(_ name: String = "test") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tamga-\(name)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// What a finished process said.
public struct ProcessRun: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// Both streams, for messages.
    public var output: String { stdout + stderr }
}

/// Runs `executable` with `arguments` and waits for it. Standard error is read on another
/// thread while standard output is read here, so neither pipe can fill up and stall the process.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> ProcessRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    final class Collected: @unchecked Sendable { var data = Data() }  // written before `done` signals
    let stderr = Collected()
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        stderr.data = err.fileHandleForReading.readDataToEndOfFile()
        done.signal()
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    return ProcessRun(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr.data, as: UTF8.self))
}

/// The package's root folder (this file is `Tests/TestSupport/TestSupport.swift`).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A product of the package as `swift build` leaves it in `.build/debug`, or an error that says
/// to build first (the test command builds before it tests).
public func builtExecutable(_ name: String) throws -> String {
    let path = packageRoot.appendingPathComponent(".build/debug/\(name)").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw MissingTool(description: "the \(name) executable is not built at \(path): run `swift build` before `swift test`")
    }
    return path
}

public struct MissingTool: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// `tools/goverify` (the independent Go verifier), built once per test process into a
/// temporary folder; the error names the apt packages when Go is missing.
public let goVerifier: Result<String, MissingTool> = {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("goverify-\(UUID().uuidString)").path
    do {
        let built = try runProcess("/bin/sh", [packageRoot.appendingPathComponent("tools/goverify/build.sh").path, out])
        guard built.status == 0 else {
            return .failure(
                MissingTool(
                    description: "building tools/goverify failed (\(built.status)): \(built.output)\n"
                        + "It needs Debian's Go and x/mod: apt-get install -y golang-go golang-golang-x-mod-dev"))
        }
        return .success(out)
    } catch {
        return .failure(MissingTool(description: "cannot run tools/goverify/build.sh: \(error)"))
    }
}()

/// Lowercase hex by Foundation's formatter: an implementation independent of `Codecs.hex`.
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// How `entry` differs from the node's count of refused requests (`request.refused`, owner
/// `operator`) for this key, purpose, reason and count; nil when it is that count.
public func refusalCountMismatch(_ entry: Entry, purpose: String, reason: String, key: String?, count: Int) -> String? {
    let expected: [String: FieldValue?] = [
        "purpose": .string(purpose), "reason": .string(reason), "key": key.map { .string($0) },
        "count": .integer(Int64(count)),
    ]
    guard entry.event == .requestRefused, entry.owner == "operator" else {
        return "the last entry is \(entry.event) by \(entry.owner), not the node's request.refused"
    }
    let wrong = expected.filter { entry.record[field: $0.key] != $0.value }.keys.sorted()
    return wrong.isEmpty ? nil : "request.refused differs in \(wrong): \(entry.record.fields)"
}
