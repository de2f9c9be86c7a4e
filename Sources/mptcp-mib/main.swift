import MPTCPCLI

MPTCPMIBCommand.main()
