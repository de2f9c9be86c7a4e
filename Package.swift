// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: kernel reader -> model -> MIB contract -> MIB view -> agent; contract -> CLI.
let package = Package(
    name: "mptcp-mib",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mptcp-agentx", targets: ["mptcp-agentx"]),
        .executable(name: "mptcp-mib", targets: ["mptcp-mib"]),
        .executable(name: "mptcp-traffic", targets: ["mptcp-traffic"]),
        .executable(name: "mptcp-bench", targets: ["mptcp-bench"]),
        // libmptcp-snmpd.so, for snmpd's `dlmod mptcp PATH`.
        .library(name: "mptcp-snmpd", type: .dynamic, targets: ["MPTCPSNMPDModule"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C shims: thin and dumb, plain structs out.
        .target(name: "CMPTCPNetlink", linkerSettings: [.linkedLibrary("mnl")]),
        .target(name: "CNetSNMP", linkerSettings: [.linkedLibrary("netsnmpagent"), .linkedLibrary("netsnmp")]),

        // Foundations: system calls done right, and the vocabulary of SNMP.
        .target(name: "Platform"),
        .target(name: "SMI"),

        .target(name: "MPTCPModel"),
        .target(name: "MPTCPKernel", dependencies: ["CMPTCPNetlink", "MPTCPModel", "Platform"]),
        // The contract (objects, syntaxes, names, value text): what the agent and the CLI share.
        .target(name: "MPTCPMIB", dependencies: ["MPTCPModel", "SMI"]),
        // The agent's serving of the contract: declared tables, GET/GETNEXT over a snapshot.
        .target(name: "MPTCPMIBView", dependencies: ["MPTCPMIB", "MPTCPModel", "SMI"]),
        // net-snmp's library from Swift: varbinds in and out, client sessions.
        .target(name: "NetSNMP", dependencies: ["CNetSNMP", "SMI", "Platform"]),
        .target(name: "MPTCPAgent", dependencies: [
            "CNetSNMP", "NetSNMP", "MPTCPKernel", "MPTCPMIB", "MPTCPMIBView", "MPTCPModel", "Platform", "SMI",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MPTCPCLI", dependencies: [
            "NetSNMP", "MPTCPMIB", "MPTCPModel", "Platform", "SMI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // The two front ends of MPTCPAgent: the AgentX process, and the module snmpd loads.
        .executableTarget(name: "mptcp-agentx", dependencies: [
            "MPTCPAgent", "CNetSNMP", "MPTCPMIB", "Platform", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The Swift runtime linked in (no toolchain on the host); only init_mptcp and
        // deinit_mptcp exported. -z nodelete: snmpd's SIGHUP dlcloses and reloads modules,
        // and the Swift runtime's metadata caches (never freed) would leak at every reload.
        .target(name: "MPTCPSNMPDModule", dependencies: [
            "MPTCPAgent", "CNetSNMP", .product(name: "Logging", package: "swift-log"),
        ], exclude: ["exports.map"], linkerSettings: [
            .unsafeFlags(["-static-stdlib", "-Xlinker", "-z", "-Xlinker", "nodelete",
                          "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/MPTCPSNMPDModule/exports.map"]),
        ]),
        .executableTarget(name: "mptcp-mib", dependencies: ["MPTCPCLI"]),
        .executableTarget(name: "mptcp-traffic", dependencies: [
            "Platform", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "mptcp-bench", dependencies: [
            "MPTCPMIBView", "MPTCPModel", "NetSNMP", "Platform", "SMI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "bench/Sources/mptcp-bench"),

        .target(name: "TestSupport", dependencies: ["Platform"], path: "Tests/TestSupport"),
        .testTarget(name: "MPTCPKernelTests", dependencies: ["MPTCPKernel", "CMPTCPNetlink", "Platform", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MPTCPMIBTests", dependencies: ["MPTCPMIB", "MPTCPModel", "SMI", "Platform"]),
        .testTarget(name: "MPTCPMIBViewTests", dependencies: ["MPTCPMIBView", "MPTCPMIB", "MPTCPModel", "SMI"]),
        .testTarget(name: "MPTCPModelTests", dependencies: ["MPTCPModel"]),
        .testTarget(name: "MPTCPCLITests", dependencies: ["MPTCPCLI"]),
        .testTarget(name: "AgentTests", dependencies: [
            "MPTCPAgent", "MPTCPKernel", "MPTCPMIB", "MPTCPMIBView", "MPTCPModel", "Platform", "SMI", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
