/// Why splitting or combining failed.
///
/// A combine error names the share at fault by its 1-based position in the list given to
/// ``combine(_:passphrase:)`` and never quotes its words: a share is secret material, and
/// error messages end up in logs.
public struct SLIP39Error: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case invalidArgument
            case unknownWord
            case invalidLength
            case invalidChecksum
            case invalidPadding
            case invalidShareParameters
            case mismatchedShares
            case duplicateShare
            case wrongShareCount
            case invalidDigest
        }

        private let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// A split parameter is out of range (secret length, thresholds, counts, passphrase,
        /// iteration exponent).
        public static let invalidArgument = Code(.invalidArgument)
        /// A share has a word that is not in the SLIP-39 word list.
        public static let unknownWord = Code(.unknownWord)
        /// A share has a number of words no SLIP-39 share can have.
        public static let invalidLength = Code(.invalidLength)
        /// A share fails its RS1024 checksum: a word is mistyped, swapped or missing.
        public static let invalidChecksum = Code(.invalidChecksum)
        /// A share's padding bits are not zero.
        public static let invalidPadding = Code(.invalidPadding)
        /// A share's own fields contradict each other (group threshold above group count).
        public static let invalidShareParameters = Code(.invalidShareParameters)
        /// Shares from different splits, or shares that disagree on their group's parameters.
        public static let mismatchedShares = Code(.mismatchedShares)
        /// The same member share was given twice.
        public static let duplicateShare = Code(.duplicateShare)
        /// Too few (or, as SLIP-39 requires exact thresholds, too many) shares or groups.
        public static let wrongShareCount = Code(.wrongShareCount)
        /// The recovered secret fails its digest: a share is forged or corrupted beyond the checksum.
        public static let invalidDigest = Code(.invalidDigest)

        public var description: String { "\(kind)" }
    }

    public let code: Code
    /// What was wrong and what to do about it.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "SLIP39Error.\(code): \(message)" }
}
