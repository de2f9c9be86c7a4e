import SMI
/// MPTCP-MIB (`MIB/MPTCP-MIB.txt`): every object, once.
public enum MPTCPMIB {
    /// `{ experimental 8684 }`, provisional until an assignment exists.
    public static let root: OID = [1, 3, 6, 1, 3, 8684]
    public static let notificationsOID = root + [0]
    public static let objectsOID = root + [1]
    public static let generalOID = objectsOID + [1]
    public static let statsOID = objectsOID + [2]

    // MARK: General scalars

    public enum General {
        static func o(_ name: String, _ n: UInt32, _ s: Syntax, _ a: Access, units: String? = nil) -> MIBObject {
            MIBObject(name, generalOID + [n], s, a, units: units)
        }
        public static let enabled = o("mptcpEnabled", 1, .truthValue, .readWrite)
        public static let pathManager = o("mptcpPathManager", 2, Syntax.displayString.restricted(1...32), .readWrite)
        public static let availablePathManagers = o("mptcpAvailablePathManagers", 3, .displayString, .readOnly)
        public static let scheduler = o("mptcpScheduler", 4, Syntax.displayString.restricted(1...32), .readWrite)
        public static let availableSchedulers = o("mptcpAvailableSchedulers", 5, .displayString, .readOnly)
        public static let checksumEnabled = o("mptcpChecksumEnabled", 6, .truthValue, .readWrite)
        public static let allowJoinInitialAddrPort = o("mptcpAllowJoinInitialAddrPort", 7, .truthValue, .readWrite)
        public static let addAddrTimeout = o("mptcpAddAddrTimeout", 8, .integer32, .readWrite, units: "seconds")
        public static let staleLossCount = o("mptcpStaleLossCount", 9, .unsigned32, .readWrite,
                                             units: "retransmission timeouts")
        public static let closeTimeout = o("mptcpCloseTimeout", 10, .integer32, .readWrite, units: "seconds")
        public static let blackholeTimeout = o("mptcpBlackholeTimeout", 11, Syntax.integer32.restricted(0...2147483647),
                                               .readWrite, units: "seconds")
        public static let synRetransBeforeFallback = o("mptcpSynRetransBeforeFallback", 12,
                                                       Syntax.unsigned32.restricted(0...255), .readWrite,
                                                       units: "retransmissions")
        public static let limitSubflows = o("mptcpLimitSubflows", 13, Syntax.unsigned32.restricted(0...8), .readWrite,
                                            units: "subflows")
        public static let limitAddAddrAccepted = o("mptcpLimitAddAddrAccepted", 14, Syntax.unsigned32.restricted(0...8),
                                                   .readWrite, units: "addresses")
        public static let currentConnections = o("mptcpCurrentConnections", 15, .gauge32, .readOnly, units: "connections")
        public static let currentSubflows = o("mptcpCurrentSubflows", 16, .gauge32, .readOnly, units: "subflows")
        public static let currentListeners = o("mptcpCurrentListeners", 17, .gauge32, .readOnly, units: "listeners")
        public static let endpointNextID = o("mptcpEndpointNextId", 18, Syntax.unsigned32.restricted(0...255), .readOnly)
        public static let statsDiscontinuityTime = o("mptcpStatsDiscontinuityTime", 19, .timeStamp, .readOnly)
        public static let connectionsOneSubflow = o("mptcpConnectionsOneSubflow", 20, .gauge32, .readOnly,
                                                    units: "connections")
        public static let connectionsTwoSubflows = o("mptcpConnectionsTwoSubflows", 21, .gauge32, .readOnly,
                                                     units: "connections")
        public static let connectionsMoreSubflows = o("mptcpConnectionsMoreSubflows", 22, .gauge32, .readOnly,
                                                      units: "connections")
        public static let connectionsFallback = o("mptcpConnectionsFallback", 23, .gauge32, .readOnly, units: "connections")
        public static let connectionsBackupOnly = o("mptcpConnectionsBackupOnly", 24, .gauge32, .readOnly,
                                                    units: "connections")
        public static let subflowsEstablished = o("mptcpSubflowsEstablished", 25, .gauge32, .readOnly, units: "subflows")
        public static let endpointSpinLock = o("mptcpEndpointSpinLock", 26, .testAndIncr, .readWrite)
        public static let snapshotTime = o("mptcpSnapshotTime", 27, .timeStamp, .readOnly)

        public static let all: [MIBObject] = [
            enabled, pathManager, availablePathManagers, scheduler, availableSchedulers, checksumEnabled,
            allowJoinInitialAddrPort, addAddrTimeout, staleLossCount, closeTimeout, blackholeTimeout,
            synRetransBeforeFallback, limitSubflows, limitAddAddrAccepted, currentConnections, currentSubflows,
            currentListeners, endpointNextID, statsDiscontinuityTime, connectionsOneSubflow, connectionsTwoSubflows,
            connectionsMoreSubflows, connectionsFallback, connectionsBackupOnly, subflowsEstablished, endpointSpinLock,
            snapshotTime,
        ]
    }

    // MARK: Stats: one object per MPTcpExt counter of Linux 6.18, in kernel order

    public enum Stats {
        /// The kernel's counter names; object i+1 of mptcpStats is `mptcpExt` + names[i].
        public static let kernelNames: [String] = [
            "MPCapableSYNRX", "MPCapableSYNTX", "MPCapableSYNACKRX", "MPCapableACKRX", "MPCapableFallbackACK",
            "MPCapableFallbackSYNACK", "MPCapableSYNTXDrop", "MPCapableSYNTXDisabled", "MPCapableEndpAttempt",
            "MPFallbackTokenInit", "MPTCPRetrans", "MPJoinNoTokenFound", "MPJoinSynRx", "MPJoinSynBackupRx",
            "MPJoinSynAckRx", "MPJoinSynAckBackupRx", "MPJoinSynAckHMacFailure", "MPJoinAckRx",
            "MPJoinAckHMacFailure", "MPJoinRejected", "MPJoinSynTx", "MPJoinSynTxCreatSkErr", "MPJoinSynTxBindErr",
            "MPJoinSynTxConnectErr", "DSSNotMatching", "DSSCorruptionFallback", "DSSCorruptionReset",
            "InfiniteMapTx", "InfiniteMapRx", "DSSNoMatchTCP", "DataCsumErr", "OFOQueueTail", "OFOQueue",
            "OFOMerge", "NoDSSInWindow", "DuplicateData", "AddAddr", "AddAddrTx", "AddAddrTxDrop", "EchoAdd",
            "EchoAddTx", "EchoAddTxDrop", "PortAdd", "AddAddrDrop", "MPJoinPortSynRx", "MPJoinPortSynAckRx",
            "MPJoinPortAckRx", "MismatchPortSynRx", "MismatchPortAckRx", "RmAddr", "RmAddrDrop", "RmAddrTx",
            "RmAddrTxDrop", "RmSubflow", "MPPrioTx", "MPPrioRx", "MPFailTx", "MPFailRx", "MPFastcloseTx",
            "MPFastcloseRx", "MPRstTx", "MPRstRx", "SubflowStale", "SubflowRecover", "SndWndShared",
            "RcvWndShared", "RcvWndConflictUpdate", "RcvWndConflict", "MPCurrEstab", "Blackhole",
            "MPCapableDataFallback", "MD5SigFallback", "DssFallback", "SimultConnectFallback", "FallbackFailed",
            "WinProbe",
        ]

        public static let all: [MIBObject] = kernelNames.enumerated().map { i, name in
            let gauge = name == "MPCurrEstab"
            return MIBObject("mptcpExt" + name, statsOID + [UInt32(i + 1)], gauge ? .gauge32 : .counter64, .readOnly,
                             units: gauge ? "connections" : nil)
        }

        /// The first mainline Linux release with each counter (from the patches that added
        /// them to net/mptcp/mib.c; stable kernels may have some earlier). The conformance
        /// groups of mptcpStats follow these generations.
        public static let firstRelease: [String: String] = {
            let generations: [(String, [String])] = [
                ("5.7", ["MPCapableSYNRX", "MPCapableACKRX", "MPCapableFallbackACK", "MPCapableFallbackSYNACK", "MPTCPRetrans",
                         "MPJoinNoTokenFound", "MPJoinSynRx", "MPJoinSynAckRx", "MPJoinSynAckHMacFailure", "MPJoinAckRx",
                         "MPJoinAckHMacFailure", "DSSNotMatching", "InfiniteMapRx"]),
                ("5.10", ["OFOQueueTail", "OFOQueue", "OFOMerge", "NoDSSInWindow", "DuplicateData", "AddAddr", "EchoAdd",
                          "RmAddr", "RmSubflow"]),
                ("5.12", ["MPPrioTx", "MPPrioRx", "PortAdd", "MPJoinPortSynRx", "MPJoinPortSynAckRx", "MPJoinPortAckRx",
                          "MismatchPortSynRx", "MismatchPortAckRx"]),
                ("5.13", ["MPFallbackTokenInit", "MPCapableSYNTX", "MPCapableSYNACKRX"]),
                ("5.14", ["DataCsumErr", "DSSNoMatchTCP"]),
                ("5.15", ["SubflowStale", "SubflowRecover", "MPFailTx", "MPFailRx"]),
                ("5.17", ["AddAddrDrop", "RmAddrDrop"]),
                ("5.18", ["MPFastcloseTx", "MPFastcloseRx", "MPRstTx", "MPRstRx"]),
                ("5.19", ["InfiniteMapTx", "SndWndShared", "RcvWndShared", "RcvWndConflictUpdate", "RcvWndConflict"]),
                ("6.5", ["AddAddrTx", "AddAddrTxDrop", "EchoAddTx", "EchoAddTxDrop", "RmAddrTx", "RmAddrTxDrop"]),
                ("6.8", ["MPCurrEstab"]),
                ("6.11", ["MPJoinSynBackupRx", "MPJoinSynAckBackupRx"]),
                ("6.12", ["MPJoinSynTx", "MPJoinSynTxCreatSkErr", "MPJoinSynTxBindErr", "MPJoinSynTxConnectErr",
                          "MPCapableSYNTXDrop", "MPCapableSYNTXDisabled", "Blackhole", "DSSCorruptionFallback",
                          "DSSCorruptionReset", "MPCapableEndpAttempt"]),
                ("6.16", ["MPJoinRejected"]),
                ("6.17", ["MPCapableDataFallback", "MD5SigFallback", "DssFallback", "SimultConnectFallback", "FallbackFailed"]),
                ("6.18", ["WinProbe"]),
            ]
            return Dictionary(uniqueKeysWithValues: generations.flatMap { release, names in names.map { ($0, release) } })
        }()

        /// The conformance group of the counters a kernel generation introduced.
        public static func groupName(release: String) -> String {
            "mptcpStatsLinux" + release.split(separator: ".").joined(separator: "v") + "Group"
        }

        /// The object of a kernel counter.
        public static func object(kernelName name: String) -> MIBObject? {
            kernelNames.firstIndex(of: name).map { all[$0] }
        }

        /// The kernel counter an object reports, by object name.
        public static func kernelName(of object: MIBObject) -> String? {
            object.name.hasPrefix("mptcpExt") ? String(object.name.dropFirst("mptcpExt".count)) : nil
        }
    }

    // MARK: Tables: each declares its columns once; its column list is read from them

    public enum CounterTable: DeclaredTable {
        public struct Columns: TableColumns {
            public static let entry = objectsOID + [3, 1]
            public let name = c("mptcpCounterName", 1, Syntax.displayString.restricted(1...64), .notAccessible)
            public let value = c("mptcpCounterValue", 2, .counter64)
            public let gauge = c("mptcpCounterGauge", 3, .gauge32)
            public let value32 = c("mptcpCounterValue32", 4, .counter32)
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpCounterTable", entryName: "mptcpCounterEntry", columns: columns,
                                           indexes: [\.name])
    }

    public enum ConnectionTable: DeclaredTable {
        public struct Columns: TableColumns {
            public static let entry = objectsOID + [4, 1]
            public let token = c("mptcpConnectionToken", 1, .mptcpToken, .notAccessible)
            public let localAddressType = c("mptcpConnectionLocalAddressType", 2, .inetAddressType)
            public let localAddress = c("mptcpConnectionLocalAddress", 3, .inetAddress)
            public let localPort = c("mptcpConnectionLocalPort", 4, .inetPortNumber)
            public let remoteAddressType = c("mptcpConnectionRemoteAddressType", 5, .inetAddressType)
            public let remoteAddress = c("mptcpConnectionRemoteAddress", 6, .inetAddress)
            public let remotePort = c("mptcpConnectionRemotePort", 7, .inetPortNumber)
            public let state = c("mptcpConnectionState", 8, .mptcpTcpState)
            public let flags = c("mptcpConnectionFlags", 9, .bits([0: "fallback", 1: "remoteKeyReceived"]))
            public let ifIndex = c("mptcpConnectionIfIndex", 10, .interfaceIndexOrZero)
            public let extraSubflows = c("mptcpConnectionExtraSubflows", 11, .gauge32, units: "subflows")
            public let subflowsTotal = c("mptcpConnectionSubflowsTotal", 12, .gauge32, units: "subflows")
            public let subflowsMax = c("mptcpConnectionSubflowsMax", 13, .unsigned32, units: "subflows")
            public let addAddrSignal = c("mptcpConnectionAddAddrSignal", 14, .gauge32, units: "addresses")
            public let addAddrAccepted = c("mptcpConnectionAddAddrAccepted", 15, .gauge32, units: "addresses")
            public let addAddrAcceptMax = c("mptcpConnectionAddAddrAcceptMax", 16, .unsigned32, units: "addresses")
            public let signalEndpoints = c("mptcpConnectionSignalEndpoints", 17, .gauge32, units: "endpoints")
            public let localAddrUsed = c("mptcpConnectionLocalAddrUsed", 18, .gauge32, units: "endpoints")
            public let subflowEndpoints = c("mptcpConnectionSubflowEndpoints", 19, .gauge32, units: "endpoints")
            public let laminarEndpoints = c("mptcpConnectionLaminarEndpoints", 20, .gauge32, units: "endpoints")
            public let checksum = c("mptcpConnectionChecksum", 21, .truthValue)
            public let retransmits = c("mptcpConnectionRetransmits", 22, .counter32, units: "retransmissions")
            public let bytesRetrans = c("mptcpConnectionBytesRetrans", 23, .counter64, units: "octets")
            public let bytesSent = c("mptcpConnectionBytesSent", 24, .counter64, units: "octets")
            public let bytesReceived = c("mptcpConnectionBytesReceived", 25, .counter64, units: "octets")
            public let bytesAcked = c("mptcpConnectionBytesAcked", 26, .counter64, units: "octets")
            public let writeSeq = c("mptcpConnectionWriteSeq", 27, .counter64, units: "octets")
            public let sndUna = c("mptcpConnectionSndUna", 28, .counter64, units: "octets")
            public let rcvNxt = c("mptcpConnectionRcvNxt", 29, .counter64, units: "octets")
            public let lastDataSent = c("mptcpConnectionLastDataSent", 30, .gauge32, units: "milliseconds")
            public let lastDataRecv = c("mptcpConnectionLastDataRecv", 31, .gauge32, units: "milliseconds")
            public let lastAckRecv = c("mptcpConnectionLastAckRecv", 32, .gauge32, units: "milliseconds")
            public let uid = c("mptcpConnectionUid", 33, .unsigned32)
            public let firstSeen = c("mptcpConnectionFirstSeen", 34, .timeStamp)
            public let limitingFactor = c("mptcpConnectionLimitingFactor", 35, .mptcpLimitingFactor)
            public let fallbackCauses = c("mptcpConnectionFallbackCauses", 36, .mptcpFallbackCauses)
            public let fullmeshEndpoints = c("mptcpConnectionFullmeshEndpoints", 37, .gauge32, units: "endpoints")
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpConnectionTable", entryName: "mptcpConnectionEntry", columns: columns,
                                           indexes: [\.token])
    }

    public enum SubflowTable: DeclaredTable {
        public struct Columns: TableColumns {
            public static let entry = objectsOID + [5, 1]
            public let token = c("mptcpSubflowToken", 1, .mptcpToken, .notAccessible)
            public let localAddressType = c("mptcpSubflowLocalAddressType", 2, .inetAddressType, .notAccessible)
            public let localAddress = c("mptcpSubflowLocalAddress", 3, Syntax.inetAddress.restricted(4...4, 16...16),
                                        .notAccessible)
            public let localPort = c("mptcpSubflowLocalPort", 4, .inetPortNumber, .notAccessible)
            public let remoteAddressType = c("mptcpSubflowRemoteAddressType", 5, .inetAddressType, .notAccessible)
            public let remoteAddress = c("mptcpSubflowRemoteAddress", 6, Syntax.inetAddress.restricted(4...4, 16...16),
                                         .notAccessible)
            public let remotePort = c("mptcpSubflowRemotePort", 7, .inetPortNumber, .notAccessible)
            public let state = c("mptcpSubflowState", 8, .mptcpTcpState)
            public let flags = c("mptcpSubflowFlags", 9, .bits([
                0: "mpCapableRemote", 1: "mpCapableLocal", 2: "joinRemote", 3: "joinLocal", 4: "backupRemote",
                5: "backupLocal", 6: "fullyEstablished", 7: "connected", 8: "mappingValid",
            ]))
            public let localID = c("mptcpSubflowLocalId", 10, .mptcpAddressId)
            public let remoteID = c("mptcpSubflowRemoteId", 11, .mptcpAddressId)
            public let remoteToken = c("mptcpSubflowRemoteToken", 12, .mptcpToken)
            public let ifIndex = c("mptcpSubflowIfIndex", 13, .interfaceIndexOrZero)
            public let rtt = c("mptcpSubflowRtt", 14, .gauge32, units: "microseconds")
            public let rttVar = c("mptcpSubflowRttVar", 15, .gauge32, units: "microseconds")
            public let cwnd = c("mptcpSubflowCwnd", 16, .gauge32, units: "segments")
            public let mss = c("mptcpSubflowMss", 17, .gauge32, units: "octets")
            public let bytesSent = c("mptcpSubflowBytesSent", 18, .counter64, units: "octets")
            public let bytesAcked = c("mptcpSubflowBytesAcked", 19, .counter64, units: "octets")
            public let bytesReceived = c("mptcpSubflowBytesReceived", 20, .counter64, units: "octets")
            public let retransmits = c("mptcpSubflowRetransmits", 21, .gauge32, units: "segments")
            public let totalRetrans = c("mptcpSubflowTotalRetrans", 22, .counter32, units: "segments")
            public let minRtt = c("mptcpSubflowMinRtt", 23, .gauge32, units: "microseconds")
            public let deliveryRate = c("mptcpSubflowDeliveryRate", 24, .counterBasedGauge64, units: "octets per second")
            public let pacingRate = c("mptcpSubflowPacingRate", 25, .counterBasedGauge64, units: "octets per second")
            public let lost = c("mptcpSubflowLost", 26, .gauge32, units: "segments")
            public let reordering = c("mptcpSubflowReordering", 27, .gauge32, units: "segments")
            public let segsOut = c("mptcpSubflowSegsOut", 28, .counter32, units: "segments")
            public let segsIn = c("mptcpSubflowSegsIn", 29, .counter32, units: "segments")
            public let notSentBytes = c("mptcpSubflowNotSentBytes", 30, .gauge32, units: "octets")
            public let caState = c("mptcpSubflowCaState", 31,
                                   .enumeration([1: "open", 2: "disorder", 3: "cwr", 4: "recovery", 5: "loss"]))
            public let busyTime = c("mptcpSubflowBusyTime", 32, .counter64, units: "microseconds")
            public let rwndLimitedTime = c("mptcpSubflowRwndLimitedTime", 33, .counter64, units: "microseconds")
            public let sndbufLimitedTime = c("mptcpSubflowSndbufLimitedTime", 34, .counter64, units: "microseconds")
            public let lastDataSent = c("mptcpSubflowLastDataSent", 35, .gauge32, units: "milliseconds")
            public let lastDataRecv = c("mptcpSubflowLastDataRecv", 36, .gauge32, units: "milliseconds")
            public let deliveredCe = c("mptcpSubflowDeliveredCe", 37, .counter32, units: "segments")
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpSubflowTable", entryName: "mptcpSubflowEntry", columns: columns,
                                           indexes: [\.token, \.localAddressType, \.localAddress, \.localPort, \.remoteAddressType, \.remoteAddress, \.remotePort])
    }

    public enum EndpointTable: DeclaredTable {
        public static let flagBits: Syntax = .bits([
            0: "signal", 1: "subflow", 2: "backup", 3: "fullmesh", 4: "implicit", 5: "laminar",
        ])
        public struct Columns: TableColumns {
            public static let entry = objectsOID + [6, 1]
            public static let access: Access = .readCreate
            public let id = c("mptcpEndpointId", 1, Syntax.unsigned32.restricted(1...255), .notAccessible)
            public let addressType = c("mptcpEndpointAddressType", 2, .inetAddressType)
            public let address = c("mptcpEndpointAddress", 3, Syntax.inetAddress.restricted(4...4, 16...16))
            public let port = c("mptcpEndpointPort", 4, .inetPortNumber)
            public let ifIndex = c("mptcpEndpointIfIndex", 5, .interfaceIndexOrZero)
            public let flags = c("mptcpEndpointFlags", 6, EndpointTable.flagBits)
            public let rowStatus = c("mptcpEndpointRowStatus", 7, .rowStatus)
            public let storageType = c("mptcpEndpointStorageType", 8, .storageType, .readOnly)
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpEndpointTable", entryName: "mptcpEndpointEntry", columns: columns,
                                           indexes: [\.id])
    }

    public enum RemoteAddressTable: DeclaredTable {
        public struct Columns: TableColumns {
            public static let entry = objectsOID + [7, 1]
            public let token = c("mptcpRemoteAddressToken", 1, .mptcpToken, .notAccessible)
            public let id = c("mptcpRemoteAddressId", 2, .mptcpAddressId, .notAccessible)
            public let addressType = c("mptcpRemoteAddressType", 3, .inetAddressType)
            public let address = c("mptcpRemoteAddress", 4, .inetAddress)
            public let port = c("mptcpRemoteAddressPort", 5, .inetPortNumber)
            public let source = c("mptcpRemoteAddressSource", 6, .bits([0: "subflow", 1: "announced"]))
            public let subflows = c("mptcpRemoteAddressSubflows", 7, .gauge32, units: "subflows")
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpRemoteAddressTable", entryName: "mptcpRemoteAddressEntry", columns: columns,
                                           indexes: [\.token, \.id])
    }

    public enum ListenerTable: DeclaredTable {
        public struct Columns: TableColumns {
            public static let entry = objectsOID + [8, 1]
            public let addressType = c("mptcpListenerAddressType", 1, .inetAddressType, .notAccessible)
            public let address = c("mptcpListenerAddress", 2, Syntax.inetAddress.restricted(0...0, 4...4, 16...16),
                                   .notAccessible)
            public let port = c("mptcpListenerPort", 3, .inetPortNumber, .notAccessible)
            public let acceptQueue = c("mptcpListenerAcceptQueue", 4, .gauge32, units: "connections")
            public let backlog = c("mptcpListenerBacklog", 5, .gauge32, units: "connections")
            public let sockets = c("mptcpListenerSockets", 6, .gauge32, units: "sockets")
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpListenerTable", entryName: "mptcpListenerEntry", columns: columns,
                                           indexes: [\.addressType, \.address, \.port])
    }

    public enum PathTable: DeclaredTable {
        public struct Columns: TableColumns {
            public static let entry = objectsOID + [9, 1]
            public let addressType = c("mptcpPathAddressType", 1, .inetAddressType, .notAccessible)
            public let address = c("mptcpPathAddress", 2, Syntax.inetAddress.restricted(4...4, 16...16), .notAccessible)
            public let ifIndex = c("mptcpPathIfIndex", 3, .interfaceIndexOrZero)
            public let endpointID = c("mptcpPathEndpointId", 4, Syntax.unsigned32.restricted(0...255))
            public let endpointFlags = c("mptcpPathEndpointFlags", 5, EndpointTable.flagBits)
            public let subflows = c("mptcpPathSubflows", 6, .gauge32, units: "subflows")
            public let established = c("mptcpPathSubflowsEstablished", 7, .gauge32, units: "subflows")
            public let backup = c("mptcpPathSubflowsBackup", 8, .gauge32, units: "subflows")
            public let active = c("mptcpPathSubflowsActive", 9, .gauge32, units: "subflows")
            public let connections = c("mptcpPathConnections", 10, .gauge32, units: "connections")
            public let bytesSent = c("mptcpPathBytesSent", 11, .counterBasedGauge64, units: "octets")
            public let bytesReceived = c("mptcpPathBytesReceived", 12, .counterBasedGauge64, units: "octets")
            public let retransmits = c("mptcpPathRetransmits", 13, .counterBasedGauge64, units: "segments")
            public let rttMean = c("mptcpPathRttMean", 14, .gauge32, units: "microseconds")
            public let rttMax = c("mptcpPathRttMax", 15, .gauge32, units: "microseconds")
            public let opened = c("mptcpPathSubflowsOpened", 16, .counter64, units: "subflows")
            public let closed = c("mptcpPathSubflowsClosed", 17, .counter64, units: "subflows")
            public let failed = c("mptcpPathSubflowsFailed", 18, .counter64, units: "subflows")
            public let discontinuityTime = c("mptcpPathDiscontinuityTime", 19, .timeStamp)
            public let minRtt = c("mptcpPathMinRtt", 20, .gauge32, units: "microseconds")
            public let deliveryRate = c("mptcpPathDeliveryRate", 21, .counterBasedGauge64, units: "octets per second")
            public let lossEstimate = c("mptcpPathLossEstimate", 22, Syntax.gauge32.restricted(0...1000), units: "per mille")
            public let sendShare = c("mptcpPathSendShare", 23, Syntax.gauge32.restricted(0...1000), units: "per mille")
            public let lastCloseReason = c("mptcpPathLastCloseReason", 24, .mptcpCloseReason)
            public let lastCloseTime = c("mptcpPathLastCloseTime", 25, .timeStamp)
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpPathTable", entryName: "mptcpPathEntry", columns: columns,
                                           indexes: [\.addressType, \.address])
    }

    public enum PathCloseTable: DeclaredTable {
        public struct Columns: TableColumns {
            public static let entry = objectsOID + [14, 1]
            public let addressType = c("mptcpPathCloseAddressType", 1, .inetAddressType, .notAccessible)
            public let address = c("mptcpPathCloseAddress", 2, Syntax.inetAddress.restricted(4...4, 16...16), .notAccessible)
            public let reason = c("mptcpPathCloseReason", 3, .mptcpCloseReason, .notAccessible)
            public let subflows = c("mptcpPathCloseSubflows", 4, .counter64, units: "subflows")
            public let lastTime = c("mptcpPathCloseLastTime", 5, .timeStamp)
            public let discontinuityTime = c("mptcpPathCloseDiscontinuityTime", 6, .timeStamp)
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpPathCloseTable", entryName: "mptcpPathCloseEntry", columns: columns,
                                           indexes: [\.addressType, \.address, \.reason])
    }

    public enum ContextTable: DeclaredTable {
        public struct Columns: TableColumns {
            public static let entry = objectsOID + [12, 1]
            public let name = c("mptcpContextName", 1, Syntax.displayString.restricted(1...32), .notAccessible)
            public let namespace = c("mptcpContextNamespace", 2, Syntax.displayString.restricted(0...255))
            public let state = c("mptcpContextState", 3, .enumeration([1: "serving", 2: "unavailable"]))
            public let error = c("mptcpContextError", 4, Syntax.displayString.restricted(0...255))
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpContextTable", entryName: "mptcpContextEntry", columns: columns,
                                           indexes: [\.name])
    }
    // MARK: The event log: its scalars, then its table

    public enum EventLog {
        public static let oid = objectsOID + [13]
        static func o(_ name: String, _ n: UInt32, _ s: Syntax, _ a: Access = .readOnly, units: String? = nil) -> MIBObject {
            MIBObject(name, oid + [n], s, a, units: units)
        }
        public static let size = o("mptcpEventLogSize", 1, Syntax.unsigned32.restricted(0...100000), .readWrite, units: "entries")
        public static let lastIndex = o("mptcpEventLogLastIndex", 2, .unsigned32)
        public static let dropped = o("mptcpEventLogDropped", 3, .counter64, units: "entries")
        public static let discontinuityTime = o("mptcpEventLogDiscontinuityTime", 4, .timeStamp)
        public static let all = [size, lastIndex, dropped, discontinuityTime]
    }

    public enum EventLogTable: DeclaredTable {
        public struct Columns: TableColumns {
            public static let entry = EventLog.oid + [5, 1]
            public let index = c("mptcpEventLogIndex", 1, Syntax.unsigned32.restricted(1...4294967295), .notAccessible)
            public let time = c("mptcpEventLogTime", 2, .timeStamp)
            public let kind = c("mptcpEventLogKind", 3, .mptcpEventKind)
            public let token = c("mptcpEventLogToken", 4, .mptcpToken)
            public let localAddressType = c("mptcpEventLogLocalAddressType", 5, .inetAddressType)
            public let localAddress = c("mptcpEventLogLocalAddress", 6, .inetAddress)
            public let localPort = c("mptcpEventLogLocalPort", 7, .inetPortNumber)
            public let remoteAddressType = c("mptcpEventLogRemoteAddressType", 8, .inetAddressType)
            public let remoteAddress = c("mptcpEventLogRemoteAddress", 9, .inetAddress)
            public let remotePort = c("mptcpEventLogRemotePort", 10, .inetPortNumber)
            public let localID = c("mptcpEventLogLocalId", 11, .mptcpAddressId)
            public let remoteID = c("mptcpEventLogRemoteId", 12, .mptcpAddressId)
            public let backup = c("mptcpEventLogBackup", 13, .truthValue)
            public let error = c("mptcpEventLogError", 14, Syntax.unsigned32.restricted(0...255))
            public let resetReason = c("mptcpEventLogResetReason", 15, .mptcpResetReason)
            public let fallbackCauses = c("mptcpEventLogFallbackCauses", 16, .mptcpFallbackCauses)
        }
        public static let columns = Columns()
        public static let table = MIBTable(name: "mptcpEventLogTable", entryName: "mptcpEventLogEntry", columns: columns,
                                           indexes: [\.index])
    }

    public static let tables: [MIBTable] = [
        CounterTable.table, ConnectionTable.table, SubflowTable.table, EndpointTable.table,
        RemoteAddressTable.table, ListenerTable.table, PathTable.table, ContextTable.table, EventLogTable.table, PathCloseTable.table,
    ]

    // MARK: Notification controls and the objects only notifications carry

    public enum NotificationControl {
        public static let oid = objectsOID + [10]
        static func o(_ name: String, _ n: UInt32, _ s: Syntax, _ a: Access, units: String? = nil) -> MIBObject {
            MIBObject(name, oid + [n], s, a, units: units)
        }
        public static let enabled = o("mptcpNotificationsEnabled", 1, .bits(Dictionary(uniqueKeysWithValues:
            Notifications.Kind.allCases.map { (Int64($0.rawValue), $0.name) })), .readWrite)
        public static let rateLimit = o("mptcpNotificationRateLimit", 2, Syntax.unsigned32.restricted(1...10000), .readWrite,
                                        units: "notifications per second")
        public static let sent = o("mptcpNotificationsSent", 3, .counter64, .readOnly, units: "notifications")
        public static let suppressed = o("mptcpNotificationsSuppressed", 4, .counter64, .readOnly, units: "notifications")
        public static let dropped = o("mptcpNotificationsDropped", 5, .counter64, .readOnly, units: "notifications")
        public static let discontinuityTime = o("mptcpNotificationDiscontinuityTime", 6, .timeStamp, .readOnly)
        public static let all = [enabled, rateLimit, sent, suppressed, dropped, discontinuityTime]
    }

    public enum NotificationObjects {
        public static let oid = objectsOID + [11]
        static func o(_ name: String, _ n: UInt32, _ s: Syntax, units: String? = nil) -> MIBObject {
            MIBObject(name, oid + [n], s, .accessibleForNotify, units: units)
        }
        public static let side = o("mptcpNotifySide", 1, .enumeration([1: "client", 2: "server"]))
        public static let backup = o("mptcpNotifyBackup", 2, .truthValue)
        public static let error = o("mptcpNotifyError", 3, Syntax.unsigned32.restricted(0...255))
        public static let resetReason = o("mptcpNotifyResetReason", 4, .mptcpResetReason)
        public static let resetFlags = o("mptcpNotifyResetFlags", 5, .unsigned32)
        public static let suppressedCount = o("mptcpNotifySuppressedCount", 6, .gauge32, units: "notifications")
        public static let all = [side, backup, error, resetReason, resetFlags, suppressedCount]
    }

    // MARK: Notifications

    public enum Notifications {
        /// The notifications by their bit in mptcpNotificationsEnabled.
        public enum Kind: Int, Sendable, CaseIterable {
            case connectionEstablished, connectionClosed, subflowEstablished, subflowClosed, addressAnnounced,
                 addressRemoved, subflowPriority, notificationsThrottled, connectionFallback, blackholeDetected

            /// The label of its bit.
            public var name: String {
                switch self {
                case .connectionEstablished: return "connectionEstablished"
                case .connectionClosed: return "connectionClosed"
                case .subflowEstablished: return "subflowEstablished"
                case .subflowClosed: return "subflowClosed"
                case .addressAnnounced: return "addressAnnounced"
                case .addressRemoved: return "addressRemoved"
                case .subflowPriority: return "subflowPriority"
                case .notificationsThrottled: return "notificationsThrottled"
                case .connectionFallback: return "connectionFallback"
                case .blackholeDetected: return "blackholeDetected"
                }
            }

            public var notification: MIBNotification {
                switch self {
                case .connectionEstablished: return Notifications.connectionEstablished
                case .connectionClosed: return Notifications.connectionClosed
                case .subflowEstablished: return Notifications.subflowEstablished
                case .subflowClosed: return Notifications.subflowClosed
                case .addressAnnounced: return Notifications.addressAnnounced
                case .addressRemoved: return Notifications.addressRemoved
                case .subflowPriority: return Notifications.subflowPriority
                case .notificationsThrottled: return Notifications.notificationsThrottled
                case .connectionFallback: return Notifications.connectionFallback
                case .blackholeDetected: return Notifications.blackholeDetected
                }
            }

            /// What the agent sends unless told otherwise: the path events an operator acts
            /// on, not the per-connection ones that flood a busy server.
            public static let defaults: Set<Kind> = [.subflowClosed, .addressRemoved, .subflowPriority, .notificationsThrottled]
        }

        typealias C = ConnectionTable
        typealias S = SubflowTable
        typealias R = RemoteAddressTable
        typealias N = NotificationObjects
        static let connection = [C.localAddressType, C.localAddress, C.localPort, C.remoteAddressType, C.remoteAddress,
                                 C.remotePort]
        static let subflow = [S.localID, S.remoteID, S.ifIndex, PathTable.ifIndex]
        static let address = [R.addressType, R.address, R.port]
        static func n(_ name: String, _ number: UInt32, _ objects: [MIBObject]) -> MIBNotification {
            MIBNotification(name: name, oid: notificationsOID + [number], objects: objects)
        }
        public static let connectionEstablished = n("mptcpConnectionEstablished", 1, connection + [N.side])
        public static let connectionClosed = n("mptcpConnectionClosed", 2, connection + [C.firstSeen])
        public static let subflowEstablished = n("mptcpSubflowEstablished", 3, subflow + [N.backup])
        public static let subflowClosed = n("mptcpSubflowClosed", 4, subflow + [N.error, N.resetReason, N.resetFlags])
        public static let addressAnnounced = n("mptcpAddressAnnounced", 5, address)
        public static let addressRemoved = n("mptcpAddressRemoved", 6, address)
        public static let subflowPriority = n("mptcpSubflowPriority", 7, subflow + [N.backup])
        public static let notificationsThrottled = n("mptcpNotificationsThrottled", 8,
                                                     [N.suppressedCount, NotificationControl.suppressed])
        public static let connectionFallback = n("mptcpConnectionFallback", 9, connection + [C.fallbackCauses])
        public static let blackholeDetected = n("mptcpBlackholeDetected", 10, [
            Stats.object(kernelName: "Blackhole")!, Stats.object(kernelName: "MPCapableSYNTXDisabled")!, General.blackholeTimeout,
        ])
        public static let all = Kind.allCases.map(\.notification)
    }

    // MARK: Lookup

    /// Every OBJECT-TYPE that has instances or is an index: scalars and columns, in OID order.
    public static let objects: [MIBObject] =
        (General.all + Stats.all + tables.flatMap(\.columns) + NotificationControl.all + NotificationObjects.all
         + EventLog.all)
        .sorted { oidLess($0.oid, $1.oid) }

    private static let byName: [String: MIBObject] = Dictionary(uniqueKeysWithValues: objects.map { ($0.name, $0) })

    public static func object(named name: String) -> MIBObject? { byName[name] }

    /// The object whose OID is a prefix of `oid`, and the rest of `oid` (the instance).
    public static func object(containing oid: OID) -> (object: MIBObject, instance: ArraySlice<UInt32>)? {
        // The last object OID <= oid, if it is a prefix.
        let lo = firstOID(after: oid, count: objects.count) { objects[$0].oid }
        guard lo > 0 else { return nil }
        let candidate = objects[lo - 1]
        guard oid.hasPrefix(candidate.oid) else { return nil }
        return (candidate, oid[candidate.oid.count...])
    }

    /// The table a column belongs to.
    public static func table(of column: MIBObject) -> MIBTable? {
        tables.first { column.oid.hasPrefix($0.entryOID) && column.oid.count == $0.entryOID.count + 1 }
    }
}
