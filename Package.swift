// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: kernel reader -> model -> MIB view -> agent / CLI.
let package = Package(
    name: "mptcp-mib",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mptcp-agentx", targets: ["mptcp-agentx"]),
        .executable(name: "mptcp-mib", targets: ["mptcp-mib"]),
        .executable(name: "mptcp-traffic", targets: ["mptcp-traffic"]),
        .executable(name: "mptcp-bench", targets: ["mptcp-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C shims: thin and dumb, plain structs out.
        .target(name: "CMPTCPNetlink", linkerSettings: [.linkedLibrary("mnl")]),
        .target(name: "CNetSNMP", linkerSettings: [.linkedLibrary("netsnmpagent"), .linkedLibrary("netsnmp")]),

        .target(name: "MPTCPModel"),
        .target(name: "MPTCPKernel", dependencies: ["CMPTCPNetlink", "MPTCPModel"]),
        .target(name: "MPTCPMIB", dependencies: ["MPTCPModel"]),
        .target(name: "MPTCPAgent", dependencies: [
            "CNetSNMP", "MPTCPKernel", "MPTCPMIB", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SNMPClient", dependencies: ["CNetSNMP"]),
        .target(name: "MPTCPCLI", dependencies: [
            "SNMPClient", "MPTCPMIB", "MPTCPModel", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "mptcp-agentx", dependencies: [
            "MPTCPAgent", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "mptcp-mib", dependencies: ["MPTCPCLI"]),
        .executableTarget(name: "mptcp-traffic", dependencies: [
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "mptcp-bench", dependencies: [
            "SNMPClient", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "bench/Sources/mptcp-bench"),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "MPTCPKernelTests", dependencies: ["MPTCPKernel", "CMPTCPNetlink", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MPTCPMIBTests", dependencies: ["MPTCPMIB"]),
        .testTarget(name: "MPTCPModelTests", dependencies: ["MPTCPModel"]),
        .testTarget(name: "AgentTests", dependencies: [
            "MPTCPAgent", "MPTCPKernel", "MPTCPMIB", "MPTCPModel", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
