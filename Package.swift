// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["VigilCLI"]),
        .executable(name: "vigil-dev-broker", targets: ["DevBroker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // C boundaries: one target per C library, wrapped once.
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CRDKafka", pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]),
        .target(
            name: "CCRC32C",
            cSettings: [.unsafeFlags(["-O3"])]),

        // Libraries, by layer.
        .target(
            name: "VigilCore",
            dependencies: [
                "CCRC32C",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "VigilSchemas",
            path: "Schemas",
            exclude: ["README.md", "extent-format.md", "node-api.md", "kafka-sample.md"],
            resources: [.copy("block-index"), .copy("file-journal")]),
        .target(
            name: "VigilPostgres",
            dependencies: [
                "CLibPQ", "VigilCore", "VigilSchemas",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "VigilKafka",
            dependencies: [
                "CRDKafka",
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Executables: parse options, call one builder from a library.
        .executableTarget(
            name: "VigilCLI",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "DevBroker",
            dependencies: [
                "VigilKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tests.
        .target(
            name: "VigilTestSupport",
            dependencies: ["VigilCore", "VigilPostgres", "VigilKafka"],
            path: "Tests/VigilTestSupport"),
        .testTarget(
            name: "VigilCoreTests",
            dependencies: [
                "VigilCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Corpus")]),
        .testTarget(
            name: "VigilPostgresTests",
            dependencies: ["VigilCore", "VigilPostgres", "VigilTestSupport"]),
        .testTarget(
            name: "VigilKafkaTests",
            dependencies: ["VigilKafka", "VigilCore", "VigilTestSupport"]),
    ]
)
