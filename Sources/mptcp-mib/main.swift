import MPTCPCLI

MPTCPMIBCommand.start()
