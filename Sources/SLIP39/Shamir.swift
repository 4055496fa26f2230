import Crypto

/// GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1, as SLIP-39 specifies.
///
/// Multiplication is bitwise, with no branches on and no tables indexed by its operands, so the
/// time it takes does not depend on the share bytes it touches (log/exp tables would).
enum GF256 {
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a
        var b = b
        var product: UInt8 = 0
        for _ in 0..<8 {
            product ^= a & (0 &- (b & 1))
            a = (a << 1) ^ (0x1B & (0 &- (a >> 7)))
            b >>= 1
        }
        return product
    }

    /// a^254, the inverse of a nonzero a. Used only on share indexes, which are public.
    static func inverse(_ a: UInt8) -> UInt8 {
        var result: UInt8 = 1
        var base = a
        var exponent = 254
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiply(result, base) }
            base = multiply(base, base)
            exponent >>= 1
        }
        return result
    }
}

/// A point of the per-byte polynomials: share index `x` and the value of each byte's polynomial.
typealias SharePoint = (x: UInt8, y: [UInt8])

/// Shamir's scheme as SLIP-39 uses it: the secret sits at x = 255 and a digest of it at x = 254, so
/// a wrong or forged set of shares is detected instead of yielding a wrong secret.
enum Shamir {
    static let secretIndex: UInt8 = 255
    static let digestIndex: UInt8 = 254
    static let digestLength = 4

    /// Evaluates at `x` the polynomials through `points`, which have distinct x and values of
    /// one length (callers check both).
    static func interpolate(_ points: [SharePoint], at x: UInt8) -> [UInt8] {
        if let point = points.first(where: { $0.x == x }) { return point.y }
        var result = [UInt8](repeating: 0, count: points.first?.y.count ?? 0)
        for (i, point) in points.enumerated() {
            // The Lagrange basis polynomial of point i, evaluated at x.
            var numerator: UInt8 = 1
            var denominator: UInt8 = 1
            for (j, other) in points.enumerated() where j != i {
                numerator = GF256.multiply(numerator, x ^ other.x)
                denominator = GF256.multiply(denominator, point.x ^ other.x)
            }
            let basis = GF256.multiply(numerator, GF256.inverse(denominator))
            for k in result.indices { result[k] ^= GF256.multiply(basis, point.y[k]) }
        }
        return result
    }

    /// Splits `secret` into `count` shares with indexes 0..<count, any `threshold` of which
    /// recover it. Callers have checked 1 <= threshold <= count <= 16 and secret.count >= 16.
    static func split(
        threshold: Int, count: Int, secret: [UInt8], using generator: inout some RandomNumberGenerator
    ) -> [[UInt8]] {
        if threshold == 1 { return Array(repeating: secret, count: count) }
        var shares: [[UInt8]] = []
        for _ in 0..<(threshold - 2) { shares.append(randomBytes(secret.count, using: &generator)) }
        var base: [SharePoint] = shares.enumerated().map { (UInt8($0.offset), $0.element) }
        var randomPart = randomBytes(secret.count - digestLength, using: &generator)
        base.append((digestIndex, digest(randomPart: randomPart, secret: secret) + randomPart))
        base.append((secretIndex, secret))
        randomPart.wipe()
        defer { base[base.count - 2].y.wipe() }
        for x in (threshold - 2)..<count { shares.append(interpolate(base, at: UInt8(x))) }
        return shares
    }

    /// Recovers the secret from exactly `threshold` points, or nil when its digest does not match.
    static func recover(threshold: Int, points: [SharePoint]) -> [UInt8]? {
        if threshold == 1 { return points.first?.y }
        var secret = interpolate(points, at: secretIndex)
        var digestShare = interpolate(points, at: digestIndex)
        var randomPart = Array(digestShare[digestLength...])
        defer {
            digestShare.wipe()
            randomPart.wipe()
        }
        let expected = digest(randomPart: randomPart, secret: secret)
        var difference: UInt8 = 0
        for i in 0..<digestLength { difference |= expected[i] ^ digestShare[i] }
        guard difference == 0 else {
            secret.wipe()
            return nil
        }
        return secret
    }

    private static func digest(randomPart: [UInt8], secret: [UInt8]) -> [UInt8] {
        let code = HMAC<SHA256>.authenticationCode(for: secret, using: SymmetricKey(data: randomPart))
        return Array(code.prefix(digestLength))
    }
}

func randomBytes(_ count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    while bytes.count < count {
        let word = generator.next()
        withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0.prefix(count - bytes.count)) }
    }
    return bytes
}
