import Crypto
import Foundation
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import SignCore
import Sodium
import TestSupport
import Testing
import SwiftASN1
import X509

@Suite struct CertificateTests {
    let owner = "900101300123"
    let password = "correct horse battery staple 42"

    /// A certificate for `publicKey`, issued by a throwaway CA key.
    func certificate(for publicKey: [UInt8], notAfter: Date) throws -> Certificate {
        let issuer = Certificate.PrivateKey(Curve25519.Signing.PrivateKey())
        let name = try DistinguishedName { CommonName("Tamga test CA") }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(Curve25519.Signing.PublicKey(rawRepresentation: publicKey)),
            notValidBefore: Date(timeIntervalSince1970: 1_795_000_000), notValidAfter: notAfter,
            issuer: name, subject: try DistinguishedName { CommonName("IIN\(owner)") },
            signatureAlgorithm: .ed25519, extensions: Certificate.Extensions(), issuerPrivateKey: issuer)
    }

    @Test func attachesPEMAndDERAndKeepsNotAfter() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let notAfter = Date(timeIntervalSince1970: 1_826_690_400)  // 2027-11-20T06:00:00Z
            let issued = try certificate(for: key.publicKey, notAfter: notAfter)
            let pem = Array(try issued.serializeAsPEM().pemString.utf8)
            let info = try await h.core.attachCertificate(keyID: key.id, certificate: pem, operator: "ca-operator")
            #expect(info.certificateNotAfter == 1_826_690_400_000)
            let entry = try h.lastEntry()
            #expect(entry.event == .certAttach && entry.owner == owner && entry.record[field: "key"] == .string(key.id))
            #expect(entry.record[field: "notAfter"] == "2027-11-20T06:00:00.000Z")
            #expect(entry.record[field: "serial"] == .string(hexString(issued.serialNumber.bytes)))
            let der = try #require(info.certificate)
            #expect(try Certificate(derEncoded: der) == issued)

            // A re-issued certificate, as DER, replaces it.
            let reissued = try certificate(for: key.publicKey, notAfter: notAfter.addingTimeInterval(86_400))
            let replaced = try await h.core.attachCertificate(
                keyID: key.id, certificate: try reissued.serializeAsPEM().derBytes, operator: "ca-operator")
            #expect(replaced.certificateNotAfter == 1_826_776_800_000)
            #expect(try h.core.key(key.id).certificateNotAfter == 1_826_776_800_000)
        }
    }

    @Test func refusesCertificatesForOtherKeysOrGarbage() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let other = try Ed25519.PrivateKey().publicKey
            let foreign = try certificate(for: other, notAfter: Date(timeIntervalSince1970: 1_826_690_400))
            await expectRefusal(.invalidRequest) {
                try await h.core.attachCertificate(
                    keyID: key.id, certificate: try foreign.serializeAsPEM().derBytes, operator: "ca-operator")
            }
            await expectRefusal(.invalidRequest) {
                try await h.core.attachCertificate(
                    keyID: key.id, certificate: Array("-----BEGIN CERTIFICATE-----\nAAAA\n".utf8),
                    operator: "ca-operator")
            }
            await expectRefusal(.invalidRequest) {
                try await h.core.attachCertificate(
                    keyID: key.id, certificate: [0x30, 0x03, 1, 2, 3], operator: "ca-operator")
            }
            #expect(try h.core.key(key.id).certificate == nil)
            #expect(try h.entries().allSatisfy { $0.event != .certAttach })

            try await h.core.destroyKey(
                keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .destroy(keyID: key.id)))
            let own = try certificate(for: key.publicKey, notAfter: Date(timeIntervalSince1970: 1_826_690_400))
            await expectRefusal(.forbidden) {
                try await h.core.attachCertificate(
                    keyID: key.id, certificate: try own.serializeAsPEM().derBytes, operator: "ca-operator")
            }
        }
    }
}
