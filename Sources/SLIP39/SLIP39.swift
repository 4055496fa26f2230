public import Crypto

// SLIP-0039: a secret split into word lists ("shares") so that only enough of them together
// recover it. Tamga splits its HSM backup key this way, M-of-N onto tokens held by separate
// bodies. Callers write `SLIP39.split(...)` and `SLIP39.combine(...)`.
//
// Secrets come in and go out as `SymmetricKey`, whose storage is zeroized when freed; the
// intermediate buffers this module allocates are wiped after use.

/// Splits `secret` into groups of member shares: any `groupThreshold` groups, each with its own
/// member threshold met, recover it.
///
/// - Parameters:
///   - secret: 16 to 32 bytes, an even number (SLIP-39 encrypts it with a balanced Feistel network).
///   - groups: for each group, how many of its shares recover it and how many there are (at most
///     16 groups of at most 16). A threshold of 1 allows only 1 share: SLIP-39 forbids 1-of-N
///     groups, whose shares would be copies of each other.
///   - passphrase: printable ASCII, as SLIP-39 requires so that any tool can take it. A different
///     passphrase at combine time gives a different secret, not an error.
///   - iterationExponent: PBKDF2 runs 10000 × 2^e iterations in all (0...15); each step doubles
///     the cost of guessing a passphrase, and of every combine.
///   - extendable: whether more shares of the same secret can be made later; SLIP-39 tools
///     default to it.
///   - generator: the source of the identifier and of the random polynomial coefficients; must be
///     cryptographically secure outside tests.
/// - Returns: the mnemonics, one array per group, in member order.
public func split(
    secret: SymmetricKey,
    groupThreshold: Int,
    groups: [(memberThreshold: Int, memberCount: Int)],
    passphrase: String = "",
    iterationExponent: Int = 1,
    extendable: Bool = true,
    using generator: inout some RandomNumberGenerator
) throws(SLIP39Error) -> [[String]] {
    guard secret.bitCount % 16 == 0, (128...256).contains(secret.bitCount) else {
        throw SLIP39Error(
            .invalidArgument,
            "the secret is \(secret.bitCount / 8) bytes; split one of 16 to 32 bytes, an even number"
        )
    }
    guard (0...15).contains(iterationExponent) else {
        throw SLIP39Error(
            .invalidArgument,
            "iteration exponent \(iterationExponent) is outside 0...15 (a share stores it in 4 bits)"
        )
    }
    var passphraseBytes = try asciiBytes(passphrase)
    defer { passphraseBytes.wipe() }
    guard (1...16).contains(groups.count) else {
        throw SLIP39Error(.invalidArgument, "\(groups.count) groups asked for; give 1 to 16")
    }
    guard (1...groups.count).contains(groupThreshold) else {
        throw SLIP39Error(
            .invalidArgument,
            "group threshold \(groupThreshold) with \(groups.count) groups; give 1 to \(groups.count)"
        )
    }
    for (number, group) in groups.enumerated() {
        let (threshold, count) = group
        let name = groups.count == 1 ? "" : "group \(number + 1): "
        guard 1 <= threshold, threshold <= count, count <= 16 else {
            throw SLIP39Error(
                .invalidArgument,
                "\(name)\(threshold) of \(count) shares cannot be made; give 1 <= threshold <= count <= 16"
            )
        }
        guard threshold > 1 || count == 1 else {
            throw SLIP39Error(
                .invalidArgument,
                "\(name)1 of \(count) would give \(count) copies of one share, which SLIP-39 forbids; use 1 of 1"
            )
        }
    }

    let identifier = Int.random(in: 0..<(1 << 15), using: &generator)
    var masterSecret = secret.withUnsafeBytes { Array($0) }
    var encrypted = FeistelCipher.encrypt(
        masterSecret, passphrase: passphraseBytes, iterationExponent: iterationExponent, identifier: identifier,
        extendable: extendable
    )
    var groupSecrets = Shamir.split(
        threshold: groupThreshold, count: groups.count, secret: encrypted, using: &generator
    )
    defer {
        masterSecret.wipe()
        encrypted.wipe()
        for i in groupSecrets.indices { groupSecrets[i].wipe() }
    }

    var mnemonics: [[String]] = []
    for (groupIndex, group) in groups.enumerated() {
        let values = Shamir.split(
            threshold: group.memberThreshold, count: group.memberCount, secret: groupSecrets[groupIndex],
            using: &generator
        )
        mnemonics.append(
            values.enumerated().map { memberIndex, value in
                Share(
                    identifier: identifier, extendable: extendable, iterationExponent: iterationExponent,
                    groupIndex: groupIndex, groupThreshold: groupThreshold, groupCount: groups.count,
                    memberIndex: memberIndex, memberThreshold: group.memberThreshold, value: value
                ).mnemonic
            }
        )
    }
    return mnemonics
}

/// Splits `secret` with system randomness; see the variant with `using:`.
public func split(
    secret: SymmetricKey,
    groupThreshold: Int,
    groups: [(memberThreshold: Int, memberCount: Int)],
    passphrase: String = "",
    iterationExponent: Int = 1,
    extendable: Bool = true
) throws(SLIP39Error) -> [[String]] {
    var generator = SystemRandomNumberGenerator()
    return try split(
        secret: secret, groupThreshold: groupThreshold, groups: groups, passphrase: passphrase,
        iterationExponent: iterationExponent, extendable: extendable, using: &generator
    )
}

/// Splits `secret` into `count` shares, any `threshold` of which recover it: one group, as
/// SLIP-39 recommends for a plain T-of-N scheme.
public func split(
    secret: SymmetricKey,
    threshold: Int,
    count: Int,
    passphrase: String = "",
    iterationExponent: Int = 1,
    extendable: Bool = true,
    using generator: inout some RandomNumberGenerator
) throws(SLIP39Error) -> [String] {
    let groups = try split(
        secret: secret, groupThreshold: 1, groups: [(threshold, count)], passphrase: passphrase,
        iterationExponent: iterationExponent, extendable: extendable, using: &generator
    )
    return groups.flatMap { $0 }
}

/// Splits `secret` into `count` shares with system randomness; see the variant with `using:`.
public func split(
    secret: SymmetricKey,
    threshold: Int,
    count: Int,
    passphrase: String = "",
    iterationExponent: Int = 1,
    extendable: Bool = true
) throws(SLIP39Error) -> [String] {
    var generator = SystemRandomNumberGenerator()
    return try split(
        secret: secret, threshold: threshold, count: count, passphrase: passphrase,
        iterationExponent: iterationExponent, extendable: extendable, using: &generator
    )
}

/// Recovers the secret from shares of one split, in any order, from any of its groups.
///
/// SLIP-39 requires exactly the threshold: exactly `groupThreshold` groups, each with exactly its
/// member threshold of shares. Every check the spec names is made and the first failure is
/// thrown, naming the share by its 1-based position in `mnemonics`. A wrong passphrase is not
/// detectable: it yields a different secret.
public func combine(_ mnemonics: [String], passphrase: String = "") throws(SLIP39Error) -> SymmetricKey {
    var passphraseBytes = try asciiBytes(passphrase)
    defer { passphraseBytes.wipe() }
    var shares: [Share] = []
    defer { for i in shares.indices { shares[i].value.wipe() } }
    for (offset, mnemonic) in mnemonics.enumerated() {
        shares.append(try Share(mnemonic: mnemonic, position: offset + 1))
    }
    guard let first = shares.first else {
        throw SLIP39Error(.wrongShareCount, "no shares given; give the shares to combine")
    }

    for (offset, share) in shares.enumerated().dropFirst() {
        if let difference = firstDifference(share, first) {
            throw SLIP39Error(
                .mismatchedShares,
                "share \(offset + 1) belongs to another set than share 1 (\(difference) differs); combine only shares of one backup"
            )
        }
    }

    // Shares by group, in order of first appearance; entries are offsets into `shares`.
    var groups: [(index: Int, members: [Int])] = []
    for (offset, share) in shares.enumerated() {
        guard let g = groups.firstIndex(where: { $0.index == share.groupIndex }) else {
            groups.append((share.groupIndex, [offset]))
            continue
        }
        let groupName = "group \(share.groupIndex + 1)"
        let leader = groups[g].members[0]
        if share.memberThreshold != shares[leader].memberThreshold {
            throw SLIP39Error(
                .mismatchedShares,
                "share \(offset + 1) belongs to another set than share \(leader + 1) (member threshold of \(groupName) differs); combine only shares of one backup"
            )
        }
        if let twin = groups[g].members.first(where: { shares[$0].memberIndex == share.memberIndex }) {
            throw SLIP39Error(
                .duplicateShare,
                "share \(offset + 1) is member \(share.memberIndex + 1) of \(groupName), as is share \(twin + 1); give each share once"
            )
        }
        groups[g].members.append(offset)
    }

    let groupThreshold = first.groupThreshold
    if groups.count != groupThreshold {
        let given = "shares of \(groups.count) \(groups.count == 1 ? "group" : "groups") given"
        throw SLIP39Error(
            .wrongShareCount,
            groups.count < groupThreshold
                ? "\(given), \(groupThreshold) needed; add shares of another group"
                : "\(given), exactly \(groupThreshold) needed; leave out the shares of \(groups.count - groupThreshold)"
        )
    }
    for group in groups {
        let needed = shares[group.members[0]].memberThreshold
        let count = group.members.count
        guard count != needed else { continue }
        let name = first.groupCount == 1 ? "" : "group \(group.index + 1): "
        let given = "\(name)\(count) \(count == 1 ? "share" : "shares") given"
        throw SLIP39Error(
            .wrongShareCount,
            count < needed
                ? "\(given), \(needed) needed" : "\(given), exactly \(needed) needed; leave out \(count - needed)"
        )
    }

    var groupSecrets: [SharePoint] = []
    defer { for i in groupSecrets.indices { groupSecrets[i].y.wipe() } }
    for group in groups {
        let points = group.members.map { (x: UInt8(shares[$0].memberIndex), y: shares[$0].value) }
        guard let groupSecret = Shamir.recover(threshold: shares[group.members[0]].memberThreshold, points: points)
        else {
            let these = first.groupCount == 1 ? "the shares" : "the shares of group \(group.index + 1)"
            throw SLIP39Error(
                .invalidDigest,
                "\(these) fail the digest check: one is forged or corrupted though its checksum passes; try other shares"
            )
        }
        groupSecrets.append((UInt8(group.index), groupSecret))
    }
    guard var encrypted = Shamir.recover(threshold: groupThreshold, points: groupSecrets) else {
        throw SLIP39Error(
            .invalidDigest,
            "the group secrets fail the digest check: a group's shares are forged or corrupted though their checksums pass; try other groups"
        )
    }
    var masterSecret = FeistelCipher.decrypt(
        encrypted, passphrase: passphraseBytes, iterationExponent: first.iterationExponent,
        identifier: first.identifier, extendable: first.extendable
    )
    defer {
        encrypted.wipe()
        masterSecret.wipe()
    }
    return masterSecret.withUnsafeBytes { SymmetricKey(data: $0) }
}

/// The first field, of those every share of one split has alike, in which `share` differs from `first`.
private func firstDifference(_ share: Share, _ first: Share) -> String? {
    if share.identifier != first.identifier { return "identifier" }
    if share.extendable != first.extendable { return "extendable flag" }
    if share.iterationExponent != first.iterationExponent { return "iteration exponent" }
    if share.groupThreshold != first.groupThreshold { return "group threshold" }
    if share.groupCount != first.groupCount { return "group count" }
    if share.value.count != first.value.count { return "length" }
    return nil
}

/// SLIP-39 passphrases are printable ASCII so that every tool encodes them alike. A Cyrillic
/// keyboard layout left on is the likely cause of anything else.
private func asciiBytes(_ passphrase: String) throws(SLIP39Error) -> [UInt8] {
    let bytes = Array(passphrase.utf8)
    guard bytes.allSatisfy({ (32...126).contains($0) }) else {
        throw SLIP39Error(
            .invalidArgument,
            "the passphrase has a character outside printable ASCII (codes 32 to 126), which SLIP-39 does not allow; check the keyboard layout"
        )
    }
    return bytes
}
