public import Ledger
public import ServiceAPI

/// As the node wires it (module Node): the service layer reads owners' entries from the ledger.
extension Ledger: ServiceJournal {}
