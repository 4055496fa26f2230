#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import ArgumentParser
import Dispatch
import Foundation
import HSMBoundary
import Ledger
import LedgerFormats
import PublicLog
import SignCore
import Sodium
import Synchronization

/// Issue 5: the embedded HSM. Signatures/s with an open SAD beside raw libsodium Ed25519, and
/// authorizations/s beside raw Argon2id, with the memory each concurrent authorization costs.
struct SignCoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signcore",
        abstract: "SignCore sign/s against raw Ed25519, authorize/s and peak RSS against raw Argon2id.",
        discussion: """
            Every signature is journaled as a key.use entry before it is returned, so --dir decides \
            what is measured: /dev/shm (tmpfs, fsync a no-op) gives the HSM's own cost, a disk folder \
            the real figure. Argon2id runs with the real OWASP-minimum parameters (19 MiB, 2 passes).
            """)

    @OptionGroup var options: CommonOptions

    @Option(help: "Seconds each raw loop and each authorization level runs.")
    var duration: Double = 3

    @Option(help: "Document hashes per SAD (at most the configured maxHashesPerActivation, 1000).")
    var hashes: Int = 1000

    @Option(help: "SADs each owner opens and spends per signing measurement.")
    var rounds: Int = 2

    @Option(parsing: .upToNextOption, help: "Owners signing in parallel, one run each.")
    var owners: [Int] = [1, 4, 16]

    @Option(parsing: .upToNextOption, help: "Concurrent authorization requests, one run each.")
    var concurrency: [Int] = [1, 2, 4, 8]

    @Option(parsing: .upToNextOption, help: "maxConcurrentDerivations values to run the authorizations under.")
    var caps: [Int] = [1, 2, 8]

    @Option(parsing: .upToNextOption, help: "Parts to run: sign, auth.")
    var parts: [String] = ["sign", "auth"]

    func validate() throws {
        guard duration > 0, rounds > 0, (1...1000).contains(hashes) else {
            throw ValidationError("--duration and --rounds must be positive, --hashes 1 to 1000")
        }
        guard owners.allSatisfy({ $0 > 0 }), concurrency.allSatisfy({ $0 > 0 }), caps.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("owner counts, concurrency levels and caps must be positive")
        }
        guard parts.allSatisfy({ ["sign", "auth"].contains($0) }) else {
            throw ValidationError("--parts takes sign and/or auth")
        }
    }

    var measurementDuration: Duration { .milliseconds(Int64(duration * 1000)) }

    func run() async throws {
        print("tamga-bench signcore: \(describeEnvironment(dir: options.dir))")
        print(
            "Argon2id \(Self.argon2.memoryBytes / 1_048_576) MiB, \(Self.argon2.iterations) passes; "
                + "\(hashes) hashes per SAD; \(duration) s per raw loop and authorization level")

        progress("raw Ed25519 signing, 1 and 2 threads")
        let key = try Ed25519.PrivateKey()
        let message = Sodium.randomBytes(32)
        let rawSign1 = try RawLoop.run(threads: 1, duration: measurementDuration) {
            blackHole(key.signature(for: message))
            return true
        }
        let rawSign2 = try RawLoop.run(threads: 2, duration: measurementDuration) {
            blackHole(key.signature(for: message))
            return true
        }
        progress("raw Argon2id, 1 and 2 threads")
        let password = Array("correct horse battery staple".utf8)
        let salt = Sodium.randomBytes(Argon2id.saltLength)
        let rawArgon1 = try RawLoop.run(threads: 1, duration: measurementDuration) {
            (try? Argon2id.derive(password: password, salt: salt, parameters: Self.argon2)) != nil
        }
        let rawArgon2 = try RawLoop.run(threads: 2, duration: measurementDuration) {
            (try? Argon2id.derive(password: password, salt: salt, parameters: Self.argon2)) != nil
        }

        var raw = Table(
            "Raw limits: libsodium in a loop, same run", ["operation", "threads", "ops/s", "CPU per op", "cores busy"])
        for (name, result) in [
            ("Ed25519 sign, 32-byte message", rawSign1), ("Ed25519 sign, 32-byte message", rawSign2),
            ("Argon2id 19 MiB, 2 passes", rawArgon1), ("Argon2id 19 MiB, 2 passes", rawArgon2),
        ] {
            raw.add(
                name, "\(result.threads)", Format.rate(result.rate), Format.micros(result.cpuPerOp),
                Format.ratio(result.coresBusy))
        }
        raw.print()

        if parts.contains("sign") { try await signing(rawSign1: rawSign1, rawSign2: rawSign2) }
        if parts.contains("auth") { try await authorizations(rawArgon1: rawArgon1, rawArgon2: rawArgon2) }
    }

    static let argon2 = Argon2id.Parameters.owaspMinimum
    static let signTarget = 0.9
    static let authTarget = 50.0

    // MARK: signing

    private func signing(rawSign1: RawLoop, rawSign2: RawLoop) async throws {
        var table = Table(
            "SignCore.sign with an open SAD (\(hashes) hashes per SAD, \(rounds) SADs per owner), data on "
                + fileSystemName(options.dir),
            [
                "calls", "owners", "signatures", "sig/s", "raw 1 core", "ratio", "target 0.9", "call p50 / p99",
                "cores busy", "CPU per sig (raw \(Format.micros(rawSign1.cpuPerOp)))", "busiest thread",
            ])
        for mode in [SignMode.batch, .single] {
            for count in owners {
                progress("sign, \(mode.name(hashes)), \(count) owners")
                let hsm = try await HSM.start(under: options.dir, "sign-\(count)")
                defer { hsm.stop() }
                let keys = try await hsm.keys(count)
                let run = try await SignRun.measure(
                    hsm, keys: keys, hashesPerSAD: hashes, perCall: mode == .batch ? hashes : 1, rounds: rounds)
                let ratio = run.rate / rawSign1.rate
                table.add(
                    mode.name(hashes), "\(count)", Format.grouped(run.signatures), Format.rate(run.rate),
                    Format.rate(rawSign1.rate), Format.ratio(ratio), ratio >= Self.signTarget ? "met" : "MISSED",
                    "\(Format.ms(run.calls.p50)) / \(Format.ms(run.calls.p99))", Format.ratio(run.coresBusy),
                    Format.micros(run.cpuPerSignature), run.busiestThread)
            }
        }
        table.print()
        print(
            "Raw Ed25519 with 2 threads: \(Format.rate(rawSign2.rate)). Each signature also appends one key.use "
                + "entry through Ledger.append (group-committed); 'busiest thread' is the ledger's writer.")
    }

    enum SignMode {
        case batch, single

        func name(_ hashes: Int) -> String { self == .batch ? "1 call of \(hashes)" : "\(hashes) calls of 1" }
    }

    // MARK: authorizations

    private func authorizations(rawArgon1: RawLoop, rawArgon2: RawLoop) async throws {
        var table = Table(
            "SignCore.authorize (challenge, biometric, sealed password, Argon2id, auth.ok journaled), data on "
                + fileSystemName(options.dir),
            [
                "cap", "requests", "auth/s", "raw Argon2id (threads)", "ratio", "latency p50 / p99", "cores busy",
                "CPU per auth", "RSS before", "peak RSS (VmHWM)", "peak - before", "= Argon2id areas at once",
            ])
        let peakResets = Memory.resetPeak()
        for cap in caps {
            progress("authorize: \(concurrency.max() ?? 1) keys, maxConcurrentDerivations \(cap)")
            let hsm = try await HSM.start(under: options.dir, "auth-\(cap)") { $0.maxConcurrentDerivations = cap }
            defer { hsm.stop() }
            let keys = try await hsm.keys(concurrency.max() ?? 1)
            for count in concurrency {
                progress("authorize, cap \(cap), \(count) concurrent requests")
                let run = try await AuthRun.measure(hsm, keys: Array(keys.prefix(count)), duration: measurementDuration)
                let threads = min(count, cap, 2)
                let rawRate = threads == 1 ? rawArgon1.rate : rawArgon2.rate
                let area = SignCoreBenchmark.argon2.memoryBytes / 1024
                let grown = run.peakKiB.map { $0 - run.beforeKiB }
                table.add(
                    "\(cap)", "\(count)", String(format: "%.1f", run.rate),
                    String(format: "%.1f", rawRate) + " (\(threads))",
                    Format.ratio(run.rate / rawRate), "\(Format.ms(run.latency.p50)) / \(Format.ms(run.latency.p99))",
                    Format.ratio(run.coresBusy), Format.ms(.seconds(run.cpuPerAuth)), Memory.mib(run.beforeKiB),
                    run.peakKiB.map(Memory.mib) ?? "n/a", grown.map(Memory.mib) ?? "n/a",
                    grown.map { String(format: "%.2f", Double($0) / Double(area)) } ?? "n/a")
            }
        }
        table.print()
        if !peakResets {
            print("Peak RSS could not be reset (/proc/self/clear_refs): VmHWM is the process's peak so far.")
        }
        print(
            "Target: >= \(Int(Self.authTarget)) authorizations/s on 2 cores. Raw Argon2id with 2 threads here: "
                + String(format: "%.1f/s", rawArgon2.rate) + "; its CPU per derivation "
                + Format.ms(.seconds(rawArgon1.cpuPerOp)) + " bounds an idle 2-core machine at "
                + String(format: "%.1f/s", 2 / rawArgon1.cpuPerOp) + " (derived).")
    }
}

// MARK: a SignCore on a fresh chain

/// A started ledger in a scratch folder, a SignCore on it, and the CA's biometric service key:
/// what `Tests/SignCoreTests/Support.swift` sets up, with the system clock and real Argon2id.
struct HSM: Sendable {
    let folder: ScratchFolder
    let ledger: Ledger
    let core: SignCore
    let biometricKey: Ed25519.PrivateKey
    static let password = Array("correct horse battery staple".utf8)
    static let terms = Sodium.randomBytes(32)

    static func start(
        under base: String, _ name: String, configure: (inout SignCore.Configuration) -> Void = { _ in }
    ) async throws -> HSM {
        let folder = try ScratchFolder(under: base, "signcore-\(name)")
        let ledger = try Chain.started(in: folder)
        let biometricKey = try Ed25519.PrivateKey()
        var configuration = SignCore.Configuration(biometricServiceKey: biometricKey.publicKey, origin: ledger.genesis.origin)
        configuration.argon2 = SignCoreBenchmark.argon2
        configure(&configuration)
        let backend = try Ledger.softwareHSM(DataFolder(folder.path + "/data"))
        let core = try SignCore(journal: ledger, backend: backend, configuration: configuration)
        return HSM(folder: folder, ledger: ledger, core: core, biometricKey: biometricKey)
    }

    func stop() {
        ledger.shutdown()
        folder.remove()
    }

    /// Factors for `operation` as an honest owner's app and the biometric service make them.
    func factors(owner: String, for operation: SignCore.Operation) throws -> SignCore.Factors {
        let challenge = try core.challenge(owner: owner).bytes
        return SignCore.Factors(
            challenge: challenge,
            sealedPassword: try SignCoreClient.sealPassword(
                Self.password, challenge: challenge, for: operation, transportKey: core.transportKey().statement.publicKey),
            biometric: try SignCoreClient.biometricAssertion(
                owner: owner, challenge: challenge, time: SystemClock().now(), serviceKey: biometricKey))
    }

    /// `count` owners (12-digit IINs), each with consent and one key, made in parallel.
    func keys(_ count: Int) async throws -> [KeyInfo] {
        try await withThrowingTaskGroup(of: (Int, KeyInfo).self) { group in
            for i in 0..<count {
                group.addTask {
                    let owner = "880101\(100_000 + i)"
                    let live = try factors(owner: owner, for: .createKey)
                    try await core.recordConsent(
                        owner: owner, termsHash: Self.terms, challenge: live.challenge, biometric: live.biometric)
                    return (i, try await core.createKey(owner: owner, factors: factors(owner: owner, for: .createKey)))
                }
            }
            var keys: [(Int, KeyInfo)] = []
            for try await key in group { keys.append(key) }
            return keys.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    func authorize(_ key: KeyInfo, hashes: [[UInt8]]) async throws -> SignCore.Activation {
        try await core.authorize(keyID: key.id, owner: key.owner, hashes: hashes, factors: factors(owner: key.owner, for: .authorize(keyID: key.id, hashes: hashes)))
    }
}

// MARK: measurements

/// Every owner opens a SAD for `hashesPerSAD` hashes (not timed), then all owners spend them at
/// once in calls of `perCall` hashes (timed); `rounds` times. Checks that the tree grew by one
/// key.use entry per signature and that one signature per owner and round verifies.
struct SignRun {
    var signatures = 0
    var elapsed = Duration.zero
    var cpu = Duration.zero
    var calls = Percentiles([])
    var busiestThread = ""

    var rate: Double { Double(signatures) / elapsed.seconds }
    var coresBusy: Double { cpu.seconds / elapsed.seconds }
    var cpuPerSignature: Double { cpu.seconds / Double(max(signatures, 1)) }

    static func measure(_ hsm: HSM, keys: [KeyInfo], hashesPerSAD: Int, perCall: Int, rounds: Int) async throws
        -> SignRun
    {
        var run = SignRun()
        var latencies: [Duration] = []
        let clock = ContinuousClock()
        var busiest: [String] = []
        for _ in 0..<rounds {
            let opened = try await withThrowingTaskGroup(of: (Int, SignCore.Activation, [[UInt8]]).self) { group in
                for (i, key) in keys.enumerated() {
                    group.addTask {
                        let hashes = (0..<hashesPerSAD).map { _ in Sodium.randomBytes(32) }
                        return (i, try await hsm.authorize(key, hashes: hashes), hashes)
                    }
                }
                var all: [(Int, SignCore.Activation, [[UInt8]])] = []
                for try await one in group { all.append(one) }
                return all
            }
            let sizeBefore = hsm.ledger.head.treeSize
            let cpuBefore = processCPUTime()
            let scheduleBefore = SchedulerSnapshot.now()
            let start = clock.now
            let results = try await withThrowingTaskGroup(of: ([Duration], [UInt8], [UInt8], [UInt8]).self) { group in
                for (i, activation, hashes) in opened {
                    let key = keys[i]
                    group.addTask {
                        var times: [Duration] = []
                        var first: [UInt8] = []
                        for chunk in stride(from: 0, to: hashes.count, by: perCall) {
                            let part = Array(hashes[chunk..<min(chunk + perCall, hashes.count)])
                            let sent = clock.now
                            let signatures = try await hsm.core.sign(
                                keyID: key.id, owner: key.owner, sad: activation.sad, hashes: part)
                            times.append(sent.duration(to: clock.now))
                            guard signatures.count == part.count else {
                                throw BenchError(
                                    "sign returned \(signatures.count) signatures for \(part.count) hashes")
                            }
                            if first.isEmpty { first = signatures[0] }
                        }
                        return (times, first, hashes[0], key.publicKey)
                    }
                }
                var all: [([Duration], [UInt8], [UInt8], [UInt8])] = []
                for try await one in group { all.append(one) }
                return all
            }
            let elapsed = start.duration(to: clock.now)
            run.cpu += processCPUTime() - cpuBefore
            busiest.append(SchedulerSnapshot.now().busiestSummary(since: scheduleBefore, over: elapsed))
            run.elapsed += elapsed
            let signed = keys.count * hashesPerSAD
            run.signatures += signed
            let grown = hsm.ledger.head.treeSize - sizeBefore
            guard grown == UInt64(signed) else {
                throw BenchError("the tree grew by \(grown) entries for \(signed) signatures")
            }
            for (times, signature, hash, publicKey) in results {
                latencies += times
                guard Ed25519.verify(signature: signature, message: hash, publicKey: publicKey) else {
                    throw BenchError("a signature does not verify under its key")
                }
            }
        }
        run.calls = Percentiles(latencies)
        run.busiestThread = busiest.last ?? "n/a"
        return run
    }
}

/// `keys.count` requests in a closed loop for `duration`, each asking a fresh challenge and
/// authorizing its own key for one hash, with peak RSS reset before and read after.
struct AuthRun {
    let authorizations: Int
    let elapsed: Duration
    let cpu: Duration
    let latency: Percentiles
    let beforeKiB: Int
    let peakKiB: Int?

    var rate: Double { Double(authorizations) / elapsed.seconds }
    var coresBusy: Double { cpu.seconds / elapsed.seconds }
    var cpuPerAuth: Double { cpu.seconds / Double(max(authorizations, 1)) }

    static func measure(_ hsm: HSM, keys: [KeyInfo], duration: Duration) async throws -> AuthRun {
        _ = Memory.resetPeak()
        let beforeKiB = Memory.status("VmRSS") ?? 0
        let clock = ContinuousClock()
        let cpuBefore = processCPUTime()
        let start = clock.now
        let deadline = start + duration
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for key in keys {
                group.addTask {
                    var times: [Duration] = []
                    while clock.now < deadline {
                        let sent = clock.now
                        _ = try await hsm.authorize(key, hashes: [Sodium.randomBytes(32)])
                        times.append(sent.duration(to: clock.now))
                    }
                    return times
                }
            }
            var all: [Duration] = []
            for try await times in group { all += times }
            return all
        }
        let elapsed = start.duration(to: clock.now)
        return AuthRun(
            authorizations: latencies.count, elapsed: elapsed, cpu: processCPUTime() - cpuBefore,
            latency: Percentiles(latencies), beforeKiB: beforeKiB, peakKiB: Memory.status("VmHWM"))
    }
}

/// `threads` threads each calling `body` until `duration` has passed.
struct RawLoop {
    let threads: Int
    let operations: Int
    let elapsed: Duration
    let cpu: Duration

    var rate: Double { Double(operations) / elapsed.seconds }
    var cpuPerOp: Double { cpu.seconds / Double(max(operations, 1)) }
    var coresBusy: Double { cpu.seconds / elapsed.seconds }

    static func run(threads: Int, duration: Duration, _ body: @escaping @Sendable () -> Bool) throws -> RawLoop {
        let counts = Mutex((operations: 0, failed: false))
        let clock = ContinuousClock()
        let cpuBefore = processCPUTime()
        let start = clock.now
        let deadline = start + duration
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var done = 0
            var ok = true
            while ok, clock.now < deadline {
                ok = body()
                done += 1
            }
            counts.withLock {
                $0.operations += done
                $0.failed = $0.failed || !ok
            }
        }
        let elapsed = start.duration(to: clock.now)
        let (operations, failed) = counts.withLock { ($0.operations, $0.failed) }
        guard !failed else { throw BenchError("the raw loop's operation failed") }
        return RawLoop(threads: threads, operations: operations, elapsed: elapsed, cpu: processCPUTime() - cpuBefore)
    }
}

/// Resident memory from /proc/self/status (Linux).
enum Memory {
    /// A `Vm…:` field in KiB.
    static func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    /// Resets VmHWM to the current RSS (writing 5 to /proc/self/clear_refs, Linux 4.0+).
    static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    static func mib(_ kib: Int) -> String { String(format: "%.1f MiB", Double(kib) / 1024) }
}
