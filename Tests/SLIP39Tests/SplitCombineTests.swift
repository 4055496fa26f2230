import Crypto
import Foundation
import Testing

@testable import SLIP39

@Suite struct SplitCombineTests {
    /// A fresh 3-of-5 split of a 32-byte secret (Tamga's backup key shape).
    static func threeOfFive(seed: UInt64, passphrase: String = "tamga") throws -> (secret: [UInt8], shares: [String]) {
        var generator = SeededGenerator(seed: seed)
        let secret = randomSecret(32, using: &generator)
        let shares = try split(
            secret: key(secret), threshold: 3, count: 5, passphrase: passphrase, iterationExponent: 0,
            using: &generator
        )
        return (secret, shares)
    }

    @Test func everyThreeOfFiveSubsetCombines() throws {
        let (secret, shares) = try Self.threeOfFive(seed: 1)
        #expect(shares.count == 5)
        #expect(Set(shares).count == 5)
        for share in shares { #expect(share.split(separator: " ").count == 33) }
        let triples = subsets(of: shares, size: 3)
        #expect(triples.count == 10)
        for triple in triples {
            #expect(bytes(try combine(triple, passphrase: "tamga")) == secret)
            #expect(bytes(try combine(triple.reversed(), passphrase: "tamga")) == secret)
        }
    }

    @Test func noTwoSharesCombine() throws {
        let (_, shares) = try Self.threeOfFive(seed: 2)
        let pairs = subsets(of: shares, size: 2)
        #expect(pairs.count == 10)
        for pair in pairs {
            let error = combineError(pair, passphrase: "tamga")
            #expect(error?.code == .wrongShareCount)
            #expect(error?.message == "2 shares given, 3 needed")
            // Below the count check, the mathematics refuses too: two points do not pass the digest.
            let points = try pair.map { mnemonic in
                let share = try Share(mnemonic: mnemonic)
                return (x: UInt8(share.memberIndex), y: share.value)
            }
            #expect(Shamir.recover(threshold: 3, points: points) == nil)
        }
    }

    @Test func moreSharesThanTheThresholdAreRefusedAsSLIP39Requires() throws {
        let (_, shares) = try Self.threeOfFive(seed: 3)
        let error = combineError(Array(shares.prefix(4)), passphrase: "tamga")
        #expect(error?.code == .wrongShareCount)
        #expect(error?.message.contains("4 shares given, exactly 3 needed") == true)
    }

    @Test func sharesOfTwoSplitsDoNotMix() throws {
        let (secret, a) = try Self.threeOfFive(seed: 4)
        var generator = SeededGenerator(seed: 5)
        let b = try split(
            secret: key(secret), threshold: 3, count: 5, passphrase: "tamga", iterationExponent: 0, using: &generator)
        let shareA = try Share(mnemonic: a[0])
        let shareB = try Share(mnemonic: b[0])
        try #require(shareA.identifier != shareB.identifier)

        let error = combineError([a[0], a[1], b[2]], passphrase: "tamga")
        #expect(error?.code == .mismatchedShares)
        #expect(error?.message.hasPrefix("share 3 belongs to another set than share 1 (identifier differs)") == true)

        // A share of another split relabelled with this split's identifier (a forgery, or a
        // 1-in-32768 collision) passes every field check, and the digest catches it.
        var forged = try Share(mnemonic: b[2])
        forged.identifier = shareA.identifier
        let forgedError = combineError([a[0], a[1], forged.mnemonic], passphrase: "tamga")
        #expect(forgedError?.code == .invalidDigest)
    }

    @Test func aDuplicatedShareFails() throws {
        let (_, shares) = try Self.threeOfFive(seed: 6)
        let error = combineError([shares[0], shares[1], shares[0]], passphrase: "tamga")
        #expect(error?.code == .duplicateShare)
        #expect(error?.message.contains("share 3 is member 1 of group 1, as is share 1") == true)
    }

    @Test func aChangedWordFailsTheChecksumAtEveryPosition() throws {
        let (_, shares) = try Self.threeOfFive(seed: 7)
        let words = shares[0].split(separator: " ").map(String.init)
        for position in words.indices {
            var changed = words
            let index = try #require(wordIndex[words[position]])
            changed[position] = wordList[(index + 1) % wordList.count]
            let error = combineError([changed.joined(separator: " "), shares[1], shares[2]], passphrase: "tamga")
            #expect(error?.code == .invalidChecksum, "word \(position + 1)")
            #expect(error?.message.hasPrefix("share 1 fails its checksum") == true)
        }
    }

    @Test func upToThreeChangedWordsAndSwapsAreAlwaysCaught() throws {
        let (_, shares) = try Self.threeOfFive(seed: 8)
        let words = shares[4].split(separator: " ").compactMap { wordIndex[String($0)] }
        try #require(words.count == 33)
        var generator = SeededGenerator(seed: 9)
        for trial in 0..<300 {
            var changed = words
            let errorCount = trial % 3 + 1
            for position in words.indices.shuffled(using: &generator).prefix(errorCount) {
                changed[position] = (words[position] + Int.random(in: 1..<1024, using: &generator)) % 1024
            }
            let mnemonic = changed.map { wordList[$0] }.joined(separator: " ")
            #expect(throws: SLIP39Error.self, "trial \(trial)") { try Share(mnemonic: mnemonic) }
        }
        for position in 0..<(words.count - 1) where words[position] != words[position + 1] {
            var swapped = words
            swapped.swapAt(position, position + 1)
            let mnemonic = swapped.map { wordList[$0] }.joined(separator: " ")
            #expect(throws: SLIP39Error.self, "swap at \(position + 1)") { try Share(mnemonic: mnemonic) }
        }
    }

    @Test func wordsAreMatchedIgnoringCaseAndSpacing() throws {
        let (secret, shares) = try Self.threeOfFive(seed: 10)
        let messy = "  " + shares[0].uppercased().replacingOccurrences(of: " ", with: " \n\t ") + "\n"
        #expect(bytes(try combine([messy, shares[1], shares[2]], passphrase: "tamga")) == secret)
    }

    @Test func anUnknownWordIsNamedByPositionWithoutQuotingIt() throws {
        let (_, shares) = try Self.threeOfFive(seed: 11)
        var words = shares[1].split(separator: " ").map(String.init)
        words[4] = "academik"
        let error = combineError([shares[0], words.joined(separator: " "), shares[2]], passphrase: "tamga")
        #expect(error?.code == .unknownWord)
        #expect(error?.message.hasPrefix("share 2: word 5 is not in the SLIP-39 word list") == true)
        #expect(error?.message.contains("academik") == false)
    }

    @Test func aMissingOrExtraWordIsAnInvalidLength() throws {
        for secretLength in [16, 32] {
            var generator = SeededGenerator(seed: 12)
            let shares = try split(
                secret: key(randomSecret(secretLength, using: &generator)), threshold: 2, count: 3,
                iterationExponent: 0,
                using: &generator
            )
            let words = shares[0].split(separator: " ")
            #expect(words.count == (secretLength == 16 ? 20 : 33))
            let shorter = words.dropLast().joined(separator: " ")
            let longer = (words + ["academic"]).joined(separator: " ")
            for mnemonic in [shorter, longer] {
                #expect(combineError([mnemonic, shares[1]])?.code == .invalidLength)
            }
        }
    }

    @Test func nonzeroPaddingIsRefusedEvenWithAValidChecksum() throws {
        let (_, shares) = try Self.threeOfFive(seed: 13)
        var words = shares[0].split(separator: " ").compactMap { wordIndex[String($0)] }
        // A 32-byte value takes 26 words: 260 bits, of which the first 4 are padding.
        words[4] |= 0x200
        var checksum = RS1024(extendable: try Share(mnemonic: shares[0]).extendable)
        for word in words.dropLast(3) { checksum.append(word) }
        words = Array(words.dropLast(3)) + checksum.checksumWords()
        let error = combineError([words.map { wordList[$0] }.joined(separator: " "), shares[1], shares[2]])
        #expect(error?.code == .invalidPadding)
    }

    @Test func aShareAskingForMoreGroupsThanExistIsRefused() throws {
        let (_, shares) = try Self.threeOfFive(seed: 14)
        var share = try Share(mnemonic: shares[0])
        share.groupThreshold = 3
        share.groupCount = 2
        #expect(throws: SLIP39Error.self) { try Share(mnemonic: share.mnemonic) }
        #expect(combineError([share.mnemonic])?.code == .invalidShareParameters)
    }

    @Test func aWrongPassphraseGivesAnotherSecretNotAnError() throws {
        let (secret, shares) = try Self.threeOfFive(seed: 15)
        let other = try combine(Array(shares.prefix(3)), passphrase: "tamgA")
        #expect(bytes(other) != secret)
        #expect(bytes(other).count == 32)
    }

    @Test func aNonASCIIPassphraseIsRefused() throws {
        let (_, shares) = try Self.threeOfFive(seed: 16)
        #expect(combineError(Array(shares.prefix(3)), passphrase: "тамга")?.code == .invalidArgument)
        var generator = SeededGenerator(seed: 17)
        #expect(throws: SLIP39Error.self) {
            try split(
                secret: key(randomSecret(32, using: &generator)), threshold: 3, count: 5, passphrase: "é",
                using: &generator)
        }
    }

    @Test func noSharesIsAnError() {
        #expect(combineError([])?.code == .wrongShareCount)
    }

    @Test func groupSharingNeedsThresholdGroupsEachAtItsThreshold() throws {
        var generator = SeededGenerator(seed: 18)
        let secret = randomSecret(16, using: &generator)
        let groups = try split(
            secret: key(secret), groupThreshold: 2, groups: [(2, 3), (3, 5), (1, 1)], passphrase: "TREZOR",
            iterationExponent: 0, extendable: false, using: &generator
        )
        #expect(groups.map(\.count) == [3, 5, 1])
        let minimal = [Array(groups[0].prefix(2)), Array(groups[1].suffix(3)), groups[2]]
        for pair in subsets(of: minimal, size: 2) {
            let mnemonics = pair.flatMap { $0 }
            #expect(bytes(try combine(mnemonics, passphrase: "TREZOR")) == secret)
            #expect(bytes(try combine(mnemonics.reversed(), passphrase: "TREZOR")) == secret)
        }

        let oneGroup = combineError(minimal[1], passphrase: "TREZOR")
        #expect(oneGroup?.code == .wrongShareCount)
        #expect(oneGroup?.message.contains("shares of 1 group given, 2 needed") == true)

        let threeGroups = combineError(minimal.flatMap { $0 }, passphrase: "TREZOR")
        #expect(threeGroups?.code == .wrongShareCount)
        #expect(threeGroups?.message.contains("exactly 2 needed") == true)

        let shortGroup = combineError(minimal[0] + groups[1].prefix(2), passphrase: "TREZOR")
        #expect(shortGroup?.code == .wrongShareCount)
        #expect(shortGroup?.message == "group 2: 2 shares given, 3 needed")
    }

    @Test func theSameSeedGivesTheSameSharesAndAnotherSeedOthers() throws {
        let first = try Self.threeOfFive(seed: 19)
        let again = try Self.threeOfFive(seed: 19)
        let other = try Self.threeOfFive(seed: 20)
        #expect(first.shares == again.shares)
        #expect(Set(first.shares).isDisjoint(with: other.shares))
    }

    @Test func everyAllowedSecretLengthAndBothFormatsRoundTrip() throws {
        var generator = SeededGenerator(seed: 21)
        for length in stride(from: 16, through: 32, by: 2) {
            for extendable in [false, true] {
                let secret = randomSecret(length, using: &generator)
                let shares = try split(
                    secret: key(secret), threshold: 2, count: 3, passphrase: "p", iterationExponent: 0,
                    extendable: extendable, using: &generator
                )
                let share = try Share(mnemonic: shares[0])
                #expect(share.extendable == extendable)
                #expect(share.value.count == length)
                #expect(bytes(try combine([shares[2], shares[0]], passphrase: "p")) == secret)
            }
        }
    }

    @Test func oneOfOneReturnsTheOnlyShare() throws {
        var generator = SeededGenerator(seed: 22)
        let secret = randomSecret(32, using: &generator)
        let shares = try split(secret: key(secret), threshold: 1, count: 1, iterationExponent: 0, using: &generator)
        #expect(shares.count == 1)
        #expect(bytes(try combine(shares)) == secret)
    }

    static let invalidSplits:
        [(name: String, secretLength: Int, groupThreshold: Int, groups: [(Int, Int)], exponent: Int)] = [
            ("secret of 14 bytes", 14, 1, [(3, 5)], 0),
            ("secret of 17 bytes", 17, 1, [(3, 5)], 0),
            ("secret of 34 bytes", 34, 1, [(3, 5)], 0),
            ("threshold 0", 16, 1, [(0, 5)], 0),
            ("threshold above count", 16, 1, [(6, 5)], 0),
            ("17 shares", 16, 1, [(3, 17)], 0),
            ("1 of 2", 16, 1, [(1, 2)], 0),
            ("no groups", 16, 1, [], 0),
            ("group threshold 0", 16, 0, [(2, 3)], 0),
            ("group threshold above groups", 16, 3, [(2, 3), (2, 3)], 0),
            ("17 groups", 16, 1, Array(repeating: (1, 1), count: 17), 0),
            ("iteration exponent 16", 16, 1, [(3, 5)], 16),
            ("iteration exponent -1", 16, 1, [(3, 5)], -1),
        ]

    @Test func invalidSplitArgumentsAreRefused() {
        for case let (name, length, groupThreshold, groups, exponent) in Self.invalidSplits {
            var generator = SeededGenerator(seed: 23)
            do {
                _ = try split(
                    secret: key(randomSecret(length, using: &generator)), groupThreshold: groupThreshold,
                    groups: groups.map { (memberThreshold: $0.0, memberCount: $0.1) }, iterationExponent: exponent,
                    using: &generator
                )
                Issue.record("\(name): split succeeded")
            } catch {
                #expect(error.code == .invalidArgument, "\(name): \(error)")
            }
        }
    }
}

@Suite struct PrimitiveTests {
    @Test func theCompiledWordListIsThePublishedOne() throws {
        let published = try String(contentsOf: resourceURL("wordlist", "txt"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
        #expect(published.count == 1024)
        #expect(wordList == published)
        #expect(wordIndex.count == 1024)
    }

    /// RFC 7914 section 11: PBKDF2-HMAC-SHA256 test vectors (two 32-byte blocks each).
    @Test func pbkdf2MatchesRFC7914() {
        let one = pbkdf2SHA256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, byteCount: 64)
        #expect(
            hex(one)
                == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        )
        let many = pbkdf2SHA256(
            password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80000, byteCount: 64)
        #expect(
            hex(many)
                == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        )
    }

    /// FIPS 197 section 4.2: {57} • {83} = {c1}; and every nonzero element has its inverse.
    @Test func gf256Arithmetic() {
        #expect(GF256.multiply(0x57, 0x83) == 0xC1)
        #expect(GF256.multiply(0x57, 0x13) == 0xFE)
        for a in 1...255 {
            #expect(GF256.multiply(UInt8(a), GF256.inverse(UInt8(a))) == 1, "a = \(a)")
        }
    }

    @Test func theFeistelCipherIsAPermutationKeyedByPassphraseAndSalt() {
        var generator = SeededGenerator(seed: 24)
        let secret = randomSecret(32, using: &generator)
        let encrypted = FeistelCipher.encrypt(
            secret, passphrase: Array("x".utf8), iterationExponent: 0, identifier: 7, extendable: false)
        #expect(encrypted != secret)
        #expect(
            FeistelCipher.decrypt(
                encrypted, passphrase: Array("x".utf8), iterationExponent: 0, identifier: 7, extendable: false)
                == secret)
        #expect(
            FeistelCipher.decrypt(
                encrypted, passphrase: Array("x".utf8), iterationExponent: 0, identifier: 8, extendable: false)
                != secret)
        // Extendable shares leave the identifier out of the salt.
        let extendable = FeistelCipher.encrypt(
            secret, passphrase: [], iterationExponent: 0, identifier: 1, extendable: true)
        #expect(
            FeistelCipher.decrypt(extendable, passphrase: [], iterationExponent: 0, identifier: 2, extendable: true)
                == secret)
    }
}
