import ArgumentParser

/// `mptcp-mib`: MPTCP-MIB over SNMP, without MIB files.
public struct MPTCPMIBCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mptcp-mib",
        abstract: "Read and change MPTCP on a host through SNMP (the host runs snmpd with mptcp-agentx).",
        discussion: """
            Every command takes the net-snmp options (-v -c -u -l -a -A -x -X -t -r; defaults from \
            snmp.conf apply), then the agent [udp:|tcp:]HOST[:PORT], then its own arguments. \
            Read commands take --json; walk and get take --numeric.

            Examples (V3: -v 3 -u USER -l authPriv -a SHA-256 -A PASS -x AES -X PASS):
              mptcp-mib connections -v 2c -c public 192.0.2.10
              mptcp-mib subflows -v 2c -c public 192.0.2.10 8b59b702
              mptcp-mib paths -v2c -cpublic 192.0.2.10
              mptcp-mib counters -v 2c -c public --nonzero 192.0.2.10
              mptcp-mib walk -v 2c -c public 192.0.2.10 mptcpEndpointTable
              mptcp-mib endpoint add V3 192.0.2.10 10.0.2.1 dev eth1 subflow
              mptcp-mib limits set V3 192.0.2.10 subflows 4 add-addr-accepted 2
              mptcp-mib notifications set V3 192.0.2.10 enable subflowEstablished rate 50
              mptcp-mib watch -v 2c -c public 192.0.2.10

            \(CLIError.exitCodes)
            """,
        subcommands: [Walk.self, Get.self, SetCommand.self, Connections.self, Subflows.self, Paths.self, PathCloses.self, Endpoints.self,
                      RemoteAddresses.self, Listeners.self, Counters.self, Limits.self, EndpointCommand.self,
                      NotificationsCommand.self, Contexts.self, Watch.self, Events.self, Diagnose.self, Check.self])

    public init() {}

    /// `main()`, except that `check`'s bad arguments are UNKNOWN (exit 3, the message on
    /// the status line), as the Monitoring Plugins guidelines want, not a usage error (64).
    public static func start(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            exit(withError: nil)
        } catch {
            if arguments.first == Check.configuration.commandName ?? "check", !(error is ExitCode),
               exitCode(for: error) != .success {
                Check.finish(.unknown, "MPTCP UNKNOWN - " + message(for: error))
            }
            exit(withError: error)
        }
    }
}
