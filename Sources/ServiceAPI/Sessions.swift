import Codecs
import Crypto
import Foundation
import LedgerFormats
import Sodium
import Synchronization

/// Personal-cabinet sessions (R12): a random 32-byte bearer token, kept only as its SHA-256,
/// with its owner and expiry. In memory: a restart ends every session (the owner opens a new
/// one with the factors). Bounded: when full, expired sessions are swept, then the oldest go.
final class Sessions: Sendable {
    private struct Session {
        let owner: String
        let expiresAt: Int64
    }

    private let lifetime: Int64
    private let capacity: Int
    private let clock: any LedgerClock
    private let table = Mutex<[[UInt8]: Session]>([:])

    init(lifetime: Int64, capacity: Int, clock: any LedgerClock) {
        self.lifetime = max(1, lifetime)
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    /// A new token for `owner` and when it expires (ms).
    func open(owner: String) -> (token: String, expiresAt: Int64) {
        let token = base64URL(Sodium.randomBytes(32))
        let now = clock.now()
        let session = Session(owner: owner, expiresAt: now + lifetime)
        table.withLock { table in
            if table.count >= capacity {
                table = table.filter { $0.value.expiresAt > now }
                if table.count >= capacity, let oldest = table.min(by: { $0.value.expiresAt < $1.value.expiresAt }) {
                    table[oldest.key] = nil
                }
            }
            table[Self.handle(token)] = session
        }
        return (token, session.expiresAt)
    }

    /// The owner of a live session, or nil (unknown or expired: both are "log in again").
    func owner(token: String) -> String? {
        let now = clock.now()
        let handle = Self.handle(token)
        return table.withLock { table in
            guard let session = table[handle] else { return nil }
            guard session.expiresAt > now else {
                table[handle] = nil
                return nil
            }
            return session.owner
        }
    }

    private static func handle(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }
}

