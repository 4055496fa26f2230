/// The one error type of `MerkleLog`: a proof that does not verify, an argument out of range, a
/// malformed tile path or tile, or a reader that broke its contract. Callers switch on `code`
/// (stable); `message` is for people and says what to do.
public struct MerkleLogError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidArgument, wrongProofLength, rootMismatch, malformedTilePath, invalidTile, readerContract
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// An index or size is out of range for the operation: a leaf index not below the tree
        /// size, a first size of 0 or above the second, a size above `MerkleTree.maxSize`.
        public static let invalidArgument = Code(.invalidArgument)
        /// The proof has more or fewer hashes than its sizes require: it was made for other
        /// sizes, or was cut or padded.
        public static let wrongProofLength = Code(.wrongProofLength)
        /// The proof is well formed but does not lead to the expected root(s).
        public static let rootMismatch = Code(.rootMismatch)
        /// A tile path is not in the canonical C2SP tlog-tiles form, or names a tile no tree of at
        /// most `MerkleTree.maxSize` leaves has.
        public static let malformedTilePath = Code(.malformedTilePath)
        /// Tile data has the wrong length, or the tile does not hold the hash asked for.
        public static let invalidTile = Code(.invalidTile)
        /// A `HashReader` or `TileReader` returned a different number of results than asked for.
        public static let readerContract = Code(.readerContract)

        public var description: String {
            switch wrapped {
            case .invalidArgument: "invalidArgument"
            case .wrongProofLength: "wrongProofLength"
            case .rootMismatch: "rootMismatch"
            case .malformedTilePath: "malformedTilePath"
            case .invalidTile: "invalidTile"
            case .readerContract: "readerContract"
            }
        }
    }

    public let code: Code
    /// What was wrong and, where it helps, what to do about it.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        "MerkleLogError.\(code): \(message)"
    }
}
