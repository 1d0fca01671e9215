// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "imds-emulator",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "imds-emulator", targets: ["imds-emulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibevent",
            pkgConfig: "libevent_core",
            providers: [.apt(["libevent-dev"])]
        ),
        .systemLibrary(
            name: "CHTTPParser",
            providers: [.apt(["libhttp-parser-dev"])]
        ),
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "IMDSCore",
            dependencies: [
                "CYAML",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .systemLibrary(
            name: "CExpat",
            pkgConfig: "expat",
            providers: [.apt(["libexpat1-dev"])]
        ),
        // libevent's core is linked; libevent_openssl, libssl and libcrypto are loaded on
        // first use (see its header).
        .target(
            name: "CLibeventOpenSSL",
            linkerSettings: [.linkedLibrary("event_core"), .linkedLibrary("dl")]
        ),
        .target(
            name: "CredentialRefresh",
            dependencies: ["IMDSCore"]
        ),
        .target(
            name: "CredentialSources",
            dependencies: ["IMDSCore", "CExpat", "CLibeventOpenSSL", "CHTTPParser", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "EventHTTP",
            dependencies: ["CLibevent", "CHTTPParser", "IMDSCore"]
        ),
        .executableTarget(
            name: "imds-emulator",
            dependencies: [
                "IMDSCore",
                "CredentialSources",
                "CredentialRefresh",
                "EventHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "imds-fuzz",
            dependencies: ["IMDSCore", "EventHTTP"]
        ),
        .testTarget(
            name: "IMDSCoreTests",
            dependencies: [
                "IMDSCore",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "EventHTTPTests",
            dependencies: ["EventHTTP", "IMDSCore"]
        ),
        .testTarget(
            name: "CredentialRefreshTests",
            dependencies: ["CredentialRefresh", "IMDSCore"]
        ),
        .testTarget(
            name: "CredentialSourcesTests",
            dependencies: ["CredentialSources", "IMDSCore"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
