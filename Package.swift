// swift-tools-version:6.1
import PackageDescription

/// Settings every Tamga target shares: Swift 6 mode plus the upcoming
/// features that keep imports and existentials explicit. Warnings are errors in the test
/// command (`tools/test`), not here, so that other packages can depend on Tamga's libraries.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let x509: Target.Dependency = .product(name: "X509", package: "swift-certificates")
let asn1: Target.Dependency = .product(name: "SwiftASN1", package: "swift-asn1")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting: Target.Dependency = .product(name: "HummingbirdTesting", package: "hummingbird")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")

let package = Package(
    name: "Tamga",
    platforms: [.macOS(.v15)],
    // Libraries for the benchmark package (Benchmarks/), which builds apart from the tests.
    products: [
        .library(name: "Backup", targets: ["Backup"]),
        .library(name: "Codecs", targets: ["Codecs"]),
        .library(name: "HSMBoundary", targets: ["HSMBoundary"]),
        .library(name: "Journal", targets: ["Journal"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LedgerFormats", targets: ["LedgerFormats"]),
        .library(name: "MerkleLog", targets: ["MerkleLog"]),
        .library(name: "LevelDB", targets: ["LevelDB"]),
        .library(name: "PublicLog", targets: ["PublicLog"]),
        .library(name: "SignCore", targets: ["SignCore"]),
        .library(name: "Sodium", targets: ["Sodium"]),
        .library(name: "Witness", targets: ["Witness"]),
        .library(name: "Node", targets: ["Node"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    // The module graph (docs/architecture.md): every arrow points down this list.
    targets: [
        // C libraries. LevelDB ships no pkg-config file on Debian: the module map links it.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CLevelDB", providers: [.apt(["libleveldb-dev"])]),

        // Safe wrappers: the only modules that import the C ones.
        .target(name: "Sodium", dependencies: ["CSodium"], swiftSettings: swiftSettings),
        .target(name: "LevelDB", dependencies: ["CLevelDB"], swiftSettings: swiftSettings),

        // GOST 28147-89 and the RFC 4357 key wraps: the law names it, no library here has it.
        .target(name: "GOST28147", swiftSettings: swiftSettings),

        // SLIP-0039 Shamir mnemonics: how the HSM backup key is split M-of-N (R5).
        .target(name: "SLIP39", dependencies: [crypto], swiftSettings: swiftSettings),

        // Pure codecs, formats and math, shared by the node and the auditor.
        .target(name: "Codecs", swiftSettings: swiftSettings),
        .target(name: "MerkleLog", dependencies: ["Codecs", crypto], swiftSettings: swiftSettings),
        .target(name: "LedgerFormats", dependencies: ["Codecs", crypto], swiftSettings: swiftSettings),

        // The narrow doors: what the public face reads of a log, and what the HSM needs of the
        // journal and of its key backend (with the software backend).
        .target(name: "PublicLog", dependencies: ["LedgerFormats", "MerkleLog"], swiftSettings: swiftSettings),
        .target(
            name: "HSMBoundary", dependencies: ["LedgerFormats", "MerkleLog", "Sodium"], swiftSettings: swiftSettings),

        // The node: store, sequencer and daily chain.
        .target(name: "Journal", dependencies: ["LevelDB"], swiftSettings: swiftSettings),
        .target(
            name: "Ledger",
            dependencies: ["Journal", "HSMBoundary", "PublicLog", "MerkleLog", "LedgerFormats", "Sodium"],
            swiftSettings: swiftSettings),

        // The embedded HSM: keys that never leave, GOST-wrapped at rest, multi-factor activation.
        // It journals through HSMBoundary's protocol and never sees the ledger.
        .target(
            name: "SignCore",
            dependencies: ["Codecs", "HSMBoundary", "LedgerFormats", "Sodium", "GOST28147", crypto, x509, asn1],
            swiftSettings: swiftSettings),

        // HSM backups (R5): the data folder in a secretstream archive, its key split as SLIP-39 shares.
        .target(
            name: "Backup",
            dependencies: [
                "Codecs", "HSMBoundary", "Ledger", "Journal", "LedgerFormats", "LevelDB", "MerkleLog", "PublicLog", "Sodium", "SLIP39",
                crypto,
            ],
            swiftSettings: swiftSettings),

        // The public, read-only face of the chain: JSON/text API and the explorer pages. Both
        // read a PublicLogReader only: no ledger, no journal, no HSM.
        .target(
            name: "PublicAPI",
            dependencies: [
                "Codecs", "PublicLog", "MerkleLog", "LedgerFormats", hummingbird, logging,
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "Explorer", dependencies: ["Codecs", "PublicAPI", "PublicLog", "LedgerFormats", "MerkleLog", hummingbird, logging],
            swiftSettings: swiftSettings),

        // The service face: CSC v2 signing, owners' enrolment and cabinet, operator actions.
        .target(
            name: "ServiceAPI",
            dependencies: [
                "Codecs", "PublicLog", "LedgerFormats", "MerkleLog", "SignCore", "Sodium", crypto, hummingbird, logging,
                // The client's address for rate limits: Hummingbird does not re-export NIOCore.
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        // The node: ledger and listeners as services in one group; the one place that wires
        // the ledger to each door.
        .target(
            name: "Node",
            dependencies: [
                "Codecs", "HSMBoundary", "Ledger", "LedgerFormats", "MerkleLog", "PublicAPI", "PublicLog", "Explorer",
                "BoundedHTTP", "ServiceAPI", "SignCore", "Sodium", "Witness", hummingbird,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                logging, serviceLifecycle, .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // A C2SP tlog-witness for any log, with the Tamga daily-block statement.
        .target(
            name: "Witness",
            dependencies: [
                "BoundedHTTP", "Codecs", "HSMBoundary", "LedgerFormats", "LevelDB", "MerkleLog", "Sodium", hummingbird, logging,
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings),

        // HTTP to servers Tamga does not trust: a deadline over head and body, capped bodies.
        .target(
            name: "BoundedHTTP",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        // The auditor's verification: public data and the genesis only, never node code.
        .target(
            name: "Audit",
            dependencies: [
                "BoundedHTTP", "Codecs", "MerkleLog", "LedgerFormats", crypto,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings),

        // The executables: parse arguments and wire.
        .executableTarget(
            name: "tamga",
            dependencies: [
                "Codecs", "HSMBoundary", "Ledger", "Witness", "LedgerFormats", "MerkleLog", "PublicLog", "Sodium", "Node",
                "Backup", crypto,
                hummingbird, logging, serviceLifecycle, .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                argumentParser,
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "tamga-audit", dependencies: ["Codecs", "Audit", "MerkleLog", "LedgerFormats", crypto, argumentParser],
            swiftSettings: swiftSettings),

        // What the test targets share: a manual clock, scratch folders, running built tools,
        // an in-memory journal for the HSM.
        .target(
            name: "TestSupport", dependencies: ["Ledger", "LedgerFormats", "HSMBoundary", "MerkleLog", "Sodium"], path: "Tests/TestSupport",
            swiftSettings: swiftSettings),

        .testTarget(name: "CodecsTests", dependencies: ["Codecs"], swiftSettings: swiftSettings),
        .testTarget(name: "SodiumTests", dependencies: ["Sodium"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(name: "LevelDBTests", dependencies: ["LevelDB"], swiftSettings: swiftSettings),
        .testTarget(name: "JournalTests", dependencies: ["Journal", "LevelDB"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgerTests",
            dependencies: ["TestSupport", "Codecs", "HSMBoundary", "Ledger", "Journal", "MerkleLog", "LedgerFormats", "PublicLog"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgerFormatsTests", dependencies: ["TestSupport", "Codecs", "LedgerFormats", crypto], resources: [.copy("Resources")],
            swiftSettings: swiftSettings),
        .testTarget(name: "MerkleLogTests", dependencies: ["MerkleLog"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(name: "SLIP39Tests", dependencies: ["SLIP39", crypto], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(
            name: "SignCoreTests",
            dependencies: [
                "TestSupport", "Codecs", "SignCore", "HSMBoundary", "Ledger", "PublicLog", "LedgerFormats", "Sodium", "GOST28147", crypto, x509, asn1,
            ],
            resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(
            name: "PublicAPITests",
            dependencies: [
                "TestSupport", "Codecs", "PublicAPI", "PublicLog", "HSMBoundary", "Ledger", "MerkleLog", "LedgerFormats", hummingbird,
                hummingbirdTesting, logging,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ExplorerTests",
            dependencies: [
                "TestSupport", "Codecs", "Explorer", "PublicAPI", "HSMBoundary", "Ledger", "PublicLog", "LedgerFormats", "MerkleLog", hummingbird,
                hummingbirdTesting,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "TestSupport", "Codecs", "Node", "Witness", hummingbird, "HSMBoundary", "Ledger", "PublicLog", "LedgerFormats", "Sodium", crypto, x509, asn1, logging,
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AuditTests",
            dependencies: ["TestSupport", "Codecs", "Audit", "HSMBoundary", "Ledger", "PublicLog", "LedgerFormats", "MerkleLog", "PublicAPI", "Sodium"],
            exclude: ["hostile-server.py"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ServiceAPITests",
            dependencies: [
                "TestSupport", "Codecs", "ServiceAPI", "SignCore", "HSMBoundary", "Ledger", "PublicLog", "LedgerFormats", "Sodium", crypto,
                x509, asn1, hummingbird, hummingbirdTesting, logging, .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BackupTests",
            dependencies: [
                "TestSupport", "Codecs", "Backup", "HSMBoundary", "Ledger", "PublicLog", "Journal", "LedgerFormats", "LevelDB", "MerkleLog",
                "Sodium", "SLIP39", "SignCore", crypto,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "WitnessTests",
            dependencies: [
                "TestSupport", "Witness", "Codecs", "HSMBoundary", "Ledger", "LedgerFormats", "MerkleLog", "PublicLog", "PublicAPI",
                crypto, hummingbird, hummingbirdTesting, serviceLifecycle, logging,
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "GOST28147Tests", dependencies: ["GOST28147"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
    ]
)
