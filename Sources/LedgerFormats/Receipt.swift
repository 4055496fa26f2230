import Codecs
/// An event's receipt: a C2SP tlog-proof (`c2sp.org/tlog-proof@v1`) whose `extra` line holds the
/// entry's bytes, with the inclusion proof of that entry in a signed checkpoint.
///
///     c2sp.org/tlog-proof@v1
///     extra <base64 entry>
///     index <n>
///     <base64 proof hash>        (zero or more, leaf's sibling first)
///
///     <signed checkpoint note, verbatim>
///
/// The extra data is not authenticated by the format; the inclusion proof is what binds it.
public struct Receipt: Sendable, Hashable {
    public static let header = "c2sp.org/tlog-proof@v1"
    /// The tlog-tiles entry limit, which journal entries respect.
    public static let maxEntrySize = 65_535

    /// The journal entry's canonical JSON bytes.
    public let entry: [UInt8]
    public let index: UInt64
    /// The RFC 9162 inclusion proof, each hash 32 bytes.
    public let proof: [[UInt8]]
    /// The log's signed checkpoint (with any cosignatures) the proof leads to.
    public let note: SignedNote
    /// `note`'s text, parsed (not verified: see `verify`).
    public let checkpoint: Checkpoint

    /// - Throws: `invalidArgument` if the parts cannot form a receipt.
    public init(entry: [UInt8], index: UInt64, proof: [[UInt8]], note: SignedNote) throws(LedgerFormatsError) {
        try self.init(entry: entry, index: index, proof: proof, note: note, code: .invalidArgument)
    }

    private init(entry: [UInt8], index: UInt64, proof: [[UInt8]], note: SignedNote, code: LedgerFormatsError.Code) throws(LedgerFormatsError) {
        guard (1...Receipt.maxEntrySize).contains(entry.count) else {
            throw LedgerFormatsError(code, "a receipt's entry is 1 to \(Receipt.maxEntrySize) bytes, got \(entry.count)")
        }
        guard proof.allSatisfy({ $0.count == 32 }) else {
            throw LedgerFormatsError(code, "every inclusion proof hash is 32 bytes")
        }
        // A tree of at most 2^64 - 1 leaves is at most 64 levels deep.
        guard proof.count <= 64 else {
            throw LedgerFormatsError(code, "an inclusion proof has at most 64 hashes, got \(proof.count)")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(text: note.text)
        } catch {
            throw LedgerFormatsError(code, "the receipt's checkpoint: \(error.message)")
        }
        guard index < checkpoint.size else {
            throw LedgerFormatsError(code, "the receipt's index \(index) is outside its checkpoint's tree of size \(checkpoint.size)")
        }
        self.entry = entry
        self.index = index
        self.proof = proof
        self.note = note
        self.checkpoint = checkpoint
    }

    /// Parses a receipt strictly (no other header, extra data required, canonical numbers and
    /// base64). It verifies nothing: call `verify`.
    public init(parsing bytes: some Collection<UInt8>) throws(LedgerFormatsError) {
        let all = Array(bytes)
        // The proof ends at the first blank line; the signed checkpoint follows verbatim.
        var blank: Int? = nil
        var lineStart = 0
        for (offset, byte) in all.enumerated() where byte == UInt8(ascii: "\n") {
            if offset == lineStart {
                blank = offset
                break
            }
            lineStart = offset + 1
        }
        guard let blank else {
            throw LedgerFormatsError(.malformed, "a receipt needs a blank line between the proof and the checkpoint")
        }
        guard let head = String(validating: all[..<blank], as: UTF8.self) else {
            throw LedgerFormatsError(.malformed, "a receipt must be valid UTF-8")
        }
        guard !NoteSyntax.hasControlCharacter(head, allowNewline: true) else {
            throw LedgerFormatsError(.malformed, "a receipt must not contain control characters other than newline")
        }
        let lines = try NoteSyntax.lines(head, what: "the receipt's proof")
        guard lines.count >= 3, lines[0] == Receipt.header else {
            throw LedgerFormatsError(.malformed, "a receipt starts with the line \"\(Receipt.header)\", then extra and index lines")
        }
        guard lines[1].hasPrefix("extra "), let entry = Base64.decode(lines[1].dropFirst(6)) else {
            throw LedgerFormatsError(.malformed, "a receipt's second line must be \"extra <base64 of the entry>\"")
        }
        guard lines[2].hasPrefix("index ") else {
            throw LedgerFormatsError(.malformed, "a receipt's third line must be \"index <n>\"")
        }
        let index = try NoteSyntax.decimal(lines[2].dropFirst(6), field: "receipt index")
        var proof = [[UInt8]]()
        proof.reserveCapacity(lines.count - 3)
        for line in lines.dropFirst(3) {
            proof.append(try NoteSyntax.hash(line, field: "inclusion proof hash"))
        }
        let note = try SignedNote(parsing: all[(blank + 1)...])
        try self.init(entry: entry, index: index, proof: proof, note: note, code: .malformed)
    }

    /// The receipt file's text (extension `.tlog-proof`).
    public var formatted: String {
        var out = "\(Receipt.header)\nextra \(Base64.encode(entry))\nindex \(index)\n"
        for hash in proof {
            out += Base64.encode(hash)
            out += "\n"
        }
        out += "\n"
        out += note.formatted
        return out
    }

    /// Verifies the checkpoint's signature with the log key, then asks `inclusion` to check the
    /// Merkle proof (so this module need not depend on the Merkle code). `inclusion` gets the
    /// receipt and the verified checkpoint, and returns whether the leaf hash of `entry` is at
    /// `index` in the tree of `checkpoint.size` leaves with root `checkpoint.rootHash`.
    ///
    /// - Returns: the verified checkpoint.
    @discardableResult
    public func verify(
        using verifier: NoteVerifier,
        inclusion: (_ receipt: Receipt, _ checkpoint: Checkpoint) throws -> Bool
    ) throws -> Checkpoint {
        let checkpoint = try Checkpoint(note: note, verifier: verifier)
        guard try inclusion(self, checkpoint) else {
            throw LedgerFormatsError(.verificationFailed, "the entry is not at index \(index) of the checkpoint's tree (size \(checkpoint.size)): the inclusion proof does not lead to the signed root")
        }
        return checkpoint
    }
}
