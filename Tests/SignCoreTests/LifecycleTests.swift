import Crypto
import Foundation
import GOST28147
import HSMBoundary
import Ledger
import PublicLog
import LedgerFormats
import SignCore
import Sodium
import TestSupport
import Testing

@Suite struct LifecycleTests {
    let owner = "900101300123"
    let password = "correct horse battery staple 42"

    @Test func fullLifecycleSignsAndJournalsAndLeavesNoSecretInFiles() async throws {
        try await Harness.with { h in
            try await h.consent(owner: owner)
            #expect(try h.lastEntry().event == .consent)
            let key = try await h.core.createKey(owner: owner, factors: h.factors(owner: owner, password: password, for: .createKey))

            // key.create names the key, its algorithm and the SHA-256 fingerprint of its public key.
            let created = try h.lastEntry()
            #expect(created.event == .keyCreate)
            #expect(created.owner == owner)
            #expect(created.record[field: "key"] == .string(key.id))
            #expect(created.record[field: "alg"] == "Ed25519")
            #expect(created.record[field: "fingerprint"] == .string(hexString(SHA256.hash(data: key.publicKey))))
            #expect(
                key.state == .active && key.publicKey.count == 32
                    && key.parameterSetOID == GOST28147ParameterSet.cryptoProA.oid)

            // The seed, by the test's own derivation: it must be the key's.
            let stored = try StoredWrapping(h, keyID: key.id)
            let seed = try stored.seed(password: password, keyID: key.id, masterKey: h.masterKey)
            #expect(try Ed25519.PrivateKey(seed: seed).publicKey == key.publicKey)
            let verifier = try stored.derived(
                "password verifier", password: password, keyID: key.id, masterKey: h.masterKey)
            #expect(verifier.constantTimeEquals(stored.verifier))

            // Authorize and sign 100 hashes.
            let hashes = randomHashes(100)
            let activation = try await h.authorize(key, password: password, hashes: hashes)
            #expect(activation.expiresAt <= h.clock.now() + 300_000)
            let before = try h.size
            let signatures = try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: hashes)
            #expect(signatures.count == 100)
            for (hash, signature) in zip(hashes, signatures) {
                #expect(Ed25519.verify(signature: signature, message: hash, publicKey: key.publicKey))
            }
            // One `key.use` per signature, in one batch: consecutive entries in the request's
            // order, under one checkpoint (the same time).
            let uses = try h.entries()[before...]
            #expect(uses.count == 100 && uses.allSatisfy { $0.event == .keyUse && $0.owner == owner })
            #expect(uses.map(\.seq) == Array(Int64(before)..<Int64(before + 100)))
            #expect(uses.compactMap { $0.record[field: "doc"] } == hashes.map { FieldValue.string(hexString($0)) })
            #expect(Set(uses.map(\.time)).count == 1)
            #expect(
                uses.allSatisfy { $0.record[field: "alg"] == "Ed25519" && $0.record[field: "key"] == .string(key.id) })

            // Destroy; then every use fails, and is journaled.
            try await h.core.destroyKey(
                keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .destroy(keyID: key.id)))
            #expect(try h.lastEntry().event == .keyDestroy)
            #expect(try h.core.key(key.id).state == .destroyed)
            #expect(try h.core.key(key.id).parameterSetOID == nil)
            await expectRefusal(.notFound) { try await h.authorize(key, password: password, hashes: randomHashes(1)) }
            try expectJournaled(h, .authFail, owner: owner, reason: "key-destroyed", key: key.id)
            await expectRefusal(.notFound) {
                try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: [hashes[0]])
            }
            try await expectCounted(h, purpose: "sign", reason: "key-destroyed", key: key.id)
            await expectRefusal(.notFound) {
                try await h.core.destroyKey(
                    keyID: key.id, owner: owner, factors: h.factors(owner: owner, password: password, for: .destroy(keyID: key.id)))
            }
            #expect(try h.core.keys(owner: owner).map(\.id) == [key.id])

            // The record now has no wrapped seed at all.
            let record = try #require(try h.journal.record("signcore/key/\(key.id)"))
            #expect(!String(decoding: record, as: UTF8.self).contains("wrappedSeed"))

            // No secret in the clear: not in any entry or record, nor (on the ledger) in any file.
            let seedBytes = seed.withBytes { Array($0) }
            let masterBytes = h.masterKey.withBytes { Array($0) }
            let secrets = encodings(of: seedBytes) + encodings(of: masterBytes) + [Data(password.utf8)]
            let logical = try h.entries().map(\.canonicalBytes) + h.journal.records(prefix: "").map(\.value)
            #expect(logical.count > 100)
            for value in logical {
                for secret in secrets { #expect(Data(value).range(of: secret) == nil) }
            }
            if let ledger = h.ledger {
                ledger.shutdown()
                let files = try filesUnder(h.folder.path)
                #expect(files.count > 3)
                // The scan must see what is there: the key id is in the store's files (in the
                // log, uncompressed, since the refusals journaled after the destroy name it).
                #expect(files.contains { $0.1.range(of: Data(key.id.utf8)) != nil })
                for (name, contents) in files {
                    for (index, secret) in secrets.enumerated() where !(name == "master.key" && (3..<6).contains(index)) {
                        #expect(contents.range(of: secret) == nil, "secret form \(index) found in \(name)")
                    }
                }
            }
        }
    }

    @Test func documentsAreHashedInside() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            let documents = [Array("contract #1".utf8), Array(repeating: 7, count: 100_000)]
            let hashes = documents.map { Array(SHA256.hash(data: $0)) }
            let activation = try await h.authorize(key, password: password, hashes: hashes)
            let signatures = try await h.core.sign(
                keyID: key.id, owner: owner, sad: activation.sad, documents: documents)
            for (hash, signature) in zip(hashes, signatures) {
                #expect(Ed25519.verify(signature: signature, message: hash, publicKey: key.publicKey))
            }
            let docs = try h.entries().suffix(2).compactMap { $0.record[field: "doc"] }
            #expect(Set(docs) == Set(hashes.map { FieldValue.string(hexString($0)) }))
        }
    }

    @Test(arguments: [GOST28147ParameterSet.cryptoProA, .tc26Z])
    func gostWrapRoundTrip(parameterSet: GOST28147ParameterSet) async throws {
        try await Harness.with(configure: { $0.parameterSet = parameterSet }) { h in
            let key = try await h.createKey(owner: owner, password: password)
            #expect(key.parameterSetOID == parameterSet.oid)
            let stored = try StoredWrapping(h, keyID: key.id)
            #expect(
                stored.parameterSetOID == parameterSet.oid
                    && stored.wrappedSeed.count == GOST28147KeyWrap.wrappedKeyLength)
            let seed = try stored.seed(password: password, keyID: key.id, masterKey: h.masterKey)
            #expect(try Ed25519.PrivateKey(seed: seed).publicKey == key.publicKey)
            // The other S-box, or another password, does not unwrap it.
            let other: GOST28147ParameterSet = parameterSet == .cryptoProA ? .tc26Z : .cryptoProA
            #expect(throws: GOST28147Error.self) {
                try stored.seed(password: password, keyID: key.id, masterKey: h.masterKey, parameterSet: other)
            }
            #expect(throws: GOST28147Error.self) {
                try stored.seed(password: password + "!", keyID: key.id, masterKey: h.masterKey)
            }
            // And SignCore signs with what it unwraps.
            let hash = randomHashes(1)
            let activation = try await h.authorize(key, password: password, hashes: hash)
            let signature = try await h.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: hash)
            #expect(Ed25519.verify(signature: signature[0], message: hash[0], publicKey: key.publicKey))
        }
    }

    @Test func weakerArgon2IsRaisedOnNextAuthorization() async throws {
        try await Harness.with { h in
            let key = try await h.createKey(owner: owner, password: password)
            #expect(key.argon2 == .testOnly)
            let oldSalt = try StoredWrapping(h, keyID: key.id).salt
            let stronger = Argon2id.Parameters(iterations: 2, memoryBytes: 64 * 1024)
            let upgraded = try h.reconfigured { $0.argon2 = stronger }
            let hash = randomHashes(1)
            let activation = try await upgraded.authorize(key, password: password, hashes: hash)
            #expect(try upgraded.core.key(key.id).argon2 == stronger)
            let stored = try StoredWrapping(upgraded, keyID: key.id)
            #expect(stored.parameters == stronger && stored.salt != oldSalt)
            #expect(
                try Ed25519.PrivateKey(seed: stored.seed(password: password, keyID: key.id, masterKey: h.masterKey))
                    .publicKey == key.publicKey)
            let signature = try await upgraded.core.sign(keyID: key.id, owner: owner, sad: activation.sad, hashes: hash)
            #expect(Ed25519.verify(signature: signature[0], message: hash[0], publicKey: key.publicKey))
            // The same password still works, a wrong one still does not.
            _ = try await upgraded.authorize(key, password: password, hashes: randomHashes(1))
            await expectRefusal(.invalidPassword) {
                try await upgraded.authorize(key, password: "wrong password", hashes: randomHashes(1))
            }
        }
    }

    @Test func manyOwnersSignInParallel() async throws {
        try await Harness.with(configure: { $0.maxConcurrentDerivations = 2 }) { h in
            let owners = (0..<12).map { "8001013000\(String(format: "%02d", $0))" }
            let results = try await withThrowingTaskGroup(of: (KeyInfo, [[UInt8]], [[UInt8]]).self) { group in
                for owner in owners {
                    group.addTask {
                        let key = try await h.createKey(owner: owner, password: "parallel password \(owner.suffix(2))")
                        let hashes = randomHashes(10)
                        let activation = try await h.authorize(key, password: "parallel password \(owner.suffix(2))", hashes: hashes)
                        let signatures = try await h.core.sign(
                            keyID: key.id, owner: owner, sad: activation.sad, hashes: hashes)
                        return (key, hashes, signatures)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == owners.count)
            for (key, hashes, signatures) in results {
                for (hash, signature) in zip(hashes, signatures) {
                    #expect(Ed25519.verify(signature: signature, message: hash, publicKey: key.publicKey))
                }
            }
            let uses = try h.entries().filter { $0.event == .keyUse }
            #expect(uses.count == 120)
            #expect(Set(uses.map(\.owner)) == Set(owners))
            #expect((1...2).contains(h.core.peakConcurrentDerivations))
        }
    }
}
