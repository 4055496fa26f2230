
/// The node's data folder: where each file lives.
public struct DataFolder: Sendable {
    public let path: String
    public init(_ path: String) { self.path = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path }

    public var genesis: String { path + "/genesis.json" }
    public var masterKey: String { path + "/master.key" }
    public var logKey: String { path + "/log-key.sealed" }
    public var store: String { path + "/store" }
}
