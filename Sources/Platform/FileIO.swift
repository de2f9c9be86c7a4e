#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: what was being done and the errno it failed with.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public let operation: String
    public let errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// Whole-file reads and writes over file descriptors, the way every caller needs them:
/// interrupted calls are retried (EINTR) and a short write is an error, not a silent
/// truncation.
public enum FileIO {
    /// The whole content of `path`.
    public static func read(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read \(path)", errno: errno)
            }
            if n == 0 { return data }
            data.append(contentsOf: chunk[0..<n])
        }
    }

    /// The names in `directory`, without `.` and `..` (readdir order).
    public static func entries(of directory: String) throws(SystemError) -> [String] {
        guard let dir = opendir(directory) else { throw SystemError("open \(directory)", errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The whole content of `path` as UTF-8 text.
    public static func readText(_ path: String) throws(SystemError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Writes `bytes` to `path` in one write(2) (files under /proc take one value per
    /// write, so the write is not split), creating a regular file if `mode` is given.
    public static func write(_ path: String, _ bytes: [UInt8], createMode mode: mode_t? = nil) throws(SystemError) {
        let fd = try open(path, mode == nil ? O_WRONLY : O_WRONLY | O_CREAT | O_TRUNC, mode ?? 0)
        defer { close(fd) }
        try writeAll(fd, bytes, what: path, whole: true)
    }

    public static func write(_ path: String, _ text: String, createMode mode: mode_t? = nil) throws(SystemError) {
        try write(path, Array(text.utf8), createMode: mode)
    }

    /// Writes every byte to `fd`. With `whole`, one write must take everything (a short
    /// write is ENOSPC-like and fails); otherwise the rest is written by further calls.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], what: String, whole: Bool = false) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write \(what)", errno: errno)
            }
            if whole && n != bytes.count { throw SystemError("write \(what): short write of \(n) of \(bytes.count) bytes", errno: EIO) }
            offset += n
        }
    }

    private static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) throws(SystemError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw SystemError("open \(path)", errno: errno) }
        }
    }
}

/// Standard error, for the one-line messages of the command-line programs.
public enum StandardOutput {
    public static func write(_ text: String) {
        try? FileIO.writeAll(1, Array(text.utf8), what: "standard output")
    }
}

public enum StandardError {
    public static func write(_ text: String) {
        try? FileIO.writeAll(2, Array(text.utf8), what: "standard error")
    }
}
