public import LedgerFormats

/// Who cosigned a checkpoint or a block, as a report states it.
public struct Cosigners: Codable, Sendable, Hashable {
    /// With a policy: the policy's witnesses whose cosignatures verify, in policy order.
    /// Without: the key names of the note's lines other than the log's, unverified (no keys).
    public let names: [String]
    /// With a policy: its witnesses that did not cosign; nil without one.
    public let missing: [String]?
    /// With a policy: whether `names` meet its quorum; nil without one.
    public let quorumMet: Bool?

    public init(names: [String], missing: [String]?, quorumMet: Bool?) {
        self.names = names
        self.missing = missing
        self.quorumMet = quorumMet
    }

    /// "w1, w2 (quorum met; not w3)" or "w1.example (unverified)".
    public var summary: String {
        let list = names.isEmpty ? "none" : names.joined(separator: ", ")
        guard let quorumMet else { return names.isEmpty ? "none" : list + " (unverified: give --policy to check them)" }
        let missing = (self.missing ?? []).isEmpty ? "" : "; not " + (self.missing ?? []).joined(separator: ", ")
        return list + (quorumMet ? " (quorum met" : " (quorum NOT met") + missing + ")"
    }
}

/// The witness requirement of an audit: with a policy (`--policy`), every checkpoint and block
/// it accepts must carry the policy's quorum of valid cosignatures; without, the cosignature
/// lines found are only listed.
public struct WitnessRequirement: Sendable {
    let policy: WitnessPolicy?

    /// No requirement: cosignatures are listed, not checked.
    public static let none = WitnessRequirement(policy: nil)

    /// Demands `policy`'s quorum. The policy must name the log of `genesis` if it names logs.
    public init(policy: WitnessPolicy, genesis: Genesis) throws(AuditError) {
        if !policy.logs.isEmpty, !policy.logs.contains(where: { $0.verifier.verifierKey == genesis.verifierKey }) {
            throw AuditError(
                .invalidInput,
                "the witness policy's log lines do not name this chain's key \(genesis.verifierKey): a policy for another log")
        }
        self.policy = policy
    }

    private init(policy: WitnessPolicy?) {
        self.policy = policy
    }

    /// Reads a policy file (C2SP tlog-policy).
    public static func load(path: String, genesis: Genesis) throws(AuditError) -> WitnessRequirement {
        let bytes = try AuditFiles.read(path, what: "the witness policy")
        let policy: WitnessPolicy
        do {
            policy = try WitnessPolicy(parsing: bytes)
        } catch {
            throw AuditError(.invalidInput, "the witness policy \(path) is not valid: \(error.message)")
        }
        return try WitnessRequirement(policy: policy, genesis: genesis)
    }

    var isDemanding: Bool { policy != nil }

    /// Who cosigned `note`, whose log signature the caller verified with `log`.
    func cosigners(of note: SignedNote, log: NoteVerifier) -> Cosigners {
        guard let policy else {
            let names = note.signatures.filter { $0.name != log.name || $0.keyID != log.keyID }.map(\.name)
            return Cosigners(names: names, missing: nil, quorumMet: nil)
        }
        let found = policy.cosigners(of: note)
        let all = policy.witnesses.map(\.name)
        return Cosigners(
            names: all.filter { found[$0] != nil }, missing: all.filter { found[$0] == nil },
            quorumMet: policy.isSatisfied(by: found.keys))
    }

    /// Fails closed when `cosigners` do not meet the quorum.
    func require(_ cosigners: Cosigners, subject: String, detail: String = "") throws(AuditError) {
        guard cosigners.quorumMet == false else { return }
        throw AuditError(
            failed: subject, "cosignatures", expected: "the witness policy's quorum",
            found: cosigners.names.isEmpty ? "no valid cosignature" : "cosigned by " + cosigners.names.joined(separator: ", "),
            "not cosigned by \((cosigners.missing ?? []).joined(separator: ", ")): the witnesses have not vouched for it"
                + (detail.isEmpty ? "" : " (\(detail))")
                + ", so others may be shown another history. Witnesses cosign within seconds of a seal; if this lasts, ask the operator which witnesses are down")
    }
}
