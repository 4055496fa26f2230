import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import SignCore
import Sodium
import Testing

@Suite struct CabinetTests {
    let owner = "900101300123"
    let password = "correct horse battery staple 42"

    @Test func openingJournalsAuthThenCabinetOpen() async throws {
        try await Harness.with { harness in
            let key = try await harness.createKey(owner: owner, password: password)
            let info = try await harness.core.openCabinet(
                keyID: key.id, owner: owner, factors: harness.factors(owner: owner, password: password, for: .openCabinet(keyID: key.id)))
            #expect(info.id == key.id)
            #expect(info.owner == owner)
            let entries = try harness.entries()
            let last = try #require(entries.last)
            #expect(last.event == .cabinetOpen)
            #expect(last.owner == owner)
            #expect(last.record[field: "key"] == .string(key.id))
            let before = entries[entries.count - 2]
            #expect(before.event == .authOK)
            #expect(before.record[field: "purpose"] == .string("cabinet"))
        }
    }

    @Test func wrongPasswordIsCountedAndNoCabinetOpen() async throws {
        try await Harness.with { harness in
            let key = try await harness.createKey(owner: owner, password: password)
            await expectRefusal(.invalidPassword) {
                try await harness.core.openCabinet(
                    keyID: key.id, owner: owner, factors: harness.factors(owner: owner, password: "not the password", for: .openCabinet(keyID: key.id)))
            }
            let last = try harness.lastEntry()
            #expect(last.event == .authFail)
            #expect(last.record[field: "purpose"] == .string("cabinet"))
            #expect(last.record[field: "failures"] == .integer(1))
            #expect(!(try harness.entries()).contains { $0.event == .cabinetOpen })
            #expect(try harness.core.key(key.id).failedAttempts == 1)
        }
    }

    @Test func anotherOwnersKeyIsNotFound() async throws {
        try await Harness.with { harness in
            let key = try await harness.createKey(owner: owner, password: password)
            let stranger = "850505400456"
            await expectRefusal(.notFound) {
                try await harness.core.openCabinet(
                    keyID: key.id, owner: stranger, factors: harness.factors(owner: stranger, password: password, for: .openCabinet(keyID: key.id)))
            }
            try expectJournaled(harness, .authFail, owner: stranger, reason: "other-owner", key: key.id)
        }
    }
}
