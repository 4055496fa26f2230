/// One SLIP-39 share: the fields a mnemonic carries, thresholds and counts in natural form
/// (the mnemonic stores them minus one). Indexes are 0-based as stored; messages show them 1-based.
///
/// `package` so a restore ceremony elsewhere in Tamga can check each share as it is typed in,
/// before all of them are there to combine.
package struct Share: Hashable, Sendable {
    package var identifier: Int
    package var extendable: Bool
    package var iterationExponent: Int
    package var groupIndex: Int
    package var groupThreshold: Int
    package var groupCount: Int
    package var memberIndex: Int
    package var memberThreshold: Int
    package var value: [UInt8]

    static let radixBits = 10
    static let checksumWords = 3
    /// Identifier, extendable flag and iteration exponent (2 words), group and member
    /// parameters (2 words), checksum (3 words): everything but the value.
    static let metadataWords = 4 + checksumWords
    /// The shortest share holds a 128-bit value: 13 words.
    static let minimumWords = metadataWords + 13

    package init(
        identifier: Int, extendable: Bool, iterationExponent: Int, groupIndex: Int, groupThreshold: Int,
        groupCount: Int, memberIndex: Int, memberThreshold: Int, value: [UInt8]
    ) {
        self.identifier = identifier
        self.extendable = extendable
        self.iterationExponent = iterationExponent
        self.groupIndex = groupIndex
        self.groupThreshold = groupThreshold
        self.groupCount = groupCount
        self.memberIndex = memberIndex
        self.memberThreshold = memberThreshold
        self.value = value
    }

    /// Decodes and checks one mnemonic: known words, a possible length, the checksum, consistent
    /// group parameters and zero padding. `position` (1-based) names the share in error messages.
    package init(mnemonic: String, position: Int = 1) throws(SLIP39Error) {
        let name = "share \(position)"
        var words: [Int] = []
        for (number, word) in mnemonic.split(whereSeparator: \.isWhitespace).enumerated() {
            guard let index = wordIndex[word.lowercased()] else {
                throw SLIP39Error(
                    .unknownWord,
                    "\(name): word \(number + 1) is not in the SLIP-39 word list; check its spelling against the written share"
                )
            }
            words.append(index)
        }
        let valueWords = words.count - Self.metadataWords
        // The value is left-padded to whole words; more than 8 bits of padding means a word too
        // many or too few, as a value is a whole number of 16-bit units.
        let paddingBits = (valueWords * Self.radixBits) % 16
        guard words.count >= Self.minimumWords, paddingBits <= 8 else {
            throw SLIP39Error(
                .invalidLength,
                "\(name) has \(words.count) words, a length no share has (20 words for a 128-bit secret, 33 for 256 bits); a word is missing or extra"
            )
        }

        let idExp = words[0] << 10 | words[1]
        identifier = idExp >> 5
        extendable = (idExp >> 4) & 1 == 1
        iterationExponent = idExp & 0xF

        var checksum = RS1024(extendable: extendable)
        for word in words { checksum.append(word) }
        guard checksum.isValid else {
            throw SLIP39Error(
                .invalidChecksum,
                "\(name) fails its checksum: a word is mistyped, swapped or missing; compare each word with the written share"
            )
        }

        let parameters = words[2] << 10 | words[3]
        groupIndex = parameters >> 16
        groupThreshold = (parameters >> 12 & 0xF) + 1
        groupCount = (parameters >> 8 & 0xF) + 1
        memberIndex = parameters >> 4 & 0xF
        memberThreshold = (parameters & 0xF) + 1
        guard groupThreshold <= groupCount else {
            throw SLIP39Error(
                .invalidShareParameters,
                "\(name) asks for \(groupThreshold) groups out of \(groupCount), which cannot be; the share is corrupt or forged"
            )
        }

        var value: [UInt8] = []
        value.reserveCapacity((valueWords * Self.radixBits - paddingBits) / 8)
        var accumulator = 0
        var bits = 0
        var padding = paddingBits
        for word in words[4..<(words.count - Self.checksumWords)] {
            accumulator = accumulator << Self.radixBits | word
            bits += Self.radixBits
            if padding > 0 {
                bits -= padding
                padding = 0
                guard accumulator >> bits == 0 else {
                    value.wipe()
                    throw SLIP39Error(
                        .invalidPadding,
                        "\(name) has nonzero padding bits, which no SLIP-39 tool writes; the share is corrupt or forged"
                    )
                }
            }
            while bits >= 8 {
                bits -= 8
                value.append(UInt8(truncatingIfNeeded: accumulator >> bits))
            }
            accumulator &= (1 << bits) - 1
        }
        self.value = value
    }

    /// The share as a mnemonic: space-separated words from the SLIP-39 list.
    package var mnemonic: String {
        let idExp = identifier << 5 | (extendable ? 1 : 0) << 4 | iterationExponent
        let parameters =
            groupIndex << 16 | (groupThreshold - 1) << 12 | (groupCount - 1) << 8 | memberIndex << 4
            | (memberThreshold - 1)
        var words = [idExp >> 10, idExp & 0x3FF, parameters >> 10, parameters & 0x3FF]

        let valueWords = (value.count * 8 + Self.radixBits - 1) / Self.radixBits
        words.reserveCapacity(4 + valueWords + Self.checksumWords)
        var accumulator = 0
        var bits = valueWords * Self.radixBits - value.count * 8  // leading zero padding
        for byte in value {
            accumulator = accumulator << 8 | Int(byte)
            bits += 8
            while bits >= Self.radixBits {
                bits -= Self.radixBits
                words.append(accumulator >> bits & 0x3FF)
            }
            accumulator &= (1 << bits) - 1
        }

        var checksum = RS1024(extendable: extendable)
        for word in words { checksum.append(word) }
        words += checksum.checksumWords()
        return words.map { wordList[$0] }.joined(separator: " ")
    }
}

/// The RS1024 checksum: a Reed-Solomon code over GF(1024) that catches any error in up to three
/// words. The customization string keeps extendable and original shares from passing as each
/// other.
struct RS1024 {
    private static let generator: [UInt32] = [
        0xE0_E040, 0x1C1_C080, 0x383_8100, 0x707_0200, 0xE0E_0009,
        0x1C0C_2412, 0x3808_6C24, 0x3090_FC48, 0x21B1_F890, 0x3F3_F120,
    ]

    private var state: UInt32 = 1

    init(extendable: Bool) {
        for byte in (extendable ? "shamir_extendable" : "shamir").utf8 { append(Int(byte)) }
    }

    mutating func append(_ word: Int) {
        let top = state >> 20
        state = (state & 0xF_FFFF) << 10 ^ UInt32(word)
        for i in 0..<10 where (top >> i) & 1 == 1 { state ^= Self.generator[i] }
    }

    /// True when the words appended so far end in a valid checksum.
    var isValid: Bool { state == 1 }

    /// The three words that complete the words appended so far.
    func checksumWords() -> [Int] {
        var copy = self
        for _ in 0..<Share.checksumWords { copy.append(0) }
        let residue = copy.state ^ 1
        return [Int(residue >> 20 & 0x3FF), Int(residue >> 10 & 0x3FF), Int(residue & 0x3FF)]
    }
}
