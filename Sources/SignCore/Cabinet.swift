import LedgerFormats

extension SignCore {
    /// Opens the owner's personal cabinet (R12) with the same factors as a use of `keyID`, one
    /// of the owner's keys: the service API then lists what the owner's keys signed. Failures
    /// are journaled and counted as any authentication's; success journals `auth.ok` and
    /// `cabinet.open`. No SAD is made and the key's KEK is dropped at once.
    public func openCabinet(keyID: String, owner: String, factors: Factors) async throws -> KeyInfo {
        try checkOwner(owner)
        try checkKeyID(keyID)
        return try await keyLocks.withLock(keyID) {
            let record = try await authenticate(owner: owner, factors: factors, for: .openCabinet(keyID: keyID)).record
            try await journal(.cabinetOpen(key: keyID), owner: owner)
            return record.info
        }
    }
}
