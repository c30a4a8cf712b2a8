// swift-tools-version:6.1
import PackageDescription

import class Foundation.ProcessInfo

/// One settings list for every target: Swift 6 mode comes from the tools
/// version; these make imports and existentials explicit.
var settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]
// CI builds with warnings as errors for beian's own targets (dependencies keep theirs).
if ProcessInfo.processInfo.environment["BEIAN_WERROR"] != nil {
    settings.append(.unsafeFlags(["-warnings-as-errors"]))
}

func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

var targets: [Target] = [
    systemLibrary("CPcap", pkgConfig: "libpcap", apt: "libpcap-dev"),
    systemLibrary("CMaxMindDB", pkgConfig: "libmaxminddb", apt: "libmaxminddb-dev"),
    systemLibrary("CLibXML2", pkgConfig: "libxml-2.0", apt: "libxml2-dev"),
    systemLibrary("CIDN2", pkgConfig: "libidn2", apt: "libidn2-dev"),
    systemLibrary("CZlibBeian", pkgConfig: "zlib", apt: "zlib1g-dev"),
    systemLibrary("CBrotli", pkgConfig: "libbrotlidec", apt: "libbrotli-dev"),
    systemLibrary("CDeflate", pkgConfig: "libdeflate", apt: "libdeflate-dev"),

    .target(name: "BeianCore", dependencies: ["CIDN2", "CZlibBeian", "CDeflate"], swiftSettings: settings),
    .target(
        name: "BeianRegistry",
        dependencies: ["BeianCore", "CLibXML2", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
        swiftSettings: settings
    ),
    .target(name: "CBeianKernels", path: "Sources/CBeianKernels"),
    .target(
        name: "BeianIndex",
        dependencies: ["BeianCore", "BeianRegistry", "CBeianKernels", .product(name: "Crypto", package: "swift-crypto")],
        swiftSettings: settings
    ),
    .target(
        name: "BeianPackets",
        dependencies: [
            "BeianCore", .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"),
        ],
        swiftSettings: settings
    ),
    .target(name: "BeianCapture", dependencies: ["BeianCore", "BeianPackets", "CPcap"], swiftSettings: settings),
    .target(name: "BeianLogs", dependencies: ["BeianCore"], swiftSettings: settings),
    .target(
        name: "BeianReport",
        dependencies: [
            "BeianCore", "BeianRegistry", "BeianIndex", "BeianGeo", "BeianScan", "BeianCrawler", "BeianHistory",
            .product(name: "Mustache", package: "swift-mustache"),
        ],
        swiftSettings: settings),
    .target(
        name: "BeianScan",
        dependencies: [
            "BeianCore", "BeianIndex", "BeianGeo", "BeianPackets", "BeianCapture", "BeianLogs", "BeianHomepages", "BeianCrawler",
        ],
        swiftSettings: settings),
    .target(name: "BeianGeo", dependencies: ["BeianCore", "CMaxMindDB"], swiftSettings: settings),
    .target(
        name: "BeianHomepages", dependencies: ["BeianCore", "CBrotli", .product(name: "Crypto", package: "swift-crypto")],
        swiftSettings: settings),
    .target(
        name: "BeianCrawler",
        dependencies: [
            "BeianCore", "BeianHomepages", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ],
        swiftSettings: settings),
    .executableTarget(
        name: "BeianCLI",
        dependencies: [
            "BeianCore", "BeianRegistry", "BeianIndex", "BeianPackets", "BeianCapture", "BeianLogs", "BeianGeo", "BeianScan", "BeianReport",
            "BeianHomepages", "BeianCrawler", "BeianHistory", "BeianWatch", "BeianService",
            .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ],
        swiftSettings: settings
    ),
    .executableTarget(
        name: "BeianDatagen",
        dependencies: [
            "BeianCore", "BeianHomepages", .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ],
        swiftSettings: settings
    ),
    .target(
        name: "BeianHistory",
        dependencies: ["BeianCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
        swiftSettings: settings),
    .target(
        name: "BeianWatch",
        dependencies: [
            "BeianCore", "BeianLogs", "BeianScan", "BeianReport", "BeianHistory", "BeianIndex",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
        ],
        swiftSettings: settings),
    .target(
        name: "BeianService",
        dependencies: [
            "BeianCore", "BeianIndex", "BeianGeo", "BeianScan", "BeianReport",
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ],
        swiftSettings: settings),
    .target(name: "BeianTestSupport", dependencies: ["BeianCore", "BeianRegistry", "BeianIndex"], swiftSettings: settings),

    .testTarget(name: "BeianCoreTests", dependencies: ["BeianCore", "BeianTestSupport"], swiftSettings: settings),
    .testTarget(
        name: "BeianRegistryTests",
        dependencies: ["BeianRegistry", "BeianTestSupport"],
        swiftSettings: settings
    ),
    .testTarget(
        name: "BeianIndexTests",
        dependencies: ["BeianIndex", "BeianRegistry", "BeianTestSupport"],
        swiftSettings: settings
    ),
    .testTarget(
        name: "BeianPacketsTests",
        dependencies: ["BeianPackets", "BeianCore", "BeianTestSupport", .product(name: "Crypto", package: "swift-crypto")],
        swiftSettings: settings),
    .testTarget(
        name: "BeianScanTests",
        dependencies: [
            "BeianScan", "BeianIndex", "BeianCore", "BeianGeo", "BeianCapture", "BeianHomepages", "BeianLogs", "BeianReport",
            "BeianTestSupport",
        ],
        swiftSettings: settings),
    .testTarget(
        name: "BeianWatchTests",
        dependencies: [
            "BeianWatch", "BeianHistory", "BeianScan", "BeianLogs", "BeianCore", "BeianIndex", "BeianGeo", "BeianTestSupport",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        swiftSettings: settings),
    .testTarget(
        name: "BeianServiceTests",
        dependencies: [
            "BeianService", "BeianCore", "BeianGeo", "BeianIndex", "BeianRegistry", "BeianReport", "BeianTestSupport", "BeianCLI",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: settings),
    .testTarget(
        name: "BeianHistoryTests", dependencies: ["BeianHistory", "BeianReport", "BeianCore", "BeianTestSupport"], swiftSettings: settings),
    .testTarget(name: "BeianLogsTests", dependencies: ["BeianLogs", "BeianCore", "BeianTestSupport"], swiftSettings: settings),
    .testTarget(name: "BeianCaptureTests", dependencies: ["BeianCapture", "BeianPackets", "BeianTestSupport"], swiftSettings: settings),
    .testTarget(name: "BeianGeoTests", dependencies: ["BeianGeo", "BeianTestSupport"], swiftSettings: settings),
    .testTarget(
        name: "BeianHomepagesTests",
        dependencies: [
            "BeianHomepages", "BeianCore", "BeianTestSupport", "BeianCrawler",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        swiftSettings: settings),
    .testTarget(
        name: "BeianCLITests",
        dependencies: ["BeianTestSupport", "BeianCLI", "BeianDatagen", "BeianCore"],
        swiftSettings: settings
    ),
]

var dependencies: [Package.Dependency] = [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    // The service: swift-configuration support is not used.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
]

// The benchmark suites pull in ordo-one/package-benchmark; ordinary builds skip them.
if ProcessInfo.processInfo.environment["BEIAN_BENCHMARKS"] != nil {
    dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"])
    )
    targets += [
        .target(
            name: "BenchmarkSupport", dependencies: ["BeianCore", "BeianRegistry", "BeianIndex"], path: "Benchmarks/BenchmarkSupport",
            swiftSettings: settings),
        .executableTarget(
            name: "index-scale", dependencies: ["BenchmarkSupport", "BeianIndex", "BeianGeo"], path: "Benchmarks/IndexScale",
            swiftSettings: settings),
        .executableTarget(
            name: "history-merge", dependencies: ["BeianHistory", "BeianCore"], path: "Benchmarks/HistoryMerge", swiftSettings: settings),
        .executableTarget(
            name: "extract-speed", dependencies: ["BeianCapture", "BeianPackets", "BeianCore"], path: "Benchmarks/ExtractSpeed",
            swiftSettings: settings),
        .executableTarget(
            name: "Index",
            dependencies: ["BenchmarkSupport", "BeianIndex", "BeianGeo", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/Index",
            swiftSettings: settings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
}

// The libFuzzer targets (`Fuzz/`, one per reader): built only with BEIAN_FUZZ=1, and then with
// `--sanitize=fuzzer --sanitize=address` (libFuzzer supplies `main`), see Benchmarks/fuzz.sh.
if ProcessInfo.processInfo.environment["BEIAN_FUZZ"] != nil {
    func fuzzTarget(_ name: String, _ directory: String, _ dependencies: [Target.Dependency]) -> Target {
        .executableTarget(
            name: name, dependencies: dependencies, path: "Fuzz/\(directory)",
            swiftSettings: settings + [.unsafeFlags(["-parse-as-library"])])
    }
    targets += [
        .target(name: "FuzzSupport", path: "Fuzz/Support", swiftSettings: settings),
        fuzzTarget("fuzz-packets", "Packets", ["FuzzSupport", "BeianPackets", "BeianCore"]),
        fuzzTarget("fuzz-tls", "TLS", ["FuzzSupport", "BeianPackets"]),
        fuzzTarget("fuzz-http-request", "HTTPRequest", ["FuzzSupport", "BeianPackets"]),
        fuzzTarget("fuzz-http2", "HTTP2", ["FuzzSupport", "BeianPackets", "BeianCore"]),
        fuzzTarget("fuzz-dns", "DNS", ["FuzzSupport", "BeianPackets"]),
        fuzzTarget("fuzz-quic", "QUIC", ["FuzzSupport", "BeianPackets"]),
        fuzzTarget("fuzz-capture", "Capture", ["FuzzSupport", "BeianCapture", "BeianPackets", "BeianCore"]),
        fuzzTarget("fuzz-zeek", "Zeek", ["FuzzSupport", "BeianLogs"]),
        fuzzTarget("fuzz-access-log", "AccessLog", ["FuzzSupport", "BeianLogs"]),
        fuzzTarget("fuzz-warc", "WARC", ["FuzzSupport", "BeianHomepages"]),
        fuzzTarget("fuzz-homepage", "Homepage", ["FuzzSupport", "BeianHomepages"]),
        fuzzTarget("fuzz-filing-number", "FilingNumber", ["FuzzSupport", "BeianCore"]),
        fuzzTarget("fuzz-registry-xml", "RegistryXML", ["FuzzSupport", "BeianRegistry"]),
        fuzzTarget("fuzz-registry-csv", "RegistryCSV", ["FuzzSupport", "BeianRegistry"]),
        fuzzTarget("fuzz-registry-jsonl", "RegistryJSONL", ["FuzzSupport", "BeianRegistry"]),
        fuzzTarget("fuzz-snapshot", "Snapshot", ["FuzzSupport", "BeianIndex", "BeianCore"]),
        fuzzTarget("fuzz-bazs-cert", "BazsCert", ["FuzzSupport", "BeianHomepages"]),
        fuzzTarget("fuzz-partial", "Partial", ["FuzzSupport", "BeianReport"]),
        fuzzTarget("fuzz-service", "Service", ["FuzzSupport", "BeianService", "BeianIndex", "BeianCore", "BeianTestSupport"]),
    ]
}

let package = Package(
    name: "beian-scan",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "beian", targets: ["BeianCLI"]),
        .executable(name: "beian-datagen", targets: ["BeianDatagen"]),
        .library(name: "BeianCore", targets: ["BeianCore"]),
        .library(name: "BeianRegistry", targets: ["BeianRegistry"]),
        .library(name: "BeianIndex", targets: ["BeianIndex"]),
        .library(name: "BeianHomepages", targets: ["BeianHomepages"]),
    ],
    dependencies: dependencies,
    targets: targets
)
