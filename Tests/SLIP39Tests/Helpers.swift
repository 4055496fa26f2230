import Crypto
import Foundation
import SLIP39

/// SplitMix64: a tiny seeded generator, so splits in tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomSecret(_ count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}

func key(_ bytes: [UInt8]) -> SymmetricKey { SymmetricKey(data: bytes) }

func bytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return result
}

/// The error `combine` throws, or nil when it succeeds.
func combineError(_ mnemonics: [String], passphrase: String = "") -> SLIP39Error? {
    do {
        _ = try combine(mnemonics, passphrase: passphrase)
        return nil
    } catch {
        return error
    }
}

/// All k-element subsets of `items`, in order.
func subsets<T>(of items: [T], size k: Int) -> [[T]] {
    if k == 0 { return [[]] }
    guard items.count >= k, let first = items.first else { return [] }
    let rest = Array(items.dropFirst())
    return subsets(of: rest, size: k - 1).map { [first] + $0 } + subsets(of: rest, size: k)
}

func resourceURL(_ name: String, _ ext: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources") else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Resources/\(name).\(ext)"])
    }
    return url
}
