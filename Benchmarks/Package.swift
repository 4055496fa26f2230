// swift-tools-version:6.1
import PackageDescription

/// The benchmarks are their own package so that `swift build` and `swift test` of Tamga never
/// compile them. They use Tamga through its library products, by path.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "TamgaBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Tamga", path: ".."),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "tamga-bench",
            dependencies: [
                .product(name: "Backup", package: "Tamga"),
                .product(name: "HSMBoundary", package: "Tamga"),
                .product(name: "Journal", package: "Tamga"),
                .product(name: "Ledger", package: "Tamga"),
                .product(name: "LedgerFormats", package: "Tamga"),
                .product(name: "MerkleLog", package: "Tamga"),
                .product(name: "PublicLog", package: "Tamga"),
                .product(name: "LevelDB", package: "Tamga"),
                .product(name: "SignCore", package: "Tamga"),
                .product(name: "Sodium", package: "Tamga"),
                .product(name: "Witness", package: "Tamga"),
                .product(name: "Node", package: "Tamga"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings)
    ]
)
