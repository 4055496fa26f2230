import Codecs
import Foundation
import Hummingbird
public import Ledger
import LedgerFormats
public import Logging
public import ServiceLifecycle
import Witness

/// Three witnesses in the node's own process, for development (`tamga node --dev
/// --dev-witnesses`): each with its own folder and keys under `<data>/dev-witnesses/`, on
/// 127.0.0.1 ports `basePort + 1...3`, and a policy that asks for 2 of the 3. They make the
/// whole witnessing path visible on one machine; a real deployment runs `tamga witness` on the
/// witnesses' own machines (docs/witnessing.md).
public enum DevWitnesses {
    /// The witness applications to run, and the policy file that names them.
    public static func prepare(data: String, ledger: Ledger, basePort: Int, logger: Logger) throws
        -> (services: [any Service], policy: String)
    {
        let root = data + "/dev-witnesses"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let logs = try LogList(parsing: "log \(ledger.genesis.verifierKey) tamga \(hex(ledger.genesis.hash))\n")
        var services: [any Service] = []
        var policy = "# dev witnesses of tamga node --dev: 2 of 3\nlog \(ledger.genesis.verifierKey)\n"
        for index in 1...3 {
            let folder = root + "/w\(index)"
            if !FileManager.default.fileExists(atPath: folder + "/name") {
                _ = try WitnessFolder.create(at: folder, name: "dev-w\(index).tamga.local")
            }
            let (witness, keys) = try WitnessFolder(folder).open(logs: logs)
            let port = basePort + index
            services.append(
                Application(
                    router: WitnessServer.router(witness),
                    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "tamga-dev-witness"),
                    logger: logger))
            policy += "witness w\(index) \(keys.cosigner.verifierKey) http://127.0.0.1:\(port)\n"
            policy += "witness w\(index)-blocks \(keys.blockCosigner.verifierKey)\n"
        }
        policy += "group dev 2 w1 w2 w3\nquorum dev\n"
        let path = root + "/policy"
        try Data(policy.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return (services, path)
    }
}
