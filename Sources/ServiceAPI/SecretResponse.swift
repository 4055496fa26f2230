import Hummingbird
@_spi(CustomByteBufferAllocator) package import NIOCore
import Sodium

extension ByteBufferAllocator {
    /// Buffers in libsodium's guarded memory (`GuardedMemory`): locked, and zeroed when NIO
    /// frees them once the response is written.
    package static let guarded = ByteBufferAllocator(
        allocate: { GuardedMemory.allocate(Int($0)) },
        reallocate: { GuardedMemory.reallocate($0, from: Int($1), to: Int($2)) },
        deallocate: { GuardedMemory.free($0) },
        copy: { $0.copyMemory(from: $1, byteCount: Int($2)) })
}

extension Service {
    /// `{"<member>":"<secret>"}` copied straight from locked memory into a guarded buffer, so
    /// the secret (the otpauth URI) is never a Swift string and is zeroed when the buffer is
    /// freed. The secret must be printable ASCII without `"` or `\` (it is written unescaped).
    static func secretJSON(member: String, _ secret: SecureBytes) throws -> Response {
        let printable = secret.withBytes { bytes in
            bytes.allSatisfy { (0x20..<0x7F).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        }
        guard printable else { throw ServiceAPIError(.serverError, "a secret to send is not printable ASCII") }
        let head = Array("{\"\(member)\":\"".utf8)
        var buffer = ByteBufferAllocator.guarded.buffer(capacity: head.count + secret.count + 2)
        buffer.writeBytes(head)
        secret.withBytes { _ = buffer.writeBytes($0) }
        buffer.writeBytes(Array("\"}".utf8))
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: buffer))
    }
}
