import Foundation
import LedgerFormats
import MerkleLog

/// What the CA must publish and must not, checked from its public data and this machine's
/// clock (docs/auditing.md, "The CA's obligations"): every ended day sealed in time (in
/// `ChainAudit` and `watch`), every day a real local day, no entry bundles, and well-formed
/// compromise notices.
struct Obligations {
    let source: any AuditSource

    /// The most `/compromises` can take: 4 KiB per notice for tens of thousands of them.
    static let compromisesLimit = 64 << 20

    /// Fails when the day at height `blocks` (the first one without a block) ended more than
    /// `grace` ms before `now`, by the genesis calendar: its block is overdue.
    static func checkSealed(blocks: UInt64, latest: VerifiedBlock?, calendar: DayCalendar, now: Int64, grace: Int64)
        throws(AuditError)
    {
        guard let height = Int64(exactly: blocks), let day = try? calendar.day(atHeight: height),
            now - grace >= day.end.millisecondsSinceEpoch
        else { return }
        throw AuditError(
            failed: "block \(blocks)", "existence",
            expected: "a block for \(day.date), which ended at \(instant(day.end.millisecondsSinceEpoch / 1000))",
            found: latest.map { "the latest block is \($0.block.date)" } ?? "/blocks/latest answers 404",
            "OVERDUE: the day ended more than \(grace / 60_000) minutes ago (now \(instant(now / 1000))) and has no block: "
                + "every day must be sealed when it ends (R15)")
    }

    /// Why a block's `start ... end` (Unix seconds) cannot be the local date `date` of any real
    /// zone, or nil. A day lasts 22 to 26 hours (a clock change moves an hour or two), and it
    /// starts at a local midnight: UTC midnight minus an offset of -12:00 to +14:00 in quarter
    /// hours, or an hour later where a clock change skips midnight.
    static func dayRuleBroken(date: LocalDate, start: Int64, end: Int64) -> String? {
        let hours = Double(end - start) / 3600
        guard (22 * 3600...26 * 3600).contains(end - start) else {
            return "it lasts \(hours) hours, and a day lasts 22 to 26"
        }
        let offset = date.days(since: LocalDate.earliest) * 86_400 - start
        guard start % 900 == 0, (-13 * 3600...14 * 3600).contains(offset) else {
            return "it starts at no local midnight (UTC offsets are -12:00 to +14:00 in quarter hours)"
        }
        return nil
    }

    /// The log publishes no entry bundles (entries name their owners) and well-formed
    /// compromise notices.
    func check(checkpointSize size: UInt64) async throws(AuditError) {
        try await checkNoEntryBundles(size: size)
        try await checkCompromises()
    }

    /// `tile/entries/...` must not answer: the first tile and the tile the tree ends in.
    private func checkNoEntryBundles(size: UInt64) async throws(AuditError) {
        var tiles = [try? Tile(level: 0, index: 0)]
        if size > 0 {
            let last = (size - 1) / UInt64(Tile.fullWidth)
            let width = Int(size - last * UInt64(Tile.fullWidth))
            tiles.append(try? Tile(level: 0, index: last, width: width))
        }
        for case let tile? in tiles {
            let path = "tile/entries/" + tile.path.dropFirst("tile/0/".count)
            if try await source.fetch(path, limit: ResourceLimit.note) != nil {
                throw AuditError(
                    failed: path, "existence", expected: "404",
                    "the log publishes entry bundles: entries name their owners (personal data) and only leaf hashes may be public")
            }
        }
    }

    /// `/compromises`: a canonical JSON array of notices, each exactly the three members, in
    /// time order.
    private func checkCompromises() async throws(AuditError) {
        guard let bytes = try await source.fetch("compromises", limit: Self.compromisesLimit) else {
            throw AuditError(failed: "compromises", "existence", "the log does not publish its compromise notices at /compromises (R13)")
        }
        let notices: [CompromiseNotice]
        do {
            guard case .array(let items) = try JSONValue(parsingCanonical: bytes) else {
                throw LedgerFormatsError(.malformed, "not a JSON array")
            }
            notices = try items.map { item throws(LedgerFormatsError) in try CompromiseNotice(parsing: item.canonicalBytes()) }
        } catch {
            throw AuditError(failed: "compromises", "format", "a compromise notice is malformed: \(error)")
        }
        for (earlier, later) in zip(notices, notices.dropFirst()) where later.time < earlier.time {
            throw AuditError(
                failed: "compromises", "order", expected: "time order",
                "the notice of \(later.keyFingerprint) is listed after a later one: notices are served in time order")
        }
    }
}
