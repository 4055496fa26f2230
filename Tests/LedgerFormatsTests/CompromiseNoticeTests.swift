import Foundation
import LedgerFormats
import Testing

/// The one compromise-notice type: what SignCore stores is exactly what the public side reads.
@Suite struct CompromiseNoticeTests {
    static let fingerprint = String(repeating: "0a", count: 32)

    @Test func roundTripsAsCanonicalJSON() throws {
        let time = try Timestamp(millisecondsSinceEpoch: 1_795_154_400_123)
        let notice = try CompromiseNotice(keyFingerprint: Self.fingerprint, measures: "Revoked; \"owner\" told.\n", time: time)
        #expect(
            String(decoding: notice.canonicalBytes, as: UTF8.self)
                == #"{"keyFingerprint":"\#(Self.fingerprint)","measures":"Revoked; \"owner\" told.\n","time":"2026-11-20T06:00:00.123Z"}"#)
        #expect(try CompromiseNotice(parsing: notice.canonicalBytes) == notice)
        // Independently: Foundation reads the same three strings.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(notice.canonicalBytes)) as? [String: String])
        #expect(object == ["keyFingerprint": Self.fingerprint, "measures": "Revoked; \"owner\" told.\n", "time": "2026-11-20T06:00:00.123Z"])
    }

    @Test func refusesAnythingButTheThreeFields() throws {
        let time = #""time":"2026-11-20T06:00:00.123Z""#
        for bad in [
            #"{"keyFingerprint":"\#(Self.fingerprint)","measures":"m"}"#,
            #"{"keyFingerprint":"\#(Self.fingerprint)","measures":"m","owner":"900101300123",\#(time)}"#,
            #"{"keyFingerprint":"\#(Self.fingerprint)","measures":"m","time":"2026-11-20T06:00:00Z"}"#,
            #"{"keyFingerprint":"\#(Self.fingerprint.uppercased())","measures":"m",\#(time)}"#,
            #"{"keyFingerprint":"SHA256:ab","measures":"m",\#(time)}"#,
            #"{"keyFingerprint":"\#(Self.fingerprint)","measures":"",\#(time)}"#,
            #"{"keyFingerprint":"\#(Self.fingerprint)","measures":7,\#(time)}"#,
            #"{"measures":"m","keyFingerprint":"\#(Self.fingerprint)",\#(time)}"#,
            #"{"keyFingerprint": "\#(Self.fingerprint)","measures":"m",\#(time)}"#,
            "not json",
        ] {
            #expect(throws: LedgerFormatsError.self, "\(bad)") { try CompromiseNotice(parsing: Array(bad.utf8)) }
        }
        let long = String(repeating: "x", count: CompromiseNotice.maxMeasuresBytes + 1)
        #expect(throws: LedgerFormatsError.self) {
            try CompromiseNotice(keyFingerprint: Self.fingerprint, measures: long, time: Timestamp(millisecondsSinceEpoch: 0))
        }
    }

    /// Record names sort as times do, whatever the number of digits.
    @Test func recordNamesSortByTime() throws {
        let times: [Int64] = [5, 999, 1000, 1_795_154_400_123, 253_402_300_799_999]
        let names = try times.map {
            try CompromiseNotice(keyFingerprint: Self.fingerprint, measures: "m", time: Timestamp(millisecondsSinceEpoch: $0))
                .recordName
        }
        #expect(names == names.sorted())
        #expect(names[3] == "compromise/001795154400123-\(Self.fingerprint)")
    }
}
