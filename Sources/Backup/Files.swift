#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Sodium

func errnoText() -> String { String(cString: strerror(errno)) }

// File-scope names for the system calls that the classes' own `write`, `close` and `read` shadow.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, bytes, count) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemRead(_ fd: Int32, _ bytes: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, bytes, count) }

/// A new file, written in order and synced: refuses to replace anything (O_EXCL).
final class OutputFile {
    let path: String
    private var fd: Int32
    private var hasher = SHA256()

    init(creating path: String, mode: mode_t) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            if errno == EEXIST { throw BackupError(.exists, "\(path) already exists; choose another name or move it away") }
            throw BackupError(.storage, "cannot create \(path): \(errnoText())")
        }
        self.path = path
    }

    deinit { if fd >= 0 { _ = systemClose(fd) } }

    func write(_ bytes: some ContiguousBytesView) throws {
        try bytes.withBytes { try write(raw: $0) }
    }

    func write(raw buffer: UnsafeRawBufferPointer) throws {
        do {
            hasher.update(bufferPointer: buffer)
            var offset = 0
            while offset < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw BackupError(.storage, "cannot write \(path): \(errnoText())") }
                offset += n
            }
        }
    }

    /// Syncs and closes; returns the SHA-256 of everything written.
    func close() throws -> [UInt8] {
        guard fsync(fd) == 0 else { throw BackupError(.storage, "cannot sync \(path): \(errnoText())") }
        let rc = systemClose(fd)
        fd = -1
        guard rc == 0 else { throw BackupError(.storage, "cannot close \(path): \(errnoText())") }
        return Array(hasher.finalize())
    }
}

/// A file read front to back through a buffer, hashing every byte it hands out.
final class InputFile {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var hasher = SHA256()

    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BackupError(.storage, "cannot open \(path): \(errnoText())") }
        self.path = path
    }

    deinit { close(fd) }

    /// Refills the buffer; false at the end of the file.
    private func fill() throws -> Bool {
        if atEnd { return false }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw BackupError(.storage, "cannot read \(path): \(errnoText())") }
            if n == 0 {
                atEnd = true
                return false
            }
            buffer += chunk[0..<n]
            return true
        }
    }

    /// The next `count` bytes; nil if the file ends first (`count` 0 gives `[]`).
    func read(_ count: Int) throws -> [UInt8]? {
        while buffer.count - position < count {
            guard try fill() else { return nil }
        }
        let out = Array(buffer[position..<position + count])
        position += count
        hasher.update(data: out)
        return out
    }

    /// The bytes up to a newline (not included), at most `limit`; nil if none is found.
    func readLine(limit: Int) throws -> [UInt8]? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                guard newline - position <= limit else { return nil }
                let line = try read(newline - position)
                _ = try read(1)
                return line
            }
            guard buffer.count - position <= limit, try fill() else { return nil }
        }
    }

    /// Whether every byte was read.
    func isAtEnd() throws -> Bool {
        if position < buffer.count { return false }
        return !(try fill())
    }

    /// SHA-256 of the bytes read so far.
    func digest() -> [UInt8] { Array(hasher.finalize()) }
}

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

func parentFolder(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

func lastComponent(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

