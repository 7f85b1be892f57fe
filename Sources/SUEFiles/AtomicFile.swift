import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files atomically: all of the new content, or the old file untouched.
///
/// The recipe is the classic one (see e.g. the `rename(2)` man page and LWN's "Ensuring data reaches disk"):
/// 1. create a temporary file *in the same folder* as the destination (a rename is only atomic within one
///    file system, and the same folder is the one place guaranteed to be on the destination's file system);
/// 2. write everything into it and `fsync` it, so the bytes are on disk before the name points at them;
/// 3. `rename` it over the destination — readers see either the complete old file or the complete new one;
/// 4. `fsync` the folder so that the rename itself survives a crash.
/// If anything fails (or the caller's body throws) before step 3, the temporary file is deleted and the
/// destination keeps whatever it had before, so an interrupted run never leaves a partial output behind.
public enum AtomicFile {
    /// Streams bytes into the temporary file. Obtain one from `AtomicFile.write(to:_:)`; do not keep it.
    public struct Writer {
        fileprivate let descriptor: Int32
        fileprivate let url: URL
        /// Bytes appended so far.
        public private(set) var bytesWritten: Int = 0

        /// Appends raw bytes, retrying short writes and `EINTR` as POSIX requires.
        public mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
            guard var pointer = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let n = systemWrite(descriptor, pointer, remaining)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(.io, url: url, "write failed: \(String(cString: strerror(errno)))")
                }
                pointer += n
                remaining -= n
                bytesWritten += n
            }
        }

        /// Appends the bytes of `data`.
        public mutating func append(_ data: Data) throws {
            try data.withUnsafeBytes { try append($0) }
        }

        /// Appends `string` encoded as UTF-8.
        public mutating func append(_ string: String) throws {
            try append(Data(string.utf8))
        }
    }

    /// Atomically replaces (or creates) `url` with `data`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { try $0.append(data) }
    }

    /// Atomically replaces (or creates) `url` with whatever `body` appends to the writer.
    /// If `body` throws, the destination is left exactly as it was and the error is rethrown.
    public static func write(to url: URL, _ body: (inout Writer) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))")

        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd < 0 {
            let reason = String(cString: strerror(errno))
            throw FileError(.io, url: url, "cannot create a temporary file in \(folder.path) (\(reason))")
        }
        var committed = false
        var closed = false
        defer {
            if !closed { close(fd) }
            if !committed { unlink(temporary.path) }
        }

        // Keep the permission bits of a file we replace (otherwise a 0600 file would silently become 0644).
        var existing = stat()
        if stat(url.path, &existing) == 0 { _ = fchmod(fd, existing.st_mode & 0o7777) }

        var writer = Writer(descriptor: fd, url: url)
        try body(&writer)

        if fsync(fd) != 0 {
            throw FileError(.io, url: url, "fsync failed: \(String(cString: strerror(errno)))")
        }
        closed = true
        if close(fd) != 0 {
            throw FileError(.io, url: url, "close failed: \(String(cString: strerror(errno)))")
        }
        if rename(temporary.path, url.path) != 0 {
            throw FileError(.io, url: url, "cannot replace the file (\(String(cString: strerror(errno))))")
        }
        committed = true

        // Best effort: a folder we cannot open for fsync does not make the write less complete.
        let folderDescriptor = open(folder.path, O_RDONLY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}

/// `write(2)` under a name that does not collide with the `write` methods above.
@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
