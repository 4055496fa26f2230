import Codecs
import Foundation
import NIOCore

/// The node's configuration file (JSON). Every field has a default; see docs/configuration.md.
public struct NodeConfiguration: Codable, Sendable, Equatable {
    /// The data folder (genesis, keys, store).
    public var data: String = ".tamga-dev"
    /// Where the public, read-only API listens. Safe to expose to the Internet.
    public var publicHost: String = "127.0.0.1"
    public var publicPort: Int = 8080
    /// Where the service API (signing, owners, operators) listens. Keep it on loopback or a
    /// private network behind TLS: it accepts passwords (sealed) and operator commands.
    public var serviceHost: String = "127.0.0.1"
    public var servicePort: Int = 8081
    /// PEM files of the service API's TLS certificate chain and private key; both or neither.
    public var serviceTLSCertificate: String?
    public var serviceTLSKey: String?
    /// The CA biometric service's Ed25519 public key (base64): the service API runs only when it
    /// is set (or with `--dev`, which makes a stand-in service).
    public var biometricServiceKey: String?
    /// Whether every key needs a TOTP code as a third factor.
    public var requireTOTP: Bool = false
    /// The lowest biometric match score (per mille, 0 to 1000) accepted from the biometric service.
    public var minimumBiometricScore = 700
    /// Lowercase hex SHA-256 of the operator's bearer token (`tamga operator-token`); the
    /// operator routes are closed without it. The token itself is never in the file.
    public var operatorTokenSHA256: String?
    /// The identifier journaled as `owner` of node-level events (start, stop).
    public var operatorID: String = "operator"
    /// A witness policy file (C2SP tlog-policy): the node submits its checkpoints and blocks to
    /// its witnesses and serves the newest checkpoint that meets its quorum (docs/witnessing.md).
    public var witnessPolicy: String?
    /// The least time between two submission rounds to the witnesses, in seconds.
    public var witnessInterval: Double = 1
    /// Per listener (public and service): open connections at most, and how long a client may
    /// take, in seconds, to send a request head after connecting (`headerTimeout`), a body
    /// (`bodyTimeout`), and the next head after a response (`idleTimeout`). See `ListenerLimits`.
    public var maxConnections = ListenerLimits().maxConnections
    public var headerTimeout: Double = 10
    public var bodyTimeout: Double = 30
    public var idleTimeout: Double = 60
    /// Service API requests per minute from one client network (the burst is a sixth of it).
    public var requestsPerMinute = 6_000
    /// How many leading address bits name a client's network for the service API's rate limits.
    public var addressPrefixV4 = 24
    public var addressPrefixV6 = 64
    /// The Argon2id cost of new key wraps: memory in MiB and passes, never below OWASP's minimum
    /// (19 MiB, 2 passes). Keys wrapped at less are re-wrapped at this cost on their next use.
    public var argon2MemoryMiB = 19
    public var argon2Passes = 2
    /// How long one transport key may be used, in hours (a new one is published after half).
    public var transportKeyHours: Double = 24

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case data, publicHost, publicPort, serviceHost, servicePort, serviceTLSCertificate, serviceTLSKey
        case biometricServiceKey, requireTOTP, minimumBiometricScore, operatorTokenSHA256, operatorID, witnessPolicy, witnessInterval
        case maxConnections, headerTimeout, bodyTimeout, idleTimeout, requestsPerMinute, addressPrefixV4, addressPrefixV6
        case argon2MemoryMiB, argon2Passes, transportKeyHours
    }

    /// The listeners' limits, from the settings above.
    public var listenerLimits: ListenerLimits {
        var limits = ListenerLimits()
        limits.maxConnections = maxConnections
        limits.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
        limits.bodyTimeout = .milliseconds(Int64(bodyTimeout * 1000))
        limits.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        return limits
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = NodeConfiguration()
        data = try c.decodeIfPresent(String.self, forKey: .data) ?? d.data
        publicHost = try c.decodeIfPresent(String.self, forKey: .publicHost) ?? d.publicHost
        publicPort = try c.decodeIfPresent(Int.self, forKey: .publicPort) ?? d.publicPort
        serviceHost = try c.decodeIfPresent(String.self, forKey: .serviceHost) ?? d.serviceHost
        servicePort = try c.decodeIfPresent(Int.self, forKey: .servicePort) ?? d.servicePort
        serviceTLSCertificate = try c.decodeIfPresent(String.self, forKey: .serviceTLSCertificate)
        serviceTLSKey = try c.decodeIfPresent(String.self, forKey: .serviceTLSKey)
        biometricServiceKey = try c.decodeIfPresent(String.self, forKey: .biometricServiceKey)
        requireTOTP = try c.decodeIfPresent(Bool.self, forKey: .requireTOTP) ?? d.requireTOTP
        minimumBiometricScore = try c.decodeIfPresent(Int.self, forKey: .minimumBiometricScore) ?? d.minimumBiometricScore
        operatorTokenSHA256 = try c.decodeIfPresent(String.self, forKey: .operatorTokenSHA256)
        operatorID = try c.decodeIfPresent(String.self, forKey: .operatorID) ?? d.operatorID
        witnessPolicy = try c.decodeIfPresent(String.self, forKey: .witnessPolicy)
        witnessInterval = try c.decodeIfPresent(Double.self, forKey: .witnessInterval) ?? d.witnessInterval
        maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections) ?? d.maxConnections
        headerTimeout = try c.decodeIfPresent(Double.self, forKey: .headerTimeout) ?? d.headerTimeout
        bodyTimeout = try c.decodeIfPresent(Double.self, forKey: .bodyTimeout) ?? d.bodyTimeout
        idleTimeout = try c.decodeIfPresent(Double.self, forKey: .idleTimeout) ?? d.idleTimeout
        requestsPerMinute = try c.decodeIfPresent(Int.self, forKey: .requestsPerMinute) ?? d.requestsPerMinute
        addressPrefixV4 = try c.decodeIfPresent(Int.self, forKey: .addressPrefixV4) ?? d.addressPrefixV4
        addressPrefixV6 = try c.decodeIfPresent(Int.self, forKey: .addressPrefixV6) ?? d.addressPrefixV6
        argon2MemoryMiB = try c.decodeIfPresent(Int.self, forKey: .argon2MemoryMiB) ?? d.argon2MemoryMiB
        argon2Passes = try c.decodeIfPresent(Int.self, forKey: .argon2Passes) ?? d.argon2Passes
        transportKeyHours = try c.decodeIfPresent(Double.self, forKey: .transportKeyHours) ?? d.transportKeyHours
    }

    /// Reads a configuration file; unknown keys are refused so a typo is not silently ignored.
    public static func load(from path: String) throws -> NodeConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NodeError("cannot read the configuration file \(path): \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NodeError("the configuration file \(path) is not a JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw NodeError("the configuration file \(path) has an unknown key \"\(unknown)\"; known keys: \(known.sorted().joined(separator: ", "))")
        }
        let configuration: NodeConfiguration
        do {
            configuration = try JSONDecoder().decode(NodeConfiguration.self, from: data)
        } catch {
            throw NodeError("the configuration file \(path) is invalid: \(error)")
        }
        try configuration.validate(source: "the configuration file \(path)")
        return configuration
    }

    /// Checks the values a JSON type cannot: key lengths, hex, paired TLS files.
    public func validate(source: String = "the configuration") throws {
        if let key = biometricServiceKey, Base64.decode(key)?.count != 32 {
            throw NodeError("\(source): biometricServiceKey must be the base64 of a 32-byte Ed25519 public key")
        }
        if let hash = operatorTokenSHA256, hash.utf8.count != 64 || !hash.utf8.allSatisfy(Self.isLowerHex) {
            throw NodeError("\(source): operatorTokenSHA256 must be 64 lowercase hex digits; make it with `tamga operator-token`")
        }
        if (serviceTLSCertificate == nil) != (serviceTLSKey == nil) {
            throw NodeError("\(source): give both serviceTLSCertificate and serviceTLSKey, or neither")
        }
        guard witnessInterval.isFinite, (0.05...3600).contains(witnessInterval) else {
            throw NodeError("\(source): witnessInterval is in seconds, from 0.05 to 3600, not \(witnessInterval)")
        }
        guard (0...1000).contains(minimumBiometricScore) else {
            throw NodeError("\(source): minimumBiometricScore is per mille, from 0 to 1000, not \(minimumBiometricScore)")
        }
        guard (1...100_000).contains(maxConnections) else {
            throw NodeError("\(source): maxConnections is per listener, from 1 to 100000, not \(maxConnections)")
        }
        for (key, value) in [("headerTimeout", headerTimeout), ("bodyTimeout", bodyTimeout), ("idleTimeout", idleTimeout)] {
            guard value.isFinite, (0.1...3600).contains(value) else {
                throw NodeError("\(source): \(key) is in seconds, from 0.1 to 3600, not \(value)")
            }
        }
        guard (19...4096).contains(argon2MemoryMiB), (2...64).contains(argon2Passes) else {
            throw NodeError(
                "\(source): argon2MemoryMiB is 19 to 4096 and argon2Passes 2 to 64 (OWASP's minimum is 19 MiB and 2 passes), "
                    + "not \(argon2MemoryMiB) and \(argon2Passes)")
        }
        guard transportKeyHours.isFinite, (0.25...168).contains(transportKeyHours) else {
            throw NodeError("\(source): transportKeyHours is 0.25 to 168 (7 days), not \(transportKeyHours)")
        }
        guard (60...100_000_000).contains(requestsPerMinute) else {
            throw NodeError("\(source): requestsPerMinute is 60 to 100000000, not \(requestsPerMinute)")
        }
        guard (8...32).contains(addressPrefixV4), (16...128).contains(addressPrefixV6) else {
            throw NodeError(
                "\(source): addressPrefixV4 is 8 to 32 bits and addressPrefixV6 16 to 128, not \(addressPrefixV4) and \(addressPrefixV6)")
        }
    }

    private static func isLowerHex(_ c: UInt8) -> Bool { (48...57).contains(c) || (97...102).contains(c) }
}

/// An error the operator must act on, said plainly.
public struct NodeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
