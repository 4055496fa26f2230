import Foundation

/// Where the ledger reads the time. Injected, so tests can step it across midnights, backwards,
/// or over ten days of downtime.
public protocol LedgerClock: Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    func now() -> Int64
}

/// The operating system's wall clock.
public struct SystemClock: LedgerClock {
    public init() {}
    public func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
