// swift-tools-version:6.1
import PackageDescription

/// Settings every Tamga target shares (STYLE.md section 2): Swift 6 mode plus the upcoming
/// features that keep imports and existentials explicit.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // Our own code builds warning-free (dependencies are not affected: root package only).
    .unsafeFlags(["-warnings-as-errors"]),
]

let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let x509: Target.Dependency = .product(name: "X509", package: "swift-certificates")
let asn1: Target.Dependency = .product(name: "SwiftASN1", package: "swift-asn1")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting: Target.Dependency = .product(name: "HummingbirdTesting", package: "hummingbird")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

let package = Package(
    name: "Tamga",
    platforms: [.macOS(.v15)],
    // Libraries for the benchmark package (Benchmarks/), which builds apart from the tests.
    products: [
        .library(name: "Backup", targets: ["Backup"]),
        .library(name: "Journal", targets: ["Journal"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LedgerFormats", targets: ["LedgerFormats"]),
        .library(name: "MerkleLog", targets: ["MerkleLog"]),
        .library(name: "LevelDB", targets: ["LevelDB"]),
        .library(name: "SignCore", targets: ["SignCore"]),
        .library(name: "Sodium", targets: ["Sodium"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
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

        // Pure formats and math, shared by the node and the auditor.
        .target(name: "MerkleLog", dependencies: [crypto], swiftSettings: swiftSettings),
        .target(name: "LedgerFormats", dependencies: [crypto], swiftSettings: swiftSettings),

        // The node: store, sequencer and daily chain.
        .target(name: "Journal", dependencies: ["LevelDB"], swiftSettings: swiftSettings),
        .target(name: "Ledger", dependencies: ["Journal", "MerkleLog", "LedgerFormats", "Sodium"], swiftSettings: swiftSettings),

        // The embedded HSM: keys that never leave, GOST-wrapped at rest, multi-factor activation.
        .target(
            name: "SignCore",
            dependencies: ["Ledger", "LedgerFormats", "Sodium", "GOST28147", crypto, x509, asn1],
            swiftSettings: swiftSettings),

        // HSM backups (R5): the data folder in a secretstream archive, its key split as SLIP-39 shares.
        .target(
            name: "Backup", dependencies: ["Ledger", "Journal", "LedgerFormats", "MerkleLog", "Sodium", "SLIP39", crypto],
            swiftSettings: swiftSettings),

        // The service face: CSC v2 signing, owners' enrolment and cabinet, operator actions.
        .target(
            name: "ServiceAPI",
            dependencies: [
                "Ledger", "LedgerFormats", "MerkleLog", "SignCore", "Sodium", crypto, hummingbird, logging,
                // The client's address for rate limits: Hummingbird does not re-export NIOCore.
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        // The public, read-only face of the chain: JSON/text API and the explorer pages.
        .target(
            name: "PublicAPI",
            dependencies: [
                "Ledger", "Journal", "MerkleLog", "LedgerFormats", hummingbird, logging,
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings),
        // The auditor's verification: public data and the genesis only, never node code.
        .target(name: "Audit", dependencies: ["MerkleLog", "LedgerFormats", crypto], swiftSettings: swiftSettings),
        .executableTarget(
            name: "tamga-audit",
            dependencies: ["Audit", "MerkleLog", "LedgerFormats", crypto, .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),
        .target(name: "Explorer", dependencies: ["Ledger", "LedgerFormats", "MerkleLog", hummingbird, logging], swiftSettings: swiftSettings),

        // The node: ledger and listeners as services in one group.
        .target(
            name: "Node",
            dependencies: [
                "Ledger", "LedgerFormats", "PublicAPI", "Explorer", "ServiceAPI", "SignCore", "Sodium", hummingbird,
                .product(name: "HummingbirdCore", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                logging,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        .executableTarget(
            name: "tamga",
            dependencies: [
                "Ledger", "LedgerFormats", "MerkleLog", "Sodium", "Node", "Backup", crypto, logging,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // What the test targets share: a manual clock, scratch folders, running built tools.
        .target(name: "TestSupport", dependencies: ["Ledger"], path: "Tests/TestSupport", swiftSettings: swiftSettings),

        .testTarget(name: "SodiumTests", dependencies: ["Sodium"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(name: "LevelDBTests", dependencies: ["LevelDB"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgerTests", dependencies: ["TestSupport", "Ledger", "Journal", "MerkleLog", "LedgerFormats"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LedgerFormatsTests", dependencies: ["TestSupport", "LedgerFormats", crypto], resources: [.copy("Resources")],
            swiftSettings: swiftSettings),
        .testTarget(name: "MerkleLogTests", dependencies: ["MerkleLog"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(name: "SLIP39Tests", dependencies: ["SLIP39", crypto], resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(
            name: "SignCoreTests", dependencies: ["TestSupport", "SignCore", "Ledger", "LedgerFormats", "Sodium", "GOST28147", crypto, x509, asn1],
            resources: [.copy("Resources")], swiftSettings: swiftSettings),
        .testTarget(
            name: "PublicAPITests",
            dependencies: ["TestSupport", "PublicAPI", "Ledger", "MerkleLog", "LedgerFormats", hummingbird, hummingbirdTesting, logging],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ExplorerTests",
            dependencies: ["TestSupport", "Explorer", "Ledger", "LedgerFormats", "MerkleLog", hummingbird, hummingbirdTesting],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "TestSupport", "Node", "Ledger", "LedgerFormats", "Sodium", crypto, x509, asn1, logging,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AuditTests", dependencies: ["TestSupport", "Audit", "Ledger", "LedgerFormats", "MerkleLog", "PublicAPI", "Sodium"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ServiceAPITests",
            dependencies: [
                "TestSupport", "ServiceAPI", "SignCore", "Ledger", "LedgerFormats", "Sodium", crypto, x509, asn1,
                hummingbird, hummingbirdTesting, logging,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BackupTests",
            dependencies: ["TestSupport", "Backup", "Ledger", "Journal", "LedgerFormats", "MerkleLog", "Sodium", "SLIP39", "SignCore", crypto],
            swiftSettings: swiftSettings),
        .testTarget(name: "GOST28147Tests", dependencies: ["GOST28147"], resources: [.copy("Resources")], swiftSettings: swiftSettings),
    ]
)
