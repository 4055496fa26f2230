import Foundation

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
    /// The identifier journaled as `owner` of node-level events (start, stop).
    public var operatorID: String = "operator"

    public init() {}

    enum CodingKeys: String, CodingKey { case data, publicHost, publicPort, serviceHost, servicePort, operatorID }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = NodeConfiguration()
        data = try c.decodeIfPresent(String.self, forKey: .data) ?? d.data
        publicHost = try c.decodeIfPresent(String.self, forKey: .publicHost) ?? d.publicHost
        publicPort = try c.decodeIfPresent(Int.self, forKey: .publicPort) ?? d.publicPort
        serviceHost = try c.decodeIfPresent(String.self, forKey: .serviceHost) ?? d.serviceHost
        servicePort = try c.decodeIfPresent(Int.self, forKey: .servicePort) ?? d.servicePort
        operatorID = try c.decodeIfPresent(String.self, forKey: .operatorID) ?? d.operatorID
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
        let known = Set([CodingKeys.data, .publicHost, .publicPort, .serviceHost, .servicePort, .operatorID].map(\.rawValue))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw NodeError("the configuration file \(path) has an unknown key \"\(unknown)\"; known keys: \(known.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(NodeConfiguration.self, from: data)
        } catch {
            throw NodeError("the configuration file \(path) is invalid: \(error)")
        }
    }
}

/// An error the operator must act on, said plainly.
public struct NodeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
