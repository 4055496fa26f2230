import Crypto
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import Logging
import Node
import ServiceLifecycle
import Sodium
import SwiftASN1
import TestSupport
import Testing
import X509

@Suite struct NodeTests {
    func makeChain() throws -> DataFolder {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tamga-node-\(UUID().uuidString)").path
        let folder = DataFolder(root + "/data")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Asia/Almaty"))
        let then = calendar.dateComponents([.year, .month, .day], from: Date().addingTimeInterval(-2 * 86400))
        _ = try Ledger.create(
            folder: folder, origin: "node.tamga.local/log", timeZone: "Asia/Almaty",
            startDate: LocalDate(year: then.year ?? 1970, month: then.month ?? 1, day: then.day ?? 1))
        return folder
    }

    /// Events appended while the node shuts down gracefully are all committed: every append that
    /// returned is in the store after a restart, between `node.start` and `node.stop`.
    @Test func gracefulShutdownLosesNoAcknowledgedEvent() async throws {
        let folder = try makeChain()
        var configuration = NodeConfiguration()
        configuration.data = folder.path
        configuration.publicPort = 0
        configuration.operatorID = "ops-1"
        let acked = try await runNode(folder: folder, configuration: configuration)
        #expect(acked.count > 0)

        let ledger = try Ledger.open(folder: folder)
        let entries = try ledger.entries(from: 0, count: Int(ledger.head.treeSize)).map { try Entry(parsing: $0) }
        #expect(entries.first?.event == .nodeStart)
        // Writers still appending while the node stops may land after node.stop; none is lost.
        #expect(entries.filter { $0.event == .nodeStop }.count == 1)
        #expect(entries.first?.owner == "ops-1")
        let stored = Set(entries.map { UInt64($0.seq) })
        #expect(acked.allSatisfy { stored.contains($0) })
        #expect(ledger.head.blockCount == 2, "the two past days were sealed on start")
        #expect(try ledger.verifyChain().problems == [])
    }

    /// Runs the node's service group, appends from 8 writers, triggers a graceful shutdown while
    /// they are still appending, and returns every seq that was acknowledged.
    func runNode(folder: DataFolder, configuration: NodeConfiguration) async throws -> [UInt64] {
        let ledger = try Ledger.open(folder: folder)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let group = try NodeServices.serviceGroup(ledger: ledger, configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: [UInt64].self) { tasks in
            tasks.addTask {
                try await group.run()
                return []
            }
            for writer in 0..<8 {
                tasks.addTask {
                    var acked: [UInt64] = []
                    while !ledger.isSequencing { try await Task.sleep(for: .milliseconds(5)) }
                    while true {
                        do {
                            acked.append(try await ledger.append(EventRecord(event: .authOK, owner: "w\(writer)")).seq)
                        } catch let error as LedgerError where error.code == .stopped {
                            return acked  // refused after shutdown: nothing acknowledged, nothing lost
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            await group.triggerGracefulShutdown()
            return try await tasks.reduce(into: []) { $0 += $1 }
        }
    }

    @Test func configurationFileIsStrict() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json").path
        try #"{"data":"/srv/tamga","publicHost":"0.0.0.0","publicPort":9000}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try NodeConfiguration.load(from: path)
        #expect(loaded.data == "/srv/tamga" && loaded.publicHost == "0.0.0.0" && loaded.publicPort == 9000)
        #expect(loaded.servicePort == 8081, "missing keys keep their defaults")
        try #"{"publicPort":9000,"pubilcHost":"0.0.0.0"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try NodeConfiguration.load(from: path) } throws: { "\($0)".contains("unknown key \"pubilcHost\"") }
        try #"{"publicPort":"eighty"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: NodeError.self) { try NodeConfiguration.load(from: path) }
    }

    /// Values JSON types cannot check are refused with the key's name and what to do.
    @Test func configurationValuesAreChecked() throws {
        var configuration = NodeConfiguration()
        try configuration.validate()
        configuration.biometricServiceKey = Data(repeating: 7, count: 31).base64EncodedString()
        #expect { try configuration.validate() } throws: { "\($0)".contains("biometricServiceKey") }
        configuration.biometricServiceKey = Data(repeating: 7, count: 32).base64EncodedString()
        try configuration.validate()
        configuration.operatorTokenSHA256 = String(repeating: "A", count: 64)
        #expect { try configuration.validate() } throws: { "\($0)".contains("operatorTokenSHA256") }
        configuration.operatorTokenSHA256 = String(repeating: "a", count: 64)
        try configuration.validate()
        configuration.serviceTLSCertificate = "/etc/tamga/cert.pem"
        #expect { try configuration.validate() } throws: { "\($0)".contains("serviceTLSKey") }
        configuration.serviceTLSKey = "/etc/tamga/key.pem"
        try configuration.validate()
        for (key, change) in [
            ("maxConnections", { (c: inout NodeConfiguration) in c.maxConnections = 0 }),
            ("headerTimeout", { $0.headerTimeout = 0 }), ("bodyTimeout", { $0.bodyTimeout = .infinity }),
            ("idleTimeout", { $0.idleTimeout = 7200 }), ("addressPrefixV4", { $0.addressPrefixV4 = 33 }),
            ("argon2MemoryMiB", { $0.argon2MemoryMiB = 18 }), ("argon2Passes", { $0.argon2Passes = 1 }),
            ("requestsPerMinute", { $0.requestsPerMinute = 10 }), ("minimumBiometricScore", { $0.minimumBiometricScore = 1001 }),
            ("transportKeyHours", { $0.transportKeyHours = 0.1 }), ("transportKeyHours", { $0.transportKeyHours = .nan }),
        ] {
            var bad = configuration
            change(&bad)
            #expect { try bad.validate() } throws: { "\($0)".contains(key) }
        }
    }
}

/// The service listener speaks TLS when the configuration names a certificate and key: a
/// client that trusts the certificate gets the CSC `info`, a plain-HTTP client gets nothing.
@Suite struct ServiceTLSTests {
    @Test func serviceAPIServesHTTPSWithTheConfiguredCertificate() async throws {
        let folder = try NodeTests().makeChain()
        let dir = URL(fileURLWithPath: folder.path).deletingLastPathComponent()
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("127.0.0.1") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 60,
            notValidAfter: now + 3600, issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(key))
        let certificatePath = dir.appendingPathComponent("service.crt").path
        let keyPath = dir.appendingPathComponent("service.key").path
        try certificate.serializeAsPEM().pemString.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)

        var configuration = NodeConfiguration()
        configuration.data = folder.path
        configuration.servicePort = 0
        configuration.serviceTLSCertificate = certificatePath
        configuration.serviceTLSKey = keyPath
        let ledger = try Ledger.open(folder: folder)
        ledger.start()
        defer { ledger.shutdown() }
        let api = try #require(
            try NodeServices.serviceAPI(
                ledger: ledger, hsm: Ledger.softwareHSM(folder), configuration: configuration,
                devBiometricKey: Ed25519.PrivateKey()))
        let port = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let app = try NodeServices.serviceApplication(api: api, configuration: configuration, logger: logger) {
            port.continuation.yield($0)
        }
        let group = ServiceGroup(configuration: .init(services: [.init(service: app)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var ports = port.stream.makeAsyncIterator()
            let bound = try #require(await ports.next())
            let url = "https://127.0.0.1:\(bound)/csc/v2/info"
            let trusted = try curl(["-sS", "--cacert", certificatePath, "-X", "POST", "-d", "{}", url])
            #expect(trusted.status == 0, "curl failed: \(trusted.output)")
            #expect(trusted.output.contains("\"specs\""))
            let untrusted = try curl(["-sS", "-X", "POST", "-d", "{}", url])
            #expect(untrusted.status != 0, "a client that does not trust the certificate must fail")
            let plain = try curl(["-sS", "--max-time", "5", "-X", "POST", "-d", "{}", "http://127.0.0.1:\(bound)/csc/v2/info"])
            #expect(!plain.output.contains("\"specs\""), "plain HTTP must not reach the API")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    func curl(_ arguments: [String]) throws -> ProcessRun {
        try runProcess("/usr/bin/curl", arguments)
    }
}
