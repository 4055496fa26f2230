import Sodium

/// A password rule beyond length: not one of the most common passwords (the list in
/// `CommonPasswords+List.swift`), compared without regard to ASCII case. The password is read
/// where it lies, in locked memory: no copy of it is made to look it up.
enum CommonPasswords {
    /// The list, lowercased and sorted by bytes (as the data file is).
    static let sorted: [[UInt8]] = text.split(separator: "\n").map { Array($0.utf8) }

    static func contains(_ password: some ContiguousBytesView) -> Bool {
        password.withBytes { bytes in
            var low = 0
            var high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                switch compare(sorted[middle], bytes) {
                case .equal: return true
                case .less: low = middle + 1
                case .greater: high = middle
                }
            }
            return false
        }
    }

    private enum Order { case less, equal, greater }

    /// `entry` against `password` lowercased (ASCII), byte by byte.
    private static func compare(_ entry: [UInt8], _ password: UnsafeRawBufferPointer) -> Order {
        for index in 0..<min(entry.count, password.count) {
            var byte = password[index]
            if (0x41...0x5a).contains(byte) { byte |= 0x20 }
            if entry[index] != byte { return entry[index] < byte ? .less : .greater }
        }
        return entry.count == password.count ? .equal : entry.count < password.count ? .less : .greater
    }
}
