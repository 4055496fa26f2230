import Codecs
import Foundation
import HSMBoundary
import Hummingbird
import Ledger
import LedgerFormats
import Logging
import PublicLog
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing
import Witness

@testable import Node

/// The node's witness client against witnesses that lie, stall or break the protocol, over
/// real HTTP: whatever they answer, a round ends in bounded time, nothing they send is kept
/// that is not a valid cosignature by their key, and the misbehaviour shows in `status`.
///
/// The hostile witness is named `h` in the policy; its key is `Setup.key` unless it
/// impersonates a real witness.
@Suite(.serialized) struct HostileWitnessTests {
    /// A Hummingbird server on a loopback port whose `POST /add-checkpoint` answers what the
    /// test tells it to, and counts the requests it got.
    final class HostileWitness: Sendable {
        /// A submission as the witness parsed it.
        struct Submission: Sendable {
            let old: UInt64
            let note: SignedNote

            /// `old <N>\n`, the proof lines, a blank line, the note.
            init?(_ body: [UInt8]) {
                let text = String(decoding: body, as: UTF8.self)
                guard text.hasPrefix("old "), let line = text.firstIndex(of: "\n"), let blank = text.range(of: "\n\n"),
                    let old = UInt64(text[text.index(text.startIndex, offsetBy: 4)..<line]),
                    let note = try? SignedNote(parsing: Array(text[blank.upperBound...].utf8))
                else { return nil }
                self.old = old
                self.note = note
            }
        }

        enum Answer: Sendable {
            /// This status, headers and body (with a Content-Length).
            case reply(Int, String, headers: HTTPFields = [:])
            /// 200 and `body` in 1 KiB chunks without a Content-Length: its size shows only as it is read.
            case chunked(String)
            /// 200 at once, then a byte every 200 ms: a body that does not end (until `stop`, 20 s at most).
            case trickle
            /// Reads the request and never answers (until `stop`, 20 s at most).
            case silence

            /// A 409 with a `text/x.tlog.size` body.
            static func conflict(_ body: String) -> Answer {
                .reply(409, body, headers: [.contentType: "text/x.tlog.size"])
            }
        }

        private struct State {
            var requests = 0
            var stopped = false
            var answer: @Sendable (Submission) throws -> Answer = { _ in .reply(500, "no answer set\n") }
        }

        private final class Shared: Sendable {
            let state = Mutex(State())
            var stopped: Bool { state.withLock { $0.stopped } }
        }

        let url: String
        private let shared: Shared
        private let group: ServiceGroup
        private let task: Task<Void, any Error>

        init(logger: Logger) async throws {
            let shared = Shared()
            let router = Router()
            router.post("/add-checkpoint") { request, _ -> Response in
                var request = request
                let body = try await request.collectBody(upTo: 1 << 20)
                guard let submission = Submission(Array(body.readableBytesView)) else {
                    return Response(status: .badRequest)
                }
                let answer = try shared.state.withLock { state in
                    state.requests += 1
                    return state.answer
                }(submission)
                return try await Self.response(answer, shared: shared)
            }
            let ports = AsyncStream<Int>.makeStream()
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { ports.continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            task = Task { try await group.run() }
            var iterator = ports.stream.makeAsyncIterator()
            url = "http://127.0.0.1:\(await iterator.next() ?? 0)"
            self.shared = shared
            self.group = group
        }

        /// From now on, answer each submission with `answer(submission)`.
        func answer(_ answer: @escaping @Sendable (Submission) throws -> Answer) {
            shared.state.withLock { $0.answer = answer }
        }

        /// How many submissions it has received.
        var requests: Int { shared.state.withLock { $0.requests } }

        func stop() async {
            shared.state.withLock { $0.stopped = true }
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }

        private static func response(_ answer: Answer, shared: Shared) async throws -> Response {
            let until = ContinuousClock.now + .seconds(20)
            let lasts = { @Sendable in !shared.stopped && ContinuousClock.now < until }
            switch answer {
            case .reply(let status, let body, let headers):
                return Response(
                    status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
            case .chunked(let body):
                let bytes = Array(body.utf8)
                return Response(
                    status: .ok,
                    body: ResponseBody { writer in
                        for start in stride(from: 0, to: bytes.count, by: 1024) {
                            try await writer.write(ByteBuffer(bytes: bytes[start..<min(start + 1024, bytes.count)]))
                        }
                        try await writer.finish(nil)
                    })
            case .trickle:
                return Response(
                    status: .ok,
                    body: ResponseBody { writer in
                        while lasts() {
                            try await writer.write(ByteBuffer(string: "x"))
                            try await Task.sleep(for: .milliseconds(200))
                        }
                        try await writer.finish(nil)
                    })
            case .silence:
                while lasts() { try await Task.sleep(for: .milliseconds(50)) }
                return Response(status: .serviceUnavailable)
            }
        }
    }

    struct Setup {
        let ledger: Ledger
        let honest: [WitnessingTests.RunningWitness]
        let hostile: HostileWitness
        /// The key the policy lists for `h` (unless it impersonates): it can make valid cosignatures.
        let key: WitnessKey
        let policy: WitnessPolicy
        let client: WitnessClient

        var origin: String { ledger.genesis.origin }

        /// `h` as the client sees it.
        var h: WitnessClient.Status? { client.status.first { $0.name == "h" } }

        /// One round, and how long it took.
        func round() async -> Duration { await ContinuousClock().measure { await client.round() } }

        /// The block notes as stored.
        func blocks() throws -> [SignedNote] {
            try (0..<ledger.head.blockCount).map { try SignedNote(parsing: try #require(try ledger.blockNote($0))) }
        }

        /// Every signature line the node keeps that is not the log's own: on the block notes
        /// and on the served checkpoint.
        func foreignLines() throws -> [String] {
            let notes = try blocks() + [ledger.head.cosignedCheckpoint].compactMap { $0 }
            return notes.flatMap { $0.signatures.filter { $0.name != origin }.map(\.line) }
        }

        /// Nothing of `h`'s is kept: no line but the log's on any block, no served checkpoint.
        func expectNothingKept(_ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try foreignLines() == [], comment, sourceLocation: sourceLocation)
            #expect(ledger.head.cosignedCheckpoint == nil, comment, sourceLocation: sourceLocation)
        }

        /// The reasons of the journaled `witness.alarm` events naming `h`.
        func alarmsJournaled() throws -> [String] {
            try ledger.entries(from: 0, count: Int(ledger.head.treeSize)).map { try Entry(parsing: $0) }
                .filter { $0.event == .witnessAlarm && $0.record[field: "witness"] == "h" }
                .map { entry in
                    guard case .string(let reason) = entry.record[field: "reason"] else { return "" }
                    return reason
                }
        }

        func tearDown() async {
            await hostile.stop()
            for witness in honest { await witness.stop() }
            try? await client.shutdown()
            ledger.shutdown()
        }
    }

    /// A chain of `days` sealed days; `honest` real witnesses (w1...) and the hostile `h`; a
    /// policy of all of them with a quorum of all but one (or 1 when `h` is alone). With
    /// `impersonating`, w1 runs but stays out of the policy, and `h` is listed under w1's key:
    /// whatever w1 signs would count as `h`'s.
    static func with(
        days: Int = 2, honest: Int = 0, impersonating: Bool = false, timeout: Duration = .seconds(3),
        _ body: (Setup) async throws -> Void
    ) async throws {
        let (_, ledger, _) = try await sealedChain(days: days)
        let genesis = ledger.genesis

        var logger = Logger(label: "hostile-witness-test")
        logger.logLevel = .critical
        let logs = try LogList(parsing: "log \(genesis.verifierKey) tamga \(hex(genesis.hash))\n")
        let root = try temporaryFolder("witnesses")
        var witnesses: [WitnessingTests.RunningWitness] = []
        for index in 0..<honest {
            witnesses.append(
                try await .init(
                    folder: root + "/w\(index + 1)", name: "w\(index + 1).example", logs: logs, logger: logger))
        }
        let hostile = try await HostileWitness(logger: logger)
        let key = try makeWitnessKey(name: "h.example")

        var text = "log \(genesis.verifierKey)\n"
        var names: [String] = []
        for (index, witness) in witnesses.enumerated() where !(impersonating && index == 0) {
            text += "witness w\(index + 1) \(witness.keys.cosigner.verifierKey) \(witness.url)\n"
            names.append("w\(index + 1)")
        }
        let hostileKey = impersonating ? witnesses[0].keys.cosigner : key.verifier
        text += "witness h \(hostileKey.verifierKey) \(hostile.url)\n"
        names.append("h")
        text += "group q \(max(1, names.count - 1)) \(names.joined(separator: " "))\nquorum q\n"
        let policy = try WitnessPolicy(parsing: Array(text.utf8))
        let client = WitnessClient(ledger: ledger, policy: policy, timeout: timeout, operatorID: "ops", logger: logger)

        let s = Setup(ledger: ledger, honest: witnesses, hostile: hostile, key: key, policy: policy, client: client)
        do {
            try await body(s)
        } catch {
            await s.tearDown()
            throw error
        }
        await s.tearDown()
    }

    static var now: UInt64 { UInt64(Date().timeIntervalSince1970) }

    /// A valid cosignature line by `key` on `note`, with its newline.
    static func cosign(_ note: SignedNote, with key: WitnessKey) throws -> String {
        try Cosignature.sign(text: note.text, time: now, with: key).line + "\n"
    }

    // MARK: - Answers too big, too slow, or never

    /// A 200 whose body exceeds `WitnessClient.maxAnswerBytes` is not read past the cap and
    /// not kept, even though it starts with a valid cosignature by `h`'s key and would parse
    /// (fillers are well-formed lines by unknown keys): a failure, counted.
    @Test(arguments: [false, true]) func anAnswerAboveTheCapIsNotKept(chunked: Bool) async throws {
        try await Self.with { s in
            s.hostile.answer { submission in
                var body = try Self.cosign(submission.note, with: s.key)
                for index in 0..<90 {
                    let name = "filler\(index)." + String(repeating: "x", count: 180)
                    let signature = Base64.encode((0..<68).map { _ in UInt8.random(in: 0...255) })
                    body += "\u{2014} \(name) \(signature)\n"
                }
                #expect(body.utf8.count > WitnessClient.maxAnswerBytes)
                return chunked ? .chunked(body) : .reply(200, body)
            }
            let elapsed = await s.round()
            #expect(elapsed < .seconds(10))
            #expect(s.hostile.requests == 1)
            #expect(s.h?.failures == 1 && s.h?.alarms == 0 && s.h?.cosignedSize == nil)
            try s.expectNothingKept()
        }
    }

    /// A witness that takes the request and then stalls, sending nothing or a body a byte at a
    /// time, costs a round about the client's timeout (1 s), not the witness's whim; the two
    /// real witnesses cosign the blocks and make the 2-of-3 quorum without it.
    @Test(arguments: [HostileWitness.Answer.silence, .trickle]) func aStallingWitnessCostsOnlyItsTimeout(
        _ stall: HostileWitness.Answer
    ) async throws {
        try await Self.with(honest: 2, timeout: .seconds(1)) { s in
            s.hostile.answer { _ in stall }
            for round in 1...2 {
                let elapsed = await s.round()
                #expect(elapsed < .seconds(5), "round \(round) took \(elapsed)")
                #expect(s.h?.failures == round && s.h?.cosignedSize == nil)
            }
            for note in try s.blocks() {
                #expect(Set(s.policy.cosigners(of: note).keys) == ["w1", "w2"])
            }
            let served = try #require(s.ledger.head.cosignedCheckpoint)
            #expect(Set(s.policy.cosigners(of: served).keys) == ["w1", "w2"])
            #expect(try Checkpoint(text: served.text).size == s.ledger.head.treeSize)
            #expect(s.client.status.filter { $0.name != "h" }.allSatisfy { $0.failures == 0 && $0.alarms == 0 })
        }
    }

    // MARK: - Cosignatures that are not

    /// 200 answers that are not valid cosignatures by `h`'s key keep nothing, neither on the
    /// blocks nor on a served checkpoint: each is a failure, never an alarm. Then the same
    /// witness answering one valid line is kept, so the refusals were about the lines.
    @Test func invalidCosignaturesAreNotKept() async throws {
        try await Self.with { s in
            let impostor = try makeWitnessKey(name: "h.example")  // h's name, another key
            let stranger = try makeWitnessKey(name: "stranger.example")
            let bad: [(String, @Sendable (SignedNote) throws -> String)] = [
                ("an empty body", { _ in "" }),
                ("garbage lines", { _ in "hello\nthis is not a cosignature\n" }),
                ("a valid cosignature by another key under h's name", { try Self.cosign($0, with: impostor) }),
                ("a valid cosignature by a key outside the policy", { try Self.cosign($0, with: stranger) }),
                (
                    "h's key over another text",
                    { note in
                        let other = "fork.example/log\n" + note.text.drop { $0 != "\n" }.dropFirst()
                        return try Cosignature.sign(text: String(other), time: Self.now, with: s.key).line + "\n"
                    }
                ),
                (
                    "a valid line twice",
                    { note in
                        let line = try Self.cosign(note, with: s.key)
                        return line + line
                    }
                ),
                ("the log's own signature echoed", { $0.signatures[0].line + "\n" }),
                ("a valid line, then garbage", { try Self.cosign($0, with: s.key) + "garbage\n" }),
            ]
            for (index, (what, answer)) in bad.enumerated() {
                s.hostile.answer { .reply(200, try answer($0.note)) }
                let elapsed = await s.round()
                #expect(elapsed < .seconds(10), "\(what)")
                #expect(s.h?.failures == index + 1 && s.h?.alarms == 0 && s.h?.cosignedSize == nil, "\(what)")
                try s.expectNothingKept("\(what)")
            }
            // Only block 0 was offered each time: blocks go in order, and it was never cosigned.
            #expect(s.hostile.requests == bad.count)

            s.hostile.answer { .reply(200, try Self.cosign($0.note, with: s.key)) }
            _ = await s.round()
            #expect(s.h?.failures == 0 && s.h?.cosignedSize == s.ledger.head.treeSize)
            for note in try s.blocks() { #expect(Set(s.policy.cosigners(of: note).keys) == ["h"]) }
            let served = try #require(s.ledger.head.cosignedCheckpoint)
            #expect(Set(s.policy.cosigners(of: served).keys) == ["h"] && served.signatures.count == 2)
        }
    }

    /// A redirect to a real witness is not followed: `h` is listed under that witness's key, so
    /// had the client followed it, the real witness's cosignatures would count as `h`'s. The
    /// real witness never hears of the log.
    @Test(arguments: [302, 307, 308]) func aRedirectIsNotFollowed(status: Int) async throws {
        try await Self.with(honest: 1, impersonating: true) { s in
            let target = s.honest[0].url + "/add-checkpoint"
            s.hostile.answer { _ in .reply(status, "", headers: [.location: target]) }
            let elapsed = await s.round()
            #expect(elapsed < .seconds(10))
            #expect(s.hostile.requests == 1)
            #expect(s.h?.failures == 1 && s.h?.alarms == 0)
            try s.expectNothingKept()
            let seen = try await s.honest[0].witness.latest(s.origin)
            #expect(seen?.size == nil)
        }
    }

    // MARK: - 409s that lie

    /// A 409 whose body is not a canonical decimal size that fits a UInt64 is a broken witness
    /// (or a proxy's error page), not evidence of a fork: a failure, no resubmission, no alarm,
    /// no crash, nothing kept.
    @Test(arguments: ["forty-two\n", "99999999999999999999999\n", "18446744073709551616\n", "-1\n", "+1\n", "01\n", "7", ""])
    func aMalformedConflictIsAFailure(body: String) async throws {
        try await Self.with { s in
            s.hostile.answer { _ in .conflict(body) }
            for round in 1...2 {
                let elapsed = await s.round()
                #expect(elapsed < .seconds(10))
                #expect(s.hostile.requests == round)
                #expect(s.h?.failures == round && s.h?.alarms == 0)
            }
            #expect(try s.alarmsJournaled().isEmpty)
            try s.expectNothingKept()
        }
    }

    /// A 409 naming the very size submitted: it cosigned another tree of that size. An alarm
    /// every round, journaled once, no resubmission, nothing kept.
    @Test func aConflictAtTheSizeSubmittedIsAnAlarm() async throws {
        try await Self.with { s in
            s.hostile.answer { submission in .conflict("\(submission.old)\n") }
            for round in 1...2 {
                let elapsed = await s.round()
                #expect(elapsed < .seconds(10))
                #expect(s.hostile.requests == round)
                #expect(s.h?.alarms == round && s.h?.failures == 0)
            }
            #expect(try s.alarmsJournaled().count == 1)
            try s.expectNothingKept()
        }
    }

    /// A 409 claiming a size larger than the whole tree is a witness ahead of the log (a fork,
    /// or a node restored from an old backup): one request, then the client stops offering it
    /// anything, an alarm every round, journaled once; nothing kept.
    @Test func aConflictAheadOfTheTreeIsAnAlarm() async throws {
        try await Self.with { s in
            s.hostile.answer { _ in .conflict("1000\n") }
            for round in 1...3 {
                let elapsed = await s.round()
                #expect(elapsed < .seconds(10))
                #expect(s.h?.alarms == round && s.h?.cosignedSize == 1000)
            }
            #expect(s.hostile.requests == 1)
            let reasons = try s.alarmsJournaled()
            #expect(reasons.count == 1 && reasons.allSatisfy { $0.contains("larger than this log's tree") })
            try s.expectNothingKept()
        }
    }

    /// A witness that answers every submission with a 409 and a plausible smaller size gets at
    /// most two requests a round (the submission and one resubmission); the round ends, and
    /// the misbehaviour is counted: an alarm when it repeats the size just submitted, a failure
    /// when it names yet another size each time.
    @Test(arguments: [false, true]) func aWitnessConflictingForeverGetsBoundedResubmissions(changingSize: Bool)
        async throws
    {
        try await Self.with { s in
            s.hostile.answer { submission in .conflict(changingSize ? "\(submission.old == 1 ? 2 : 1)\n" : "1\n") }
            let rounds = 3
            for _ in 1...rounds {
                let elapsed = await s.round()
                #expect(elapsed < .seconds(10))
            }
            #expect(
                (rounds...2 * rounds).contains(s.hostile.requests), "\(s.hostile.requests) requests in \(rounds) rounds"
            )
            if changingSize {
                #expect(s.h?.failures == rounds && s.h?.alarms == 0)
            } else {
                #expect(s.h?.alarms == rounds && s.h?.failures == 0)
                #expect(try s.alarmsJournaled().count == 1)
            }
            try s.expectNothingKept()
        }
    }
}
