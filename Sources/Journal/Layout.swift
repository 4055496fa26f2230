/// The storage key scheme: every LevelDB key the journal reads or writes is made here, so the
/// layout can be read in one place (tessera's `api/layout/paths.go` idea).
///
/// Integers are big-endian so that LevelDB's byte order is numeric order and ranges are scans.
///
/// | key                                   | value                                        |
/// |---------------------------------------|----------------------------------------------|
/// | `meta/format`                         | `tamga-journal <version>`                    |
/// | `meta/genesis`                        | the genesis document's exact bytes           |
/// | `meta/development`                    | empty; present only in a development chain   |
/// | `e` seq                               | the entry's canonical JSON bytes             |
/// | `h` level(1) index(8)                 | 32-byte tree hash of node (level, index)     |
/// | `l` leafHash(32)                      | seq of the entry with that leaf hash         |
/// | `o` len(2) owner seq                  | empty: the owner's entries, by seq           |
/// | `s/checkpoint`                        | the latest signed checkpoint note            |
/// | `s/time`                              | the latest entry's time, ms since 1970 (8)   |
/// | `s/cosigned`                          | the newest checkpoint witnesses cosigned     |
/// | `b` height                            | the signed block note                        |
/// | `x/` name                             | records of other modules (e.g. the HSM's)    |
///
/// Stores written before 2026-12 also hold `k` len(2) keyID seq keys (an index by signing key
/// that nothing read); they are ignored.
enum Layout {
    static let formatVersion = 1
    static let formatKey = Array("meta/format".utf8)
    static let formatValue = Array("tamga-journal \(formatVersion)".utf8)
    static let genesisKey = Array("meta/genesis".utf8)
    static let developmentKey = Array("meta/development".utf8)
    static let checkpointKey = Array("s/checkpoint".utf8)
    static let timeKey = Array("s/time".utf8)
    static let cosignedKey = Array("s/cosigned".utf8)

    static let entryPrefix = UInt8(ascii: "e")
    static let hashPrefix = UInt8(ascii: "h")
    static let leafPrefix = UInt8(ascii: "l")
    static let ownerPrefix = UInt8(ascii: "o")
    static let blockPrefix = UInt8(ascii: "b")

    static func entry(_ seq: UInt64) -> [UInt8] { [entryPrefix] + bigEndian(seq) }
    static func hash(level: Int, index: UInt64) -> [UInt8] { [hashPrefix, UInt8(level)] + bigEndian(index) }
    static func leaf(_ leafHash: [UInt8]) -> [UInt8] { [leafPrefix] + leafHash }
    static func block(_ height: UInt64) -> [UInt8] { [blockPrefix] + bigEndian(height) }

    /// `prefix len(2) name`: the length keeps "ab"+seq apart from "a"+"b…" for any names.
    static func indexPrefix(_ prefix: UInt8, _ name: String) -> [UInt8] {
        let utf8 = Array(name.utf8)
        return [prefix, UInt8(utf8.count >> 8), UInt8(utf8.count & 0xff)] + utf8
    }

    static func record(_ name: String) -> [UInt8] { Array("x/\(name)".utf8) }

    /// The writer adds about six keys per entry; building each as an array cost it a dozen
    /// allocations per entry. These build the same bytes as `entry`, `leaf`, `hash` and `index`
    /// in a stack buffer and lend them to `body`.
    static func withKey<R>(
        _ prefix: UInt8, _ first: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R
    ) -> R {
        withUnsafeTemporaryAllocation(byteCount: 1 + first.count, alignment: 1) { key in
            key[0] = prefix
            UnsafeMutableRawBufferPointer(rebasing: key[1...]).copyMemory(from: first)
            return body(UnsafeRawBufferPointer(key))
        }
    }

    /// `prefix len(2) name seq`: an owner's index entry (`indexPrefix` then the seq).
    static func withIndexKey<R>(
        _ prefix: UInt8, _ name: String, _ seq: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R
    ) -> R {
        var name = name
        return name.withUTF8 { utf8 in
            withUnsafeTemporaryAllocation(byteCount: 3 + utf8.count + seq.count, alignment: 1) { key in
                key[0] = prefix
                key[1] = UInt8(utf8.count >> 8)
                key[2] = UInt8(utf8.count & 0xff)
                UnsafeMutableRawBufferPointer(rebasing: key[3..<3 + utf8.count]).copyMemory(from: UnsafeRawBufferPointer(utf8))
                UnsafeMutableRawBufferPointer(rebasing: key[(3 + utf8.count)...]).copyMemory(from: seq)
                return body(UnsafeRawBufferPointer(key))
            }
        }
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func readBigEndian(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
