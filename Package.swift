// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["VigilCLI"]),
        .executable(name: "vigil-dev-broker", targets: ["DevBroker"]),
        .executable(name: "vigil-node", targets: ["NodeDaemon"]),
        .executable(name: "vigil-frontend", targets: ["FrontendDaemon"]),
        .executable(name: "vigil-master", targets: ["MasterDaemon"]),
        .executable(name: "vigil-disk-scrubber", targets: ["DiskScrubberMain"]),
        .executable(name: "vigil-metadata-scanner", targets: ["MetadataScannerMain"]),
        .executable(name: "vigil-storage-watcher", targets: ["StorageWatcherMain"]),
        .executable(name: "vigil-cross-zone-verifier", targets: ["CrossZoneVerifierMain"]),
        .executable(name: "vigil-trash-inspector", targets: ["TrashInspectorMain"]),
        .executable(name: "vigil-extent-referee", targets: ["ExtentRefereeMain"]),
        .executable(name: "vigil-bench", targets: ["Bench"]),
        .executable(name: "vigil-fuzz", targets: ["Fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
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
            exclude: ["README.md", "extent-format.md", "node-api.md", "kafka-sample.md", "findings.md"],
            resources: [.copy("block-index"), .copy("file-journal"), .copy("ledger")]),
        .target(
            name: "VigilPostgres",
            dependencies: [
                "CLibPQ", "VigilCore", "VigilSchemas",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The verifier ledger: its vocabulary and the one reader of findings and passes.
        .target(
            name: "VigilLedger",
            dependencies: ["VigilCore", "VigilPostgres"]),
        .target(
            name: "VigilTelemetry",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "VigilDaemon",
            dependencies: [
                "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "VigilNode",
            dependencies: [
                "VigilCore", "VigilTelemetry",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),
        .target(
            name: "VigilFrontend",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilKafka", "VigilNodeClient", "VigilTelemetry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),
        .target(
            name: "VigilMaster",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilNodeClient", "VigilTelemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The base of every Vigil HTTP client: one error model, cancellation kept apart from "unreachable".
        .target(
            name: "VigilServiceClient",
            dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .target(
            name: "VigilFrontendClient",
            dependencies: [
                "VigilCore", "VigilServiceClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .target(
            name: "VigilDRT",
            dependencies: ["VigilCore", "VigilDev", "VigilPostgres", "VigilKafka", "VigilNodeClient", "VigilFrontendClient", "VigilStorageWatcher", "VigilVerifier"]),
        // The durability model: pure arithmetic over measured and assumed inputs.
        .target(name: "VigilDurability"),
        .target(
            name: "VigilGate",
            dependencies: ["VigilCore", "VigilLedger", "VigilPostgres"]),
        .target(
            name: "VigilDev",
            dependencies: [
                "VigilCore", "VigilPostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .target(
            name: "VigilNodeClient",
            dependencies: [
                "VigilCore", "VigilServiceClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .target(
            name: "VigilKafka",
            dependencies: [
                "CRDKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // The verifier runtime every verifier shares.
        .target(
            name: "VigilVerifier",
            dependencies: [
                "VigilCore", "VigilLedger", "VigilPostgres", "VigilTelemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // The verifiers: what each checks, as a library, and a thin executable.
        .target(
            name: "VigilDiskScrubber",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilVerifier", "VigilTelemetry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Verifiers/DiskScrubber/Library"),
        .executableTarget(
            name: "DiskScrubberMain",
            dependencies: [
                "VigilDiskScrubber", "VigilDaemon", "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Verifiers/DiskScrubber/Main"),

        .target(
            name: "VigilMetadataScanner",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilVerifier", "VigilTelemetry", "VigilNodeClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Verifiers/MetadataScanner/Library"),
        .executableTarget(
            name: "MetadataScannerMain",
            dependencies: [
                "VigilMetadataScanner", "VigilDaemon", "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Verifiers/MetadataScanner/Main"),

        // The storage watcher is a black box: the public client, Kafka and the
        // verifier runtime only (StorageWatcherTests checks this list).
        .target(
            name: "VigilStorageWatcher",
            dependencies: [
                "VigilCore", "VigilFrontendClient", "VigilKafka", "VigilVerifier", "VigilTelemetry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Verifiers/StorageWatcher/Library"),
        .executableTarget(
            name: "StorageWatcherMain",
            dependencies: [
                "VigilStorageWatcher", "VigilDaemon", "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Verifiers/StorageWatcher/Main"),

        .target(
            name: "VigilCrossZoneVerifier",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilVerifier", "VigilTelemetry", "VigilNodeClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Verifiers/CrossZoneVerifier/Library"),
        .executableTarget(
            name: "CrossZoneVerifierMain",
            dependencies: [
                "VigilCrossZoneVerifier", "VigilDaemon", "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Verifiers/CrossZoneVerifier/Main"),

        .target(
            name: "VigilTrashInspector",
            dependencies: [
                "VigilCore", "VigilLedger", "VigilPostgres", "VigilVerifier", "VigilTelemetry", "VigilNodeClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Verifiers/TrashInspector/Library"),
        .executableTarget(
            name: "TrashInspectorMain",
            dependencies: [
                "VigilTrashInspector", "VigilDaemon", "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Verifiers/TrashInspector/Main"),

        .target(
            name: "VigilExtentReferee",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilVerifier", "VigilTelemetry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Verifiers/ExtentReferee/Library"),
        .executableTarget(
            name: "ExtentRefereeMain",
            dependencies: [
                "VigilExtentReferee", "VigilDaemon", "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Verifiers/ExtentReferee/Main"),

        // Executables: parse options, call one builder from a library.
        .executableTarget(
            name: "VigilCLI",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilKafka", "VigilDev", "VigilFrontendClient", "VigilNodeClient", "VigilGate", "VigilDRT", "VigilLedger", "VigilVerifier", "VigilDurability",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "NodeDaemon",
            dependencies: [
                "VigilNode", "VigilDaemon", "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "FrontendDaemon",
            dependencies: [
                "VigilFrontend", "VigilDaemon", "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "MasterDaemon",
            dependencies: [
                "VigilMaster", "VigilDaemon", "VigilTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .executableTarget(
            name: "Fuzz",
            dependencies: ["VigilCore"]),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "VigilCore", "VigilDev", "VigilFrontendClient", "VigilKafka", "VigilMetadataScanner", "VigilNodeClient", "VigilPostgres",
                "VigilStorageWatcher", "VigilVerifier",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
            dependencies: ["VigilCore", "VigilPostgres", "VigilKafka", "VigilDev", "VigilNodeClient", "VigilFrontendClient"],
            path: "Tests/VigilTestSupport"),
        .testTarget(
            name: "VigilCoreTests",
            dependencies: [
                "VigilCore", "Fuzz",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Corpus"), .copy("FuzzSeeds")]),
        .testTarget(
            name: "VigilNodeTests",
            dependencies: ["VigilCore", "VigilNode", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "VigilPostgresTests",
            dependencies: ["VigilCore", "VigilLedger", "VigilPostgres", "VigilTestSupport"]),
        .testTarget(
            name: "VigilStoreTests",
            dependencies: [
                "VigilCore", "VigilDev", "VigilFrontend", "VigilFrontendClient", "VigilKafka", "VigilNodeClient", "VigilPostgres",
                "VigilTelemetry", "VigilTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "VigilVerifierTests",
            dependencies: ["VigilVerifier", "VigilPostgres", "VigilTestSupport"]),
        .testTarget(
            name: "DiskScrubberTests",
            dependencies: [
                "VigilCore", "VigilDev", "VigilNodeClient", "VigilPostgres", "VigilTestSupport", "VigilFrontendClient",
                "VigilDiskScrubber", "VigilVerifier",
            ],
            path: "Tests/DiskScrubberTests"),
        .testTarget(
            name: "MetadataScannerTests",
            dependencies: ["VigilCore", "VigilDev", "VigilPostgres", "VigilTestSupport", "VigilFrontendClient", "VigilMetadataScanner"],
            path: "Tests/MetadataScannerTests"),
        .testTarget(
            name: "StorageWatcherTests",
            dependencies: [
                "VigilCore", "VigilDev", "VigilKafka", "VigilPostgres", "VigilTestSupport", "VigilFrontendClient", "VigilStorageWatcher",
            ],
            path: "Tests/StorageWatcherTests"),
        .testTarget(
            name: "CrossZoneVerifierTests",
            dependencies: ["VigilCore", "VigilDev", "VigilPostgres", "VigilTestSupport", "VigilFrontendClient", "VigilCrossZoneVerifier"],
            path: "Tests/CrossZoneVerifierTests"),
        .testTarget(
            name: "DeletionSafetyTests",
            dependencies: [
                "VigilCore", "VigilDev", "VigilNodeClient", "VigilPostgres", "VigilTestSupport", "VigilFrontendClient", "VigilExtentReferee",
                "VigilTrashInspector", "VigilVerifier",
            ],
            path: "Tests/DeletionSafetyTests"),
        .testTarget(
            name: "OperabilityTests",
            dependencies: [
                "VigilCore", "VigilDev", "VigilPostgres", "VigilTestSupport", "VigilFrontendClient",
                "VigilNodeClient", "VigilDaemon", "VigilTelemetry",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/OperabilityTests"),
        .testTarget(
            name: "DRTTests",
            dependencies: ["VigilCore", "VigilDev", "VigilDRT", "VigilTestSupport"],
            path: "Tests/DRTTests"),
        // Every attack of the "no bypass" issue against a running cluster:
        // `Scripts/security` runs this target alone; the suite runs it too.
        .testTarget(
            name: "SecurityTests",
            dependencies: [
                "VigilCore", "VigilDev", "VigilFrontendClient", "VigilKafka", "VigilLedger", "VigilNodeClient", "VigilPostgres",
                "VigilTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/SecurityTests"),
        .testTarget(
            name: "DurabilityTests",
            dependencies: ["VigilDurability"]),
        .testTarget(
            name: "VigilKafkaTests",
            dependencies: ["VigilKafka", "VigilCore", "VigilTestSupport"]),
    ]
)
